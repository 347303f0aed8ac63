"""Load the written GGUF in llama.cpp (llama-cpp-python) and compare next-token logits with transformers.

This is the test that proves the layout (q/k permutation, tensor names, tokenizer) rather than the bytes: it
needs `pip install llama-cpp-python` (compiles llama.cpp: ~20 min on 2 cores), so it is skipped without it.
"""

import numpy as np
import pytest

llama_cpp = pytest.importorskip("llama_cpp",
                                reason="llama-cpp-python not installed (pip install 'dataforge[llama-cpp]')")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def merged(overfit_run, tmp_path_factory):
    from dataforge.export.merge import merge_adapter
    from dataforge.run.run_dir import open_run

    return merge_adapter(open_run(overfit_run), tmp_path_factory.mktemp("merged_cpp") / "merged")


@pytest.mark.parametrize("qtype", ["f16", "q8_0"])
def test_llama_cpp_logits_match_transformers(merged, tmp_path, qtype):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from dataforge.export.gguf_export import write_gguf

    path = write_gguf(merged, tmp_path / f"m-{qtype}.gguf", qtype)["path"]
    tok = AutoTokenizer.from_pretrained(merged)
    text = tok.apply_chat_template([{"role": "user", "content": "Kahve telvesini bahçede kullanabilir miyim?"}],
                                   tokenize=False, add_generation_prompt=True)
    ids = tok(text)["input_ids"]
    with torch.no_grad():
        want = AutoModelForCausalLM.from_pretrained(merged, dtype=torch.float32)(torch.tensor([ids])).logits[0].numpy()
    llm = llama_cpp.Llama(model_path=path, n_ctx=256, logits_all=True, verbose=False, n_threads=1)
    try:
        # the same tokens, special tokens parsed as one piece: vocab, merges and pre-tokenizer agree
        assert llm.tokenize(text.encode(), add_bos=False, special=True) == ids
        llm.eval(ids)
        got = np.array(llm.scores[:len(ids)])
    finally:
        llm.close()
    corr = np.corrcoef(got.ravel(), want.ravel())[0, 1]
    if qtype == "f16":
        assert np.abs(got - want).max() < 0.05
        assert (got.argmax(-1) == want.argmax(-1)).all()
    else:  # q8_0 weights (and llama.cpp's q8 activations) on a 64-wide model: close, not equal
        assert corr > 0.98, corr


def _cpp_logits(path, ids):
    llm = llama_cpp.Llama(model_path=str(path), n_ctx=256, logits_all=True, verbose=False, n_threads=1)
    try:
        llm.eval(ids)
        return np.array(llm.scores[:len(ids)])
    finally:
        llm.close()


@pytest.mark.parametrize("family", ["qwen2", "mistral", "llama3-rope"])
def test_llama_cpp_runs_qwen2_mistral_and_llama3_exports(family, tmp_path, tiny_root):
    """Qwen2: no q/k permutation, q/k/v biases, tied embeddings. Mistral: "llama" arch with GQA and SPM vocab.
    Llama 3.1-style RoPE scaling: the rope_freqs tensor."""
    import torch
    from transformers import (
        LlamaConfig,
        LlamaForCausalLM,
        MistralConfig,
        MistralForCausalLM,
        Qwen2Config,
        Qwen2ForCausalLM,
    )

    from dataforge.export.gguf_export import write_gguf
    from tests.evaluate import tiny
    from tests.export.test_gguf_families import _spm_tokenizer

    torch.manual_seed(0)
    if family == "qwen2":
        tok = tiny.build_tokenizer(tiny_root / "base")
        model = Qwen2ForCausalLM(Qwen2Config(vocab_size=len(tok), hidden_size=64, intermediate_size=128,
                                             num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                                             tie_word_embeddings=True, eos_token_id=tok.eos_token_id))
        torch.nn.init.normal_(model.model.layers[0].self_attn.q_proj.bias, std=0.5)  # make the biases matter
    elif family == "llama3-rope":
        tok = tiny.build_tokenizer(tiny_root / "base")
        rope = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                "original_max_position_embeddings": 16, "rope_theta": 500000.0}
        model = LlamaForCausalLM(LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128,
                                             num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
                                             rope_parameters=rope, initializer_range=0.2))
    else:
        tok = _spm_tokenizer(tmp_path / family)
        model = MistralForCausalLM(MistralConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128,
                                                 num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                                                 bos_token_id=1, eos_token_id=2, initializer_range=0.2))
    model.save_pretrained(tmp_path / family)
    tok.save_pretrained(tmp_path / family)
    path = write_gguf(tmp_path / family, tmp_path / f"{family}.gguf", "f16")["path"]
    ids = tok("Kahve telvesini bahçede kullanabilir miyim?")["input_ids"]
    with torch.no_grad():
        want = model.eval()(torch.tensor([ids])).logits[0].numpy()
    got = _cpp_logits(path, ids)
    assert np.abs(got - want).max() < 0.05 * max(1.0, np.abs(want).max())
    assert (got.argmax(-1) == want.argmax(-1)).mean() > 0.9


PROMPT = [{"role": "user", "content": "Kahve telvesini bahçede kullanabilir miyim? Çiçeklere 2 kaşık yeter mi?"}]


@pytest.fixture(scope="module")
def new_families(tmp_path_factory):
    """family -> model folder, built on first use (Qwen3 with its real 151k vocabulary, Gemma-2/3 SPM-style)."""
    from tests.export import gguf_models

    root, cache = tmp_path_factory.mktemp("cpp_new_families"), {}

    def get(family):
        if family not in cache:
            cache[family] = gguf_models.build(family, root / family)
        return cache[family]

    return get


@pytest.mark.parametrize("qtype", ["f16", "q8_0"])
@pytest.mark.parametrize("family", ["qwen3", "gemma2", "gemma3"])
def test_llama_cpp_runs_qwen3_and_gemma_exports(family, qtype, new_families, tmp_path):
    """Qwen3: q/k norms, NEOX RoPE, real vocab with pre-tokenizer qwen2. Gemma-2: softcapping, (1 + w) norms,
    embedding scale, alternating sliding layers. Gemma-3: q/k norms, two RoPE bases. Both Gemmas: SentencePiece
    vocab without a space prefix. The chat prompt of the real template tokenizes to the HF ids (special tokens as
    one piece), plain text with BOS as the GGUF says, and the logits match transformers'."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from dataforge.export.gguf_export import write_gguf

    folder = new_families(family)
    path = write_gguf(folder, tmp_path / f"{family}-{qtype}.gguf", qtype)["path"]
    tok = AutoTokenizer.from_pretrained(folder)
    text = tok.apply_chat_template(PROMPT, tokenize=False, add_generation_prompt=True)
    ids = tok(text, add_special_tokens=False)["input_ids"]
    plain = PROMPT[0]["content"]
    with torch.no_grad():
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
        want = model(torch.tensor([ids])).logits[0].numpy()
    llm = llama_cpp.Llama(model_path=path, n_ctx=256, logits_all=True, verbose=False, n_threads=1)
    try:
        assert llm.tokenize(text.encode(), add_bos=False, special=True) == ids
        # plain text as llama.cpp tokenizes it by default: BOS when add_bos_token says so, no "▁" prefix for Gemma
        assert llm.tokenize(plain.encode(), add_bos=family != "qwen3") == tok(plain)["input_ids"]
        llm.eval(ids)
        got = np.array(llm.scores[:len(ids)])
    finally:
        llm.close()
    diff = np.abs(got - want).max()
    agree = (got.argmax(-1) == want.argmax(-1)).mean()
    print(f"\n{family} {qtype}: {len(ids)} tokens, max |logit| {np.abs(want).max():.2f}, max abs diff {diff:.4f}, "
          f"argmax agreement {agree:.2f}")
    if qtype == "f16":
        assert diff < 0.05 * max(1.0, np.abs(want).max())
        assert agree > 0.9
    else:
        assert np.corrcoef(got.ravel(), want.ravel())[0, 1] > 0.98


def test_llama_cpp_splits_digits_as_smollm2s_tokenizer(tmp_path):
    """Pre-tokenizer `smollm`: llama.cpp splits every digit off, as the Digits step of the HF tokenizer does (the
    vocabulary holds multi-digit tokens, which `gpt-2` would use)."""
    from dataforge.export.gguf_export import write_gguf
    from tests.export.test_gguf_pre_tokenizer import _smollm_like

    tok = _smollm_like(tmp_path / "smol")
    info = write_gguf(tmp_path / "smol", tmp_path / "smol.gguf", "f16")
    assert info["tokenizer"]["pre"] == "smollm"
    text = "Sipariş 20245 için 1.250,75 TL ödendi; 3 kişi, 100 sayfa."
    llm = llama_cpp.Llama(model_path=info["path"], n_ctx=64, verbose=False, n_threads=1)
    try:
        assert llm.tokenize(text.encode(), add_bos=False) == tok(text)["input_ids"]
    finally:
        llm.close()
