"""Real model families for the tests: real vocabularies shipped in PyPI wheels, real chat templates, tiny random
weights shaped like the family (2 layers, hidden 64). Nothing is downloaded at test time.

Where each piece comes from (the wheels are in the `dev` extra):
- Llama-3 / 3.1 vocabulary: `llama-models` (llama_models/llama3/tokenizer.model, Meta's tiktoken file).
- Qwen2.5 / Qwen3 vocabulary: `dashscope` (dashscope/resources/qwen.tiktoken, the byte-level BPE that Qwen2
  keeps; its special tokens are laid out as Qwen2.5's tokenizer_config lists them).
- Mistral v0.3 vocabulary: `mistral-common` (mistral_common/data/mistral_instruct_tokenizer_240323.model.v3, the
  sentencepiece model of Mistral-7B-Instruct-v0.3).
- Gemma-2 / Gemma-3: no PyPI package ships their 256k sentencepiece vocabulary, so a byte-level BPE is trained on
  the sample data with Gemma's special tokens at Gemma's ids (<pad> 0, <eos> 1, <bos> 2, <unk> 3).
- Templates: TRL's verbatim copies (trl/chat_templates/*.jinja) for Llama-3/3.1, Qwen2.5/3, Gemma-2/3; Mistral
  v0.3's from its tokenizer_config.json, kept in tests/fixtures/mistral_v0.3.jinja (TRL has no copy).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")
LLAMA3_SPECIAL = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                  "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|step_id|>", "<|start_header_id|>",
                  "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>", "<|image|>"]
LLAMA3_SPECIAL += [f"<|reserved_special_token_{2 + i}|>" for i in range(256 - len(LLAMA3_SPECIAL))]
QWEN_SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
                "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
                "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>",
                "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>",
                "<|file_sep|>", "<tool_response>", "</tool_response>", "<think>", "</think>"]
GEMMA_SPECIAL = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]

# family -> (vocabulary, template file, tokenizer settings, model type)
FAMILIES = {
    "llama3": ("llama3", "llama3.jinja", dict(bos_token="<|begin_of_text|>", eos_token="<|eot_id|>",
                                              pad_token="<|finetune_right_pad_id|>"), "llama"),
    "llama3.1": ("llama3", "llama3_1.jinja", dict(bos_token="<|begin_of_text|>", eos_token="<|eot_id|>",
                                                  pad_token="<|finetune_right_pad_id|>"), "llama"),
    "qwen2.5": ("qwen", "qwen2_5.jinja", dict(eos_token="<|im_end|>", pad_token="<|endoftext|>"), "qwen2"),
    "qwen3": ("qwen", "qwen3.jinja", dict(eos_token="<|im_end|>", pad_token="<|endoftext|>"), "qwen3"),
    "mistral-v0.3": ("mistral", "mistral_v0.3.jinja", dict(bos_token="<s>", eos_token="</s>", unk_token="<unk>"),
                     "mistral"),
    "gemma2": ("gemma", "gemma.jinja", dict(bos_token="<bos>", eos_token="<eos>", pad_token="<pad>",
                                            unk_token="<unk>"), "gemma2"),
    "gemma3": ("gemma", "gemma3.jinja", dict(bos_token="<bos>", eos_token="<eos>", pad_token="<pad>",
                                             unk_token="<unk>"), "gemma3_text"),
}
# where each family's vocabulary lives: (package, file inside it); None: built here
VOCAB_FILES = {"llama3": ("llama_models", "llama3/tokenizer.model"), "qwen": ("dashscope", "resources/qwen.tiktoken"),
               "mistral": ("mistral_common", "data/mistral_instruct_tokenizer_240323.model.v3"), "gemma": None}


def package_file(package: str, inner: str) -> Path | None:
    """A data file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / inner
    return path if path.is_file() else None


def template_text(name: str) -> str:
    local = FIXTURES / name
    if local.is_file():
        return local.read_text(encoding="utf-8")
    found = package_file("trl", f"chat_templates/{name}")
    assert found is not None, f"trl has no chat_templates/{name}"
    return found.read_text(encoding="utf-8")


def _tiktoken(path: Path, pattern: str, specials: list[str], nfc: bool):
    from tokenizers import normalizers
    from transformers.convert_slow_tokenizer import TikTokenConverter

    tok = TikTokenConverter(vocab_file=str(path), pattern=pattern, extra_special_tokens=specials).converted()
    if nfc:  # Qwen2's tokenizer.json normalises to NFC
        tok.normalizer = normalizers.NFC()
    return tok


def _sentencepiece(path: Path):
    """Mistral's sentencepiece model as v0.3's tokenizer.json has it: non-legacy Llama conversion (Metaspace,
    "▁" prepended to the first piece only, byte fallback), <s> added in front, control pieces ([INST]...) special."""
    from types import SimpleNamespace

    from sentencepiece import SentencePieceProcessor
    from tokenizers import AddedToken, processors
    from transformers.convert_slow_tokenizer import LlamaConverter, SentencePieceExtractor
    from transformers.tokenization_utils_base import generate_merges

    class Extractor(SentencePieceExtractor):
        # transformers 5.24's SpmConverter calls extract(vocab_scores), which its own extractor no longer takes
        def extract(self, vocab_scores=None):
            vocab = {p.piece: i for i, p in enumerate(self.proto.pieces)}
            return vocab, generate_merges(vocab, dict(vocab_scores) if vocab_scores else None)

    class Converter(LlamaConverter):
        SpmExtractor = Extractor

    sp = SentencePieceProcessor(model_file=str(path))
    stub = SimpleNamespace(vocab_file=str(path), legacy=False, add_prefix_space=True,
                           convert_ids_to_tokens=sp.id_to_piece)
    tok = Converter(stub).converted()
    control = [sp.id_to_piece(i) for i in range(sp.get_piece_size()) if sp.is_control(i) or sp.is_unknown(i)]
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in control])
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                                       special_tokens=[("<s>", sp.piece_to_id("<s>"))])
    return tok


def _gemma_like(texts: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=4096, special_tokens=GEMMA_SPECIAL, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer=trainer)
    return tok


def build_tokenizer(family: str, out: Path, texts: list[str]):
    """The family's tokenizer with its real chat template, saved to `out`."""
    from transformers import PreTrainedTokenizerFast

    vocab, template, settings, _ = FAMILIES[family]
    source = VOCAB_FILES[vocab]
    path = package_file(*source) if source else None
    if source and path is None:
        import pytest

        pytest.skip(f"{source[0]} is not installed (make install puts it in with the dev extra)")
    if vocab == "mistral":
        tok = _sentencepiece(path)
    elif vocab == "llama3":
        tok = _tiktoken(path, LLAMA3_PATTERN, LLAMA3_SPECIAL, nfc=False)
    elif vocab == "qwen":
        tok = _tiktoken(path, QWEN_PATTERN, QWEN_SPECIAL, nfc=True)
    else:
        tok = _gemma_like(texts)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, **settings)
    fast.chat_template = template_text(template)
    fast.model_max_length = 8192
    fast.save_pretrained(out)
    return fast


def build_model(family: str, out: Path, tokenizer, seed: int = 0) -> None:
    """Tiny random weights in the family's architecture, vocabulary sized to the tokenizer."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    *_, model_type = FAMILIES[family]
    shape = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, head_dim=16, max_position_embeddings=2048)
    if model_type in ("gemma2", "gemma3_text"):
        shape.update(query_pre_attn_scalar=16, sliding_window=512)
    config = AutoConfig.for_model(model_type, vocab_size=len(tokenizer), bos_token_id=tokenizer.bos_token_id,
                                  eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                                  tie_word_embeddings=model_type not in ("llama", "mistral"), **shape)
    torch.manual_seed(seed)
    AutoModelForCausalLM.from_config(config).save_pretrained(out)


def build_family(family: str, out: Path, texts: list[str], weights: bool = True) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    if not (out / "tokenizer_config.json").is_file():
        tokenizer = build_tokenizer(family, out, texts)
    else:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(out)
    if weights and not (out / "config.json").is_file():
        build_model(family, out, tokenizer)
    return out
