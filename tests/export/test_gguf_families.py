"""Qwen2 (biases, NEOX RoPE: no permutation, tied embeddings) and Mistral (SentencePiece-style vocab) to GGUF."""

import json

import numpy as np
import pytest

from dataforge.errors import UsageError
from dataforge.export.gguf_export import unpermute_rope, write_gguf
from tests.evaluate import tiny


def _read(path):
    import gguf

    reader = gguf.GGUFReader(str(path))
    fields = {name: f.contents() for name, f in reader.fields.items()}
    tensors = {t.name: gguf.quants.dequantize(t.data, t.tensor_type) for t in reader.tensors}
    return fields, tensors


def _weights(model):
    return {k: v.detach().float().numpy() for k, v in model.state_dict().items()}


def test_qwen2_keeps_rope_layout_and_biases(tmp_path, tiny_root):
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tok = tiny.build_tokenizer(tiny_root / "base")
    torch.manual_seed(0)
    cfg = Qwen2Config(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=2, num_key_value_heads=1, tie_word_embeddings=True,
                      eos_token_id=tok.eos_token_id)
    model = Qwen2ForCausalLM(cfg)
    model.save_pretrained(tmp_path / "qwen")
    tok.save_pretrained(tmp_path / "qwen")
    info = write_gguf(tmp_path / "qwen", tmp_path / "qwen.gguf", "f16")
    fields, tensors = _read(info["path"])
    w = _weights(model)
    assert fields["general.architecture"] == "qwen2" and fields["qwen2.attention.head_count_kv"] == 1
    assert "output.weight" not in tensors  # tied: llama.cpp reuses token_embd
    np.testing.assert_allclose(tensors["blk.0.attn_q.weight"].reshape(64, 64),
                               w["model.layers.0.self_attn.q_proj.weight"], atol=1e-3)
    np.testing.assert_array_equal(tensors["blk.1.attn_k.bias"], w["model.layers.1.self_attn.k_proj.bias"])


def _spm_tokenizer(out):
    """A Llama-2/Mistral-style tokenizer: BPE with byte fallback over Metaspace ("▁") pieces."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    t = Tokenizer(models.BPE(byte_fallback=True, unk_token="<unk>"))
    t.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    t.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="never", split=False)
    t.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                   decoders.Strip(" ", 1, 0)])
    byte_tokens = [f"<0x{i:02X}>" for i in range(256)]
    trainer = trainers.BpeTrainer(vocab_size=500, special_tokens=["<unk>", "<s>", "</s>"], show_progress=False)
    t.train_from_iterator([m["content"] for r in tiny.chats() for m in r["messages"]], trainer)
    t.add_tokens(byte_tokens)
    fast = PreTrainedTokenizerFast(tokenizer_object=t, bos_token="<s>", eos_token="</s>", unk_token="<unk>")
    fast.chat_template = ("{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}"
                          "{{ '[INST] ' + m['content'] + ' [/INST]' }}{% else %}{{ m['content'] + eos_token }}"
                          "{% endif %}{% endfor %}")
    fast.save_pretrained(out)
    return fast


def test_mistral_is_llama_arch_with_permuted_qk_and_spm_vocab(tmp_path):
    import gguf
    import torch
    from transformers import MistralConfig, MistralForCausalLM

    tok = _spm_tokenizer(tmp_path / "mistral")
    torch.manual_seed(0)
    cfg = MistralConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=1,
                        num_attention_heads=4, num_key_value_heads=2, bos_token_id=1, eos_token_id=2)
    model = MistralForCausalLM(cfg)
    model.save_pretrained(tmp_path / "mistral")
    info = write_gguf(tmp_path / "mistral", tmp_path / "mistral.gguf", "q8_0")
    fields, tensors = _read(info["path"])
    w = _weights(model)
    assert fields["general.architecture"] == "llama"
    assert fields["tokenizer.ggml.model"] == "llama" and "tokenizer.ggml.merges" not in fields
    assert (fields["tokenizer.ggml.bos_token_id"], fields["tokenizer.ggml.eos_token_id"]) == (1, 2)
    assert fields["tokenizer.ggml.add_bos_token"] is True  # the template writes {{ bos_token }}: the runtime adds it
    types = fields["tokenizer.ggml.token_type"]
    vocab = tok.get_vocab()
    assert types[vocab["<0x0A>"]] == gguf.TokenType.BYTE and types[vocab["</s>"]] == gguf.TokenType.CONTROL
    assert fields["tokenizer.ggml.scores"][10] == -10.0
    k = unpermute_rope(tensors["blk.0.attn_k.weight"].reshape(32, 64), 2)
    want = w["model.layers.0.self_attn.k_proj.weight"]
    assert np.linalg.norm(k - want) / np.linalg.norm(want) < 1e-2
    assert not np.allclose(tensors["blk.0.attn_k.weight"].reshape(32, 64), want, atol=1e-2)  # it was permuted


def test_unsupported_architecture_is_a_usage_error(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    with pytest.raises(UsageError, match="model_type 'gpt2'"):
        write_gguf(tmp_path, tmp_path / "x.gguf")


def test_llama3_rope_scaling_writes_rope_freqs(tmp_path, tiny_root):
    """Llama 3.1+ stretch low RoPE frequencies; llama.cpp reads the per-frequency divisors from rope_freqs."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = tiny.build_tokenizer(tiny_root / "base")
    rope = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
            "original_max_position_embeddings": 64, "rope_theta": 500000.0}
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=512,
                      rope_parameters=rope)
    torch.manual_seed(0)
    LlamaForCausalLM(cfg).save_pretrained(tmp_path / "l3")
    tok.save_pretrained(tmp_path / "l3")
    fields, tensors = _read(write_gguf(tmp_path / "l3", tmp_path / "l3.gguf", "f16")["path"])
    factors = tensors["rope_freqs.weight"]
    assert factors.shape == (16,) and fields["llama.rope.freq_base"] == 500000.0
    assert factors[0] == pytest.approx(1.0) and factors[-1] == pytest.approx(8.0)  # high freq kept, low stretched
    assert np.all(np.diff(factors) >= -1e-6)
