"""`dataforge export RUN_DIR`: merge, then GGUF, then an Ollama Modelfile, into RUN_DIR/export/ (or --out)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from dataforge.errors import UsageError
from dataforge.progress import Say, silent
from dataforge.run.run_dir import open_run


@dataclass
class ExportOptions:
    merge: bool = False
    gguf: str | None = None        # f16 | q8_0 | q4_0
    ollama: bool = False
    checkpoint: str = "final"      # final | best | <step>
    dtype: str | None = None       # merge dtype; default: the base model's own (bfloat16 for QLoRA runs)
    out: str | None = None         # default RUN_DIR/export
    progress: bool = True          # a bar while the GGUF is written


def export_run(run_dir: str | Path, opts: ExportOptions, say: Say = silent) -> dict:
    if not (opts.merge or opts.gguf or opts.ollama):
        raise UsageError("nothing to export: add --merge, --gguf f16|q8_0|q4_0 and/or --ollama")
    if opts.ollama and not opts.gguf:
        raise UsageError("--ollama needs a GGUF to point at: add --gguf q4_0 (or f16, q8_0)")
    from dataforge.export.merge import merge_adapter
    from dataforge.run.overfitting import detect_overfitting

    run = open_run(run_dir)
    out = Path(opts.out) if opts.out else run.export_dir
    inputs = (run.path, run.adapter_dir, run.checkpoints_dir, run.base_model_dir)
    if any(out.resolve() == p.resolve() for p in inputs):
        raise UsageError(f"--out {out}: that folder holds the run's own files; export into a new folder "
                         f"(default: {run.export_dir})")
    best = None
    if opts.checkpoint == "best":
        log = run.losses()
        best = detect_overfitting(log.train, log.eval).best_step
    adapter = run.pick_adapter(opts.checkpoint, best)
    result: dict = {"run": str(run.path), "adapter": str(adapter), "merged": None, "gguf": None, "ollama": None}
    if run.is_quantized():
        say("QLoRA run: merging into a de-quantised base (bf16); outputs are close to, not equal to, the 4-bit "
            "model's (see docs/export.md)")
    merged = merge_adapter(run, out / "merged", adapter=adapter, dtype=opts.dtype)
    result["merged"] = str(merged)
    say(f"merged model: {merged}")
    if opts.gguf:
        from dataforge.export.gguf_export import write_gguf

        info = write_gguf(merged, out / f"model-{opts.gguf}.gguf", opts.gguf, progress=opts.progress)
        result["gguf"] = info
        say(f"GGUF ({opts.gguf}, {info['bytes'] / 2**20:.1f} MiB): {info['path']}")
    if opts.ollama:
        from dataforge.export.ollama import write_modelfile
        from dataforge.run.loading import load_tokenizer

        info = write_modelfile(load_tokenizer(str(merged)), Path(result["gguf"]["path"]), out / "Modelfile")
        result["ollama"] = info
        say(f"Modelfile: {info['path']} (stops: {', '.join(info['stops'])})"
            + (f"; {info['note']}" if info["note"] else ""))
    (out / "export.json").write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    return result
