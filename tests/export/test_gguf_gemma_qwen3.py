"""Qwen3, Gemma-2 and Gemma-3 to GGUF, read back with gguf's reader: architecture, hyper-parameter keys, tensors
(Gemma's norms written as 1 + w), tokenizer metadata. tests/export/test_gguf_llama_cpp.py runs them in llama.cpp."""

import json
from pathlib import Path

import numpy as np
import pytest

from dataforge.errors import UsageError
from dataforge.export.gguf_export import write_gguf
from tests.export import gguf_models
from tests.export.test_ollama_families import go_renderer  # noqa: F401  (the Go text/template renderer fixture)


def _read(path):
    import gguf

    reader = gguf.GGUFReader(str(path))
    fields = {name: f.contents() for name, f in reader.fields.items()}
    tensors = {t.name: gguf.quants.dequantize(t.data, t.tensor_type).reshape(tuple(reversed(t.shape.tolist())))
               for t in reader.tensors}
    return fields, tensors


def _weights(folder):
    from safetensors.torch import load_file

    return {k: v.float().numpy() for k, v in load_file(str(folder / "model.safetensors")).items()}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """family -> (model folder, fields, tensors) of its f16 GGUF, built on first use."""
    root = tmp_path_factory.mktemp("gguf_new_families")
    cache = {}

    def get(family):
        if family not in cache:
            folder = gguf_models.build(family, root / family)
            fields, tensors = _read(write_gguf(folder, root / f"{family}.gguf", "f16")["path"])
            cache[family] = (folder, fields, tensors)
        return cache[family]

    return get


@pytest.mark.slow  # the real 151k vocabulary: about a minute on a busy 2-core box
def test_qwen3_keys_tensors_and_real_vocab(exported):
    from transformers import AutoTokenizer

    folder, fields, tensors = exported("qwen3")
    w = _weights(folder)
    tok = AutoTokenizer.from_pretrained(folder)
    assert fields["general.architecture"] == "qwen3"
    assert (fields["qwen3.block_count"], fields["qwen3.attention.head_count"],
            fields["qwen3.attention.head_count_kv"], fields["qwen3.attention.key_length"]) == (2, 4, 2, 16)
    assert fields["qwen3.rope.freq_base"] == 10000.0
    assert fields["tokenizer.ggml.model"] == "gpt2" and fields["tokenizer.ggml.pre"] == "qwen2"
    assert len(fields["tokenizer.ggml.tokens"]) == len(tok) == 151669
    assert fields["tokenizer.ggml.eot_token_id"] == tok.convert_tokens_to_ids("<|im_end|>") == 151645
    assert fields["tokenizer.ggml.add_bos_token"] is False
    assert fields["tokenizer.chat_template"] == tok.chat_template and "<think>" in tok.chat_template
    # per-head q/k RMSNorm (16 values), NEOX RoPE: q/k rows unpermuted, no biases, tied output
    assert tensors["blk.1.attn_q_norm.weight"].shape == (16,)
    np.testing.assert_array_equal(tensors["blk.1.attn_k_norm.weight"], w["model.layers.1.self_attn.k_norm.weight"])
    np.testing.assert_allclose(tensors["blk.0.attn_q.weight"], w["model.layers.0.self_attn.q_proj.weight"],
                               atol=2e-3)
    assert "output.weight" not in tensors and not any(n.endswith(".bias") for n in tensors)
    assert len(tensors) == 2 * 11 + 2


@pytest.mark.parametrize("family", ["gemma2", "gemma3"])
def test_gemma_norms_are_one_plus_w_and_tokenizer_is_spm_without_space_prefix(exported, family):
    import gguf

    folder, fields, tensors = exported(family)
    w = _weights(folder)
    arch = family
    assert fields["general.architecture"] == arch
    assert fields[f"{arch}.attention.key_length"] == 16 and fields[f"{arch}.embedding_length"] == 64
    assert fields[f"{arch}.attention.sliding_window"] == 512
    # transformers' layer_types, written per layer: Gemma-2 alternates, Gemma-3's first five of six slide
    assert fields[f"{arch}.attention.sliding_window_pattern"] == ([True, False] if family == "gemma2"
                                                                   else [True, True])
    for hf, name in [("model.norm.weight", "output_norm.weight"),
                     ("model.layers.0.input_layernorm.weight", "blk.0.attn_norm.weight"),
                     ("model.layers.0.post_attention_layernorm.weight", "blk.0.post_attention_norm.weight"),
                     ("model.layers.1.pre_feedforward_layernorm.weight", "blk.1.ffn_norm.weight"),
                     ("model.layers.1.post_feedforward_layernorm.weight", "blk.1.post_ffw_norm.weight")]:
        np.testing.assert_allclose(tensors[name], 1.0 + w[hf], rtol=1e-6)
    np.testing.assert_allclose(tensors["token_embd.weight"], w["model.embed_tokens.weight"], atol=2e-3)  # unscaled
    assert "output.weight" not in tensors
    # SentencePiece-style: scores, byte tokens, no "▁" put in front of the text (llama.cpp's SPM default is yes)
    assert fields["tokenizer.ggml.model"] == "llama" and fields["tokenizer.ggml.add_space_prefix"] is False
    tokens = fields["tokenizer.ggml.tokens"]
    assert tokens[:6] == gguf_models.GEMMA_SPECIAL
    assert (fields["tokenizer.ggml.padding_token_id"], fields["tokenizer.ggml.eos_token_id"],
            fields["tokenizer.ggml.bos_token_id"]) == (0, 1, 2)
    assert fields["tokenizer.ggml.eot_token_id"] == tokens.index("<end_of_turn>") == 5
    assert fields["tokenizer.ggml.token_type"][tokens.index("<0x0A>")] == gguf.TokenType.BYTE
    assert fields["tokenizer.ggml.add_bos_token"] is True  # the template writes {{ bos_token }}
    if family == "gemma2":
        assert (fields["gemma2.attn_logit_softcapping"], fields["gemma2.final_logit_softcapping"]) == (50.0, 30.0)
        assert len(tensors) == 2 * 11 + 2
    else:
        assert fields["gemma3.rope.freq_base"] == 1_000_000.0 and fields["gemma3.rope.freq_base_swa"] == 10000.0
        np.testing.assert_allclose(tensors["blk.0.attn_q_norm.weight"],
                                   1.0 + w["model.layers.0.self_attn.q_norm.weight"], rtol=1e-6)
        assert "gemma3.final_logit_softcapping" not in fields and len(tensors) == 2 * 13 + 2


def test_quantized_gemma_keeps_norms_f32(tmp_path, exported):
    import gguf

    folder = exported("gemma3")[0]
    info = write_gguf(folder, tmp_path / "g3.gguf", "q8_0")
    reader = gguf.GGUFReader(info["path"])
    kinds = {t.name: t.tensor_type for t in reader.tensors}
    assert kinds["blk.0.attn_q.weight"] == gguf.GGMLQuantizationType.Q8_0
    assert kinds["blk.0.attn_k_norm.weight"] == kinds["output_norm.weight"] == gguf.GGMLQuantizationType.F32
    assert info["tensor_types"] == {"Q8_0": 15, "F32": 13}


def _config(tmp_path, **cfg):
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    return tmp_path


def test_gemma_query_scale_llama_cpp_would_not_use_is_refused(tmp_path):
    """llama.cpp scales Gemma queries by 1/sqrt(head_dim); a config saying otherwise would compute differently."""
    folder = gguf_models.build("gemma2", tmp_path / "g2", query_pre_attn_scalar=64)
    with pytest.raises(UsageError, match=r"query_pre_attn_scalar 64: llama.cpp scales gemma2 queries by "
                                         r"1/sqrt\(16\)"):
        write_gguf(folder, tmp_path / "x.gguf")
    assert not (tmp_path / "x.gguf").exists() and not (tmp_path / "x.gguf.tmp").exists()


def test_multimodal_gemma3_and_other_types_name_what_is_supported(tmp_path):
    with pytest.raises(UsageError, match="model_type 'gemma3': --gguf supports gemma2, gemma3_text, llama, "
                                         "mistral, qwen2, qwen3 .multimodal Gemma-3"):
        write_gguf(_config(tmp_path, model_type="gemma3"), tmp_path / "x.gguf")


@pytest.mark.parametrize("family", [pytest.param("qwen3", marks=pytest.mark.slow), "gemma2", "gemma3"])
def test_q8_0_gguf_and_modelfile_render_the_hf_prompt(family, exported, go_renderer, tmp_path):  # noqa: F811
    """What `export --gguf q8_0 --ollama` writes for these families: the Modelfile's TEMPLATE, rendered by Go's
    text/template as Ollama renders it and tokenized as llama.cpp does (BOS first when the GGUF's add_bos_token
    says so), gives the HF template's token ids for every check conversation, with the family's own tokenizer."""
    import re

    from transformers import AutoTokenizer

    from dataforge.export.ollama import CHECKS, FOLD_SEPARATOR, write_modelfile

    folder = exported(family)[0]
    tok = AutoTokenizer.from_pretrained(folder)
    info = write_gguf(folder, tmp_path / "model-q8_0.gguf", "q8_0")
    fields, _ = _read(info["path"])
    modelfile = write_modelfile(tok, Path(info["path"]), tmp_path / "Modelfile")
    text = (tmp_path / "Modelfile").read_text(encoding="utf-8")
    assert "FROM ./model-q8_0.gguf" in text and modelfile["template"]
    template = re.search(r'TEMPLATE """(.*?)"""', text, re.S).group(1)
    stop = {"qwen3": "<|im_end|>", "gemma2": "<end_of_turn>", "gemma3": "<end_of_turn>"}[family]
    assert f'PARAMETER stop "{stop}"' in text
    add_bos = fields["tokenizer.ggml.add_bos_token"]
    assert add_bos is (family != "qwen3") and fields["tokenizer.chat_template"] == tok.chat_template
    for conv, go_text in zip(CHECKS, go_renderer(template, CHECKS), strict=True):
        hf_conv = conv
        if family == "gemma2" and conv[0]["role"] == "system":  # Gemma-2's template rejects it: folded by hand
            hf_conv = [{"role": "user", "content": conv[0]["content"] + FOLD_SEPARATOR + conv[1]["content"]},
                       *conv[2:]]
        hf_text = tok.apply_chat_template(hf_conv, tokenize=False, add_generation_prompt=True)
        hf_ids = tok(hf_text, add_special_tokens=False)["input_ids"]
        ollama_ids = ([tok.bos_token_id] if add_bos else []) + tok(go_text, add_special_tokens=False)["input_ids"]
        assert ollama_ids == hf_ids, (family, conv, go_text)


def test_gemma3_config_in_the_older_flat_form(tmp_path, exported):
    """Gemma-3 config.json as the hub publishes it (flat rope_theta, rope_local_base_freq, linear rope_scaling of
    the global layers, no layer_types): the same keys as transformers 5's nested form."""
    import shutil

    folder = tmp_path / "flat"
    shutil.copytree(exported("gemma3")[0], folder)
    cfg = json.loads((folder / "config.json").read_text())
    for key in ("rope_parameters", "layer_types"):
        cfg.pop(key)
    cfg.update(rope_theta=1_000_000.0, rope_local_base_freq=10000.0, rope_scaling={"rope_type": "linear",
                                                                                    "factor": 8.0})
    (folder / "config.json").write_text(json.dumps(cfg))
    fields, _ = _read(write_gguf(folder, tmp_path / "flat.gguf", "f16")["path"])
    assert (fields["gemma3.rope.freq_base"], fields["gemma3.rope.freq_base_swa"]) == (1_000_000.0, 10000.0)
    assert (fields["gemma3.rope.scaling.type"], fields["gemma3.rope.scaling.factor"]) == ("linear", 8.0)
    assert fields["gemma3.attention.sliding_window_pattern"] == [True, True]
