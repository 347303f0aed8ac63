"""Write a merged Llama / Mistral / Qwen2 / Qwen3 / Gemma-2 / Gemma-3 model as GGUF (f16, q8_0 or q4_0) with the
`gguf` package. The architecture and hyper-parameter keys come from gguf_hparams.py, the tokenizer from gguf_vocab.py.

Layout decisions (from how llama.cpp reads these architectures):
  * Mistral is written as architecture "llama" (same blocks; llama.cpp has no separate dense Mistral arch).
  * Llama/Mistral q_proj and k_proj rows are permuted: HF applies RoPE to the two *halves* of each head
    (rotate_half), llama.cpp's "llama" arch to *adjacent pairs*. Reordering each head's rows from
    [x0..x(d/2-1), y0..] to [x0, y0, x1, y1, ...] makes the two identical. Qwen2 is read with NEOX-style RoPE
    (halves), so its weights go in unchanged; it also carries q/k/v biases. Qwen3 and Gemma are NEOX-style too;
    Qwen3 and Gemma-3 add per-head q/k RMSNorm weights (attn_q_norm, attn_k_norm).
  * Gemma's RMSNorm multiplies by (1 + weight) where llama.cpp multiplies by weight, so every Gemma norm weight
    (q/k norms included) is written plus one, as llama.cpp's own converter does.
  * 1-D tensors (norms, biases) stay float32: they are tiny and llama.cpp expects them in f32. 2-D weights are
    quantized when their rows divide into 32-value blocks (Q8_0/Q4_0), else written as f16.
  * Tied embeddings: no output.weight; llama.cpp then reuses token_embd.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np

from dataforge.errors import UsageError
from dataforge.export.gguf_hparams import GEMMA, add_hparams, llama3_rope_factors, read_config, rope_kind
from dataforge.export.gguf_vocab import add_vocab

QTYPES = ("f16", "q8_0", "q4_0")


def permute_rope(w: np.ndarray, n_head: int) -> np.ndarray:
    """Rows of each head from halves order to interleaved pairs (see the module docstring)."""
    rows = w.shape[0]
    return w.reshape(n_head, 2, rows // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def unpermute_rope(w: np.ndarray, n_head: int) -> np.ndarray:
    """The inverse of permute_rope (used to check a written file against the HF weights)."""
    rows = w.shape[0]
    return w.reshape(n_head, rows // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def _ggml_type(qtype: str):
    import gguf

    return {"f16": gguf.GGMLQuantizationType.F16, "q8_0": gguf.GGMLQuantizationType.Q8_0,
            "q4_0": gguf.GGMLQuantizationType.Q4_0}[qtype]


def _file_type(qtype: str) -> int:
    import gguf

    return {"f16": gguf.LlamaFileType.MOSTLY_F16, "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
            "q4_0": gguf.LlamaFileType.MOSTLY_Q4_0}[qtype]


def _iter_state(model_dir: Path):
    """(name, float32 array) one tensor at a time, so peak memory is one tensor, not the model in float32."""
    from safetensors import safe_open

    files = sorted(model_dir.glob("*.safetensors"))
    if not files:
        raise UsageError(f"{model_dir}: no *.safetensors: run `dataforge export RUN_DIR --merge` first")
    for f in files:
        with safe_open(str(f), framework="pt") as st:
            for name in st.keys():
                yield name, st.get_tensor(name).float().numpy()


def gguf_tensors(state, cfg: dict, arch: str):
    """(gguf name, float32 array in GGUF layout) for every (HF name, array) of `state`; permutation here."""
    import gguf

    arch_enum = {"llama": gguf.MODEL_ARCH.LLAMA, "qwen2": gguf.MODEL_ARCH.QWEN2, "qwen3": gguf.MODEL_ARCH.QWEN3,
                 "gemma2": gguf.MODEL_ARCH.GEMMA2, "gemma3": gguf.MODEL_ARCH.GEMMA3}[arch]
    names = gguf.get_tensor_name_map(arch_enum, cfg["num_hidden_layers"])
    written = {gguf.TENSOR_NAMES[t] for t in gguf.MODEL_TENSORS[arch_enum]}
    n_head, n_kv = cfg["num_attention_heads"], cfg.get("num_key_value_heads") or cfg["num_attention_heads"]
    for hf_name, t in state:
        if hf_name.endswith("rotary_emb.inv_freq"):
            continue
        if hf_name == "lm_head.weight" and "output" not in written:
            # Gemma-2 always ties the output head to the embeddings in llama.cpp
            if cfg.get("tie_word_embeddings", True) is False:
                raise UsageError(f"{arch}: an untied lm_head: llama.cpp's {arch} reuses token_embd as the output "
                                 "head, so this model cannot be written as it is")
            continue
        name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if name is None:  # the name map holds only the architecture's own tensors
            raise UsageError(f"tensor {hf_name}: no GGUF name for it in architecture {arch}: this model has parts "
                             "llama.cpp's converter would have to handle")
        if arch == "llama" and hf_name.endswith("q_proj.weight"):
            t = permute_rope(t, n_head)
        elif arch == "llama" and hf_name.endswith("k_proj.weight"):
            t = permute_rope(t, n_kv)
        elif arch in GEMMA and hf_name.endswith("norm.weight"):
            t = t + 1.0
        yield name, t


def write_gguf(model_dir: Path, out: Path, qtype: str = "f16", progress: bool = False) -> dict:
    """Merged HF model folder -> one GGUF file. Returns a summary (arch, qtype, tensor types, tokenizer)."""
    from dataforge.run.loading import require

    gguf = require("gguf", "export")
    if qtype not in QTYPES:
        raise UsageError(f"--gguf {qtype}: expected one of {', '.join(QTYPES)}")
    cfg, arch = read_config(model_dir)
    n_vocab = cfg["vocab_size"]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    # use_temp_file: each tensor goes to a spooled temp file as it is added, instead of staying in memory
    w = gguf.GGUFWriter(str(tmp), arch, use_temp_file=True)
    w.add_name(model_dir.name)
    add_hparams(w, cfg, arch, n_vocab)
    w.add_file_type(_file_type(qtype))
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    vocab = add_vocab(w, model_dir, n_vocab)
    target = _ggml_type(qtype)
    counts: dict[str, int] = {}
    params = 0
    tensors = gguf_tensors(_iter_state(model_dir), cfg, arch)
    if rope_kind(cfg) == "llama3":
        tensors = itertools.chain(tensors, [("rope_freqs.weight", llama3_rope_factors(cfg))])
    for name, t in tensors:
        if t.ndim == 1:
            kind = gguf.GGMLQuantizationType.F32
        elif t.shape[-1] % 32 == 0:
            kind = target
        else:  # rows that do not split into 32-value blocks cannot be Q8_0/Q4_0
            kind = gguf.GGMLQuantizationType.F16
        w.add_tensor(name, gguf.quants.quantize(t.astype(np.float32), kind), raw_dtype=kind)
        counts[kind.name] = counts.get(kind.name, 0) + 1
        params += int(math.prod(t.shape))
    try:
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file(progress=progress)
    finally:
        w.close()
    tmp.replace(out)
    return {"path": str(out), "arch": arch, "qtype": qtype, "tensor_types": counts, "tokenizer": vocab,
            "bytes": out.stat().st_size, "params": params}
