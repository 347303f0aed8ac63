"""Merge a LoRA adapter into its base: full safetensors + tokenizer, loadable without peft.

QLoRA runs: the adapter was trained against a 4-bit (NF4) base, but merging into 4-bit weights would round the
update away. dataforge loads the base *de-quantised* in bf16/fp16 (`--dtype`) and merges there. The merged model
therefore differs slightly from what training saw (the NF4 rounding of the base is gone); its outputs are close
to, not equal to, the QLoRA model's. Evaluate the merged model if that matters (see docs/export.md).
"""

from __future__ import annotations

import json
from pathlib import Path

from dataforge.errors import UsageError
from dataforge.export.inference_template import inference_template
from dataforge.run.loading import load_base, load_tokenizer, load_tuned
from dataforge.run.run_dir import RunDir

DTYPES = ("float32", "bfloat16", "float16")


def default_dtype(run: RunDir) -> str:
    """The precision the base model was published in (config.json's dtype), so a merge neither loses precision
    nor doubles the memory by upcasting; a QLoRA base (stored 4-bit) is de-quantised to bfloat16."""
    from transformers import AutoConfig

    try:
        cfg = AutoConfig.from_pretrained(run.base_model())
        published = str(getattr(cfg, "dtype", None) or getattr(cfg, "torch_dtype", None) or "float32")
    except OSError:
        published = "float32"
    published = published.replace("torch.", "")
    if run.is_quantized():
        return "float16" if published == "float16" else "bfloat16"
    return published if published in DTYPES else "float32"


def served_template(run: RunDir, trained: str | None) -> str | None:
    """The chat template the merged model is served with: the trained one without generation tags, except when
    training used TRL's variant of the tokenizer's own template: those are not always equivalent (Qwen3's always
    writes a <think> block), so the base tokenizer's own template is taken."""
    info = run.manifest.chat_template
    if info is not None and "TRL's generation markers" in info.source:
        return load_tokenizer(run.manifest.config.model.tokenizer or run.base_model()).chat_template
    return inference_template(trained)


def merge_adapter(run: RunDir, out_dir: Path, *, adapter: Path | None = None, dtype: str | None = None) -> Path:
    """merge_and_unload into out_dir (model.safetensors + config + tokenizer + dataforge_merge.json)."""
    adapter = adapter or run.final_adapter()
    if run.adapter_config().get("peft_type", "LORA") not in ("LORA", "IA3", "LOHA", "LOKR"):
        raise UsageError(f"{adapter}: peft_type {run.adapter_config().get('peft_type')} cannot be merged into the "
                         "base weights (prompt/prefix tuning): serve it with peft instead of --merge")
    dtype = dtype or default_dtype(run)
    if dtype not in DTYPES:
        raise UsageError(f"--dtype {dtype}: expected one of {', '.join(DTYPES)}")
    model = load_tuned(load_base(run.base_model(), dtype=dtype), adapter)
    merged = model.merge_and_unload()
    out_dir.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(out_dir, safe_serialization=True)
    tok = load_tokenizer(run.tokenizer_dir())
    tok.chat_template = served_template(run, tok.chat_template)
    tok.save_pretrained(out_dir)
    note = {"base_model": run.base_model(), "adapter": str(adapter), "dtype": dtype,
            "quantized_base_dequantised": run.is_quantized()}
    (out_dir / "dataforge_merge.json").write_text(json.dumps(note, indent=2), encoding="utf-8")
    return out_dir
