"""GGUF files written from a merged tiny Llama, read back with gguf's own reader and compared with the weights."""

import numpy as np
import pytest

from dataforge.export.gguf_export import permute_rope, unpermute_rope, write_gguf


def test_permute_roundtrip_and_rope_equivalence():
    """HF rotate_half RoPE on W equals interleaved-pair RoPE on permute_rope(W): the reason for the permutation."""
    rng = np.random.default_rng(0)
    n_head, head_dim, hidden, pos = 2, 8, 16, 5
    w = rng.standard_normal((n_head * head_dim, hidden))
    x = rng.standard_normal(hidden)
    assert np.array_equal(unpermute_rope(permute_rope(w, n_head), n_head), w)
    theta = pos / 10000 ** (np.arange(0, head_dim, 2) / head_dim)
    cos, sin = np.cos(theta), np.sin(theta)
    for h in range(n_head):
        q = (w @ x)[h * head_dim:(h + 1) * head_dim]
        a, b = q[:head_dim // 2], q[head_dim // 2:]          # HF: rotate the two halves
        hf = np.concatenate([a * cos - b * sin, b * cos + a * sin])
        p = (permute_rope(w, n_head) @ x)[h * head_dim:(h + 1) * head_dim]
        a2, b2 = p[0::2], p[1::2]                            # llama.cpp "llama": rotate adjacent pairs
        cpp = np.empty(head_dim)
        cpp[0::2], cpp[1::2] = a2 * cos - b2 * sin, b2 * cos + a2 * sin
        assert np.allclose(cpp, permute_rope(hf[:, None], 1)[:, 0])  # same values, interleaved order
        assert np.isclose(hf @ hf, cpp @ cpp)


@pytest.fixture(scope="module")
def merged(overfit_run, tmp_path_factory):
    from dataforge.export.merge import merge_adapter
    from dataforge.run.run_dir import open_run

    return merge_adapter(open_run(overfit_run), tmp_path_factory.mktemp("merged") / "merged")


# relative Frobenius error of the de-quantised weights: f16 keeps ~3 decimal digits, q8_0 8 bits, q4_0 4 bits
TOLERANCE = {"f16": 1e-3, "q8_0": 1e-2, "q4_0": 0.15}


@pytest.mark.slow
@pytest.mark.parametrize("qtype", ["f16", "q8_0", "q4_0"])
def test_gguf_reads_back_with_weights_tokenizer_and_template(merged, tmp_path, qtype):
    import gguf
    from safetensors.torch import load_file
    from transformers import AutoTokenizer

    summary = write_gguf(merged, tmp_path / f"model-{qtype}.gguf", qtype)
    reader = gguf.GGUFReader(summary["path"])
    fields = {name: f.contents() for name, f in reader.fields.items()}
    tok = AutoTokenizer.from_pretrained(merged)
    assert fields["general.architecture"] == "llama"
    assert fields["llama.block_count"] == 2 and fields["llama.attention.head_count_kv"] == 1
    assert fields["tokenizer.ggml.model"] == "gpt2" and fields["tokenizer.ggml.pre"] == "gpt-2"
    assert fields["tokenizer.ggml.tokens"][:len(tok)] == [tok.convert_ids_to_tokens(i) for i in range(len(tok))]
    assert fields["tokenizer.ggml.eos_token_id"] == tok.convert_tokens_to_ids("<|im_end|>")
    assert fields["tokenizer.ggml.eot_token_id"] == tok.convert_tokens_to_ids("<|im_end|>")
    assert fields["tokenizer.ggml.padding_token_id"] == tok.convert_tokens_to_ids("<|endoftext|>")
    assert fields["tokenizer.chat_template"] == tok.chat_template
    assert fields["tokenizer.ggml.add_bos_token"] is False  # ChatML never writes bos_token: no BOS added
    assert len(fields["tokenizer.ggml.merges"]) > 100
    control = fields["tokenizer.ggml.token_type"][tok.convert_tokens_to_ids("<|im_start|>")]
    assert control == gguf.TokenType.CONTROL

    weights = {k: v.float().numpy() for k, v in load_file(str(merged / "model.safetensors")).items()}
    read = {t.name: t for t in reader.tensors}
    assert len(read) == len(weights) == 2 * 9 + 3
    for hf_name, name, n_head in [("model.layers.0.self_attn.q_proj.weight", "blk.0.attn_q.weight", 2),
                                  ("model.layers.1.self_attn.k_proj.weight", "blk.1.attn_k.weight", 1),
                                  ("model.layers.1.mlp.down_proj.weight", "blk.1.ffn_down.weight", None),
                                  ("model.embed_tokens.weight", "token_embd.weight", None),
                                  ("model.norm.weight", "output_norm.weight", None)]:
        t = read[name]
        got = gguf.quants.dequantize(t.data, t.tensor_type).reshape(weights[hf_name].shape)
        if n_head:
            got = unpermute_rope(got, n_head)
        want = weights[hf_name]
        err = np.linalg.norm(got - want) / np.linalg.norm(want)
        assert err < (0 if want.ndim == 1 else TOLERANCE[qtype]) + 1e-7, (name, err)
    assert read["blk.0.attn_q.weight"].tensor_type == {"f16": gguf.GGMLQuantizationType.F16,
                                                       "q8_0": gguf.GGMLQuantizationType.Q8_0,
                                                       "q4_0": gguf.GGMLQuantizationType.Q4_0}[qtype]
