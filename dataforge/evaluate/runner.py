"""`dataforge evaluate RUN_DIR`: verdict from the logs, then perplexity, generation metrics and the forgetting
probe from the model, into RUN_DIR/eval/report.{json,html}. Reads top to bottom."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dataforge.errors import InputError
from dataforge.progress import Say, silent
from dataforge.run.overfitting import OverfittingConfig, detect_overfitting
from dataforge.run.run_dir import RunDir, open_run


@dataclass
class EvaluateOptions:
    data: str | None = None            # held-out file; default: the run's val.jsonl (what training evaluated on)
    probe: str | None = None           # forgetting probe file; default: dataforge's Turkish probe set
    checkpoint: str = "final"          # final | best | <step>
    max_samples: int = 50              # generation is the slow part: cap the records it runs on
    max_new_tokens: int = 128
    forgetting_threshold: float = 0.10
    overfitting: OverfittingConfig | None = None
    skip_model: bool = False           # only the log-based verdict and plots (no torch needed)
    device: str | None = None
    progress: bool = True              # a bar while answers are generated
    compare_base: bool = True          # also generate with the adapter off: base vs tuned side by side (2x time)


def evaluate_run(run_dir: str | Path, opts: EvaluateOptions | None = None, say: Say = silent) -> dict:
    from dataforge.run.loading import require

    opts = opts or EvaluateOptions()
    for module in ("matplotlib",) + (() if opts.skip_model else ("sacrebleu", "rouge_score")):
        require(module, "evaluate")
    run = open_run(run_dir)
    out_dir = run.eval_dir

    # 1. the logs: verdict, gap and plot (no model needed)
    log = run.losses()
    verdict = detect_overfitting(log.train, log.eval, opts.overfitting)
    best_ckpt = run.checkpoints().get(verdict.best_step) if verdict.best_step is not None else None
    from dataforge.evaluate.plots import loss_curves

    plot = loss_curves(log.train, log.eval, verdict, out_dir / "loss_curves.png") if log.train or log.eval else None
    report = {"run": str(run.path), "base_model": None, "adapter": None, "overfitting": verdict.as_json(),
              "best_checkpoint": str(best_ckpt) if best_ckpt else None,
              "trainer_best_checkpoint": log.trainer_best_checkpoint,
              "plots": {"loss_curves": plot.name if plot else None},
              "perplexity": None, "generation": None, "forgetting": None}
    say(f"{run.path}: {verdict.verdict} (best step {verdict.best_step}, onset {verdict.onset_step})")

    if not opts.skip_model:
        report.update(_model_metrics(run, opts, verdict.best_step, say))

    from dataforge.evaluate.report import write_html, write_json

    report["paths"] = {"json": str(out_dir / "report.json"), "html": str(out_dir / "report.html")}
    write_json(report, out_dir / "report.json")
    write_html(report, plot, out_dir / "report.html")
    return report


def _model_metrics(run: RunDir, opts: EvaluateOptions, best_step: int | None, say: Say) -> dict:
    from dataforge.evaluate.forgetting import forgetting
    from dataforge.evaluate.generation import generation_scores
    from dataforge.evaluate.perplexity import chat_format, perplexity
    from dataforge.run.loading import default_device, load_base, load_tokenizer, load_tuned

    held_out, data = _held_out(run, opts, say)
    examples = held_out.examples
    adapter = run.pick_adapter(opts.checkpoint, best_step)
    device = opts.device or default_device()
    say(f"loading {run.base_model()} + {adapter} on {device}")
    tok = load_tokenizer(run.tokenizer_dir())
    model = load_tuned(load_base(run.base_model(), device=device), adapter)
    max_length = run.max_length
    fmt = chat_format(tok, run.manifest.chat_template)  # the encoding and loss mask training used
    tuned = perplexity(model, tok, examples, max_length=max_length, fmt=fmt)
    with model.disable_adapter():
        base = perplexity(model, tok, examples, max_length=max_length, fmt=fmt)
    say(f"perplexity on {data}: tuned {tuned.perplexity:.3f}, base {base.perplexity:.3f}")
    sample = examples[:opts.max_samples]
    say(f"generating {len(sample)} answers (greedy, up to {opts.max_new_tokens} tokens each)")
    from dataforge.progress import progress

    with progress("generate", len(sample), quiet=not opts.progress) as advance:
        gen = generation_scores(model, tok, sample, max_new_tokens=opts.max_new_tokens,
                                progress=lambda: advance(1), fmt=fmt)
    say(f"chrF {gen.chrf:.2f}, BLEU {gen.bleu:.2f}, ROUGE-L {gen.rouge_l:.2f}")
    generation = gen.as_json()
    if opts.compare_base:
        # the same prompts, template and greedy decoding with the adapter off: what fine-tuning changed
        with progress("generate (base)", len(sample), quiet=not opts.progress) as advance, model.disable_adapter():
            base_gen = generation_scores(model, tok, sample, max_new_tokens=opts.max_new_tokens,
                                         progress=lambda: advance(1), fmt=fmt)
        say(f"base model: chrF {base_gen.chrf:.2f}, BLEU {base_gen.bleu:.2f}, ROUGE-L {base_gen.rouge_l:.2f}")
        generation["base"] = {"chrf": base_gen.chrf, "bleu": base_gen.bleu, "rouge_l": base_gen.rouge_l}
        for ex, base_ex in zip(generation["examples"], base_gen.examples, strict=True):
            ex["base_output"] = base_ex["output"]
    forgot = forgetting(model, tok, opts.probe, opts.forgetting_threshold, fmt=fmt)
    say(f"forgetting probe: perplexity base {forgot.base_perplexity:.3f} -> tuned {forgot.tuned_perplexity:.3f}"
        f"{' (FLAGGED)' if forgot.flagged else ''}")
    return {"base_model": run.base_model(), "adapter": str(adapter),
            "perplexity": {"data": str(data), "records": tuned.records, "tokens": tuned.tokens,
                           "invalid_records": held_out.invalid, "max_length": max_length,
                           "tuned": tuned.perplexity, "base": base.perplexity,
                           "tuned_mean_cross_entropy": tuned.mean_cross_entropy},
            "generation": generation, "forgetting": forgot.as_json()}


def _held_out(run: RunDir, opts: EvaluateOptions, say: Say):
    """--data, else the run's val.jsonl (the records training held out); (Loaded, description)."""
    from dataforge.evaluate.examples import load_examples

    path = opts.data or run.val_records_file()
    if path is None:
        raise InputError(f"{run.path}: training held no records out (data.val_fraction=0 and no data.val): pass "
                         "--data FILE with held-out records")
    loaded = load_examples(path, on_problem=lambda p: say(f"held-out data: {p}"))
    if loaded.invalid:
        say(f"held-out data: {loaded.invalid} invalid records in {path} not evaluated (listed above)")
    return loaded, str(path)
