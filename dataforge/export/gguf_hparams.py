"""The GGUF architecture and hyper-parameter keys of a Hugging Face config.json, as llama.cpp reads them.

Supported: Llama, Mistral (written as "llama"), Qwen2, Qwen3, Gemma-2 and Gemma-3 (text models). What llama.cpp
computes itself and so is *checked* here rather than written:
  * Gemma scales queries by 1/sqrt(head_dim) (1/sqrt(hidden/heads) for the 27B layer counts), not by the config's
    query_pre_attn_scalar: a config where the two differ would run differently, so it is refused.
  * Gemma multiplies the token embeddings by sqrt(hidden_size) in its graph, as transformers does: nothing to write.
Sliding-window layers are written as an explicit per-layer pattern (config.json's layer_types), and Gemma-3's
local RoPE base (10k, the global one is 1M) as rope.freq_base_swa, so nothing depends on llama.cpp's defaults.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from dataforge.errors import UsageError

ARCH_BY_MODEL_TYPE = {"llama": "llama", "mistral": "llama", "qwen2": "qwen2", "qwen3": "qwen3",
                      "gemma2": "gemma2", "gemma3_text": "gemma3"}
GEMMA = ("gemma2", "gemma3")
# llama.cpp's layer counts of the 27B Gemma models, whose query scale is 1/sqrt(hidden/heads)
_GEMMA_27B_LAYERS = {"gemma2": 46, "gemma3": 62}


def read_config(model_dir: Path) -> tuple[dict, str]:
    cfg = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    model_type = cfg.get("model_type", "")
    arch = ARCH_BY_MODEL_TYPE.get(model_type)
    if arch is None:
        hint = (" (multimodal Gemma-3: save its language model alone as Gemma3ForCausalLM, model_type "
                "gemma3_text)") if model_type == "gemma3" else ""
        raise UsageError(f"{model_dir / 'config.json'}: model_type {model_type!r}: --gguf supports "
                         f"{', '.join(sorted(ARCH_BY_MODEL_TYPE))}{hint}; use llama.cpp's convert_hf_to_gguf.py "
                         "for others")
    return cfg, arch


def head_dim(cfg: dict) -> int:
    return cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]


def rope_of(cfg: dict, layer_type: str = "full_attention") -> dict:
    """The RoPE settings of one kind of layer. transformers 5 nests them by layer type for Gemma-3
    ({"full_attention": {...}, "sliding_attention": {...}}); older configs keep rope_theta/rope_scaling flat."""
    rope = cfg.get("rope_parameters") or cfg.get("rope_scaling") or {}
    if layer_type in rope or "full_attention" in rope:
        return rope.get(layer_type) or {}
    if layer_type == "sliding_attention":  # a flat Gemma-3 config: local layers unscaled, at rope_local_base_freq
        return {"rope_type": "default", "rope_theta": cfg.get("rope_local_base_freq", 10000.0)}
    return rope


def rope_theta(cfg: dict, layer_type: str = "full_attention", default: float = 10000.0) -> float:
    return float(rope_of(cfg, layer_type).get("rope_theta") or cfg.get("rope_theta") or default)


def rope_kind(cfg: dict) -> str:
    rope = rope_of(cfg)
    return rope.get("rope_type") or rope.get("type") or "default"


def add_hparams(w, cfg: dict, arch: str, n_vocab: int) -> None:
    import gguf

    n_head = cfg["num_attention_heads"]
    dim = head_dim(cfg)
    w.add_context_length(cfg.get("max_position_embeddings", 4096))
    w.add_embedding_length(cfg["hidden_size"])
    w.add_block_count(cfg["num_hidden_layers"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(n_head)
    w.add_head_count_kv(cfg.get("num_key_value_heads") or n_head)
    w.add_key_length(dim)
    w.add_value_length(dim)
    w.add_rope_dimension_count(dim)
    w.add_layer_norm_rms_eps(cfg.get("rms_norm_eps", 1e-6 if arch in GEMMA else 1e-5))
    w.add_rope_freq_base(rope_theta(cfg, default=1_000_000.0 if arch == "gemma3" else 10000.0))
    w.add_vocab_size(n_vocab)
    kind = rope_kind(cfg)
    if kind == "linear":
        w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        w.add_rope_scaling_factor(float(rope_of(cfg)["factor"]))
    elif kind not in ("default", "llama3") or (kind == "llama3" and arch != "llama"):
        raise UsageError(f"config.json: rope scaling {kind!r} is not supported by --gguf for {arch}: use "
                         "llama.cpp's convert_hf_to_gguf.py")
    if arch in GEMMA:
        _add_gemma(w, cfg, arch)
    elif cfg.get("use_sliding_window") and cfg.get("sliding_window"):
        raise UsageError(f"config.json: use_sliding_window with {arch}: llama.cpp runs {arch} with full attention; "
                         "set use_sliding_window=false (the published Qwen models have it off)")


def _add_gemma(w, cfg: dict, arch: str) -> None:
    n_layer, dim = cfg["num_hidden_layers"], head_dim(cfg)
    llama_cpp_scalar = cfg["hidden_size"] / cfg["num_attention_heads"] \
        if n_layer == _GEMMA_27B_LAYERS[arch] else dim
    scalar = cfg.get("query_pre_attn_scalar", dim)
    if scalar != llama_cpp_scalar:
        raise UsageError(f"config.json: query_pre_attn_scalar {scalar}: llama.cpp scales {arch} queries by "
                         f"1/sqrt({llama_cpp_scalar:g}) for {n_layer} layers, so this model would compute "
                         "differently there; --gguf writes only models llama.cpp runs as transformers does")
    if arch == "gemma2":
        w.add_attn_logit_softcapping(float(cfg.get("attn_logit_softcapping") or 0.0))
        w.add_final_logit_softcapping(float(cfg.get("final_logit_softcapping") or 0.0))
    else:
        if cfg.get("attn_logit_softcapping"):
            raise UsageError("config.json: attn_logit_softcapping with gemma3: llama.cpp's gemma3 has no attention "
                             "softcapping; set it to null (as the published Gemma-3 models do)")
        if cfg.get("final_logit_softcapping"):
            w.add_final_logit_softcapping(float(cfg["final_logit_softcapping"]))
        w.add_rope_freq_base_swa(rope_theta(cfg, "sliding_attention", default=10000.0))
        if rope_of(cfg, "sliding_attention").get("rope_type", "default") != "default":
            raise UsageError("config.json: scaled RoPE on Gemma-3's sliding layers: llama.cpp scales only the "
                             "global layers; use llama.cpp's convert_hf_to_gguf.py")
    layer_types = cfg.get("layer_types")
    if not layer_types:  # configs saved before transformers wrote layer_types: its own default pattern
        from transformers import AutoConfig

        layer_types = AutoConfig.for_model(**cfg).layer_types
    sliding = [t == "sliding_attention" for t in layer_types]
    if any(sliding) and not cfg.get("sliding_window"):
        raise UsageError("config.json: sliding_attention layers without a sliding_window size")
    if any(sliding):
        w.add_sliding_window(int(cfg["sliding_window"]))
    # explicit per-layer flags: llama.cpp's defaults (every 2nd / 6 layers) are not what every config says
    w.add_sliding_window_pattern(sliding)


def llama3_rope_factors(cfg: dict) -> np.ndarray:
    """Llama 3.1+ stretches low RoPE frequencies; llama.cpp reads the per-frequency divisors from `rope_freqs`.
    transformers computes the scaled inverse frequencies itself: the factors are plain / scaled."""
    from transformers import AutoConfig
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    config = AutoConfig.for_model(**cfg)
    scaled, _ = ROPE_INIT_FUNCTIONS["llama3"](config, "cpu")
    dim = head_dim(cfg)
    plain = 1.0 / rope_theta(cfg) ** (np.arange(0, dim, 2, dtype=np.float64) / dim)
    return (plain / scaled.double().numpy()).astype(np.float32)
