"""The SFT recipe, top to bottom: config -> quality gate -> data -> tokenizer and chat template -> label-mask
check -> model -> PEFT -> TRL SFTTrainer -> adapter, tokenizer and manifest.json in the run directory.

Run directory (docs/train.md): manifest.json, quality/, checkpoints/checkpoint-N/, adapter/, logs/, metrics.json,
and base_model/ when the recipe names no model (the tiny demo model is built there).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from dataforge.errors import DataError, MissingDependency, UsageError
from dataforge.train.config import Recipe
from dataforge.train.data import load_examples, split_examples, to_dataset
from dataforge.train.manifest import data_files, new_manifest, write_manifest


def _stderr(text: str) -> None:
    print(text, file=sys.stderr)


def resolve_base_model(recipe: Recipe, run_dir: Path) -> str:
    """model.name, or a tiny Llama built from the training data's text when the recipe names none."""
    if recipe.model.name:
        return recipe.model.name
    from dataforge.train.tiny import build_tiny, texts_of

    return str(build_tiny(run_dir / "base_model", texts_of(recipe.data.train), seed=recipe.seed))


def quality_gate(recipe: Recipe, run_dir: Path, tokenizer: str) -> dict:
    """The `dataforge check` suite on the training data; a failure stops the run (exit 1)."""
    try:
        from dataforge.quality.gate import run_gate
    except ImportError as exc:
        raise UsageError("the quality gate (dataforge.quality) is not available in this install: install it, or "
                         "pass --skip-gate (recorded in the manifest)") from exc
    result = run_gate(recipe.data.train + recipe.data.val, suite=recipe.gate.suite,
                      report_dir=str(run_dir / "quality"), tokenizer=tokenizer,
                      max_seq_len=recipe.train.max_length, lang=recipe.gate.lang)
    checks = result.summary.get("checks", [])
    gate = {"skipped": False, "passed": result.passed, "report_json": result.report_json,
            "report_html": result.report_html, "records": result.summary.get("records"),
            "failed_checks": [c.get("name") for c in checks if not c.get("passed")]}
    if not result.passed:
        raise DataError(f"quality gate failed: see {result.report_html} (or {result.report_json}); fix the data "
                        "with `dataforge clean`, or pass --skip-gate to train anyway")
    return gate


def check_run_dir(run_dir: Path, resume: bool) -> None:
    has_checkpoints = any((run_dir / "checkpoints").glob("checkpoint-*"))
    if resume and not has_checkpoints:
        raise UsageError(f"--resume: no checkpoint in {run_dir / 'checkpoints'} to resume from")
    if not resume and (has_checkpoints or (run_dir / "adapter").exists()):
        raise UsageError(f"{run_dir} already holds a run: pass --resume to continue it, or set output_dir=... "
                         "(or name=...) for a new one")


def train(recipe: Recipe, recipe_path: Path, *, skip_gate: bool = False, resume: bool = False,
          say: Callable[[str], None] = _stderr, callbacks: list | None = None, argv: list[str] | None = None,
          quiet: bool = False) -> Path:
    """Train one recipe into its run directory and return that directory."""
    # 1. config: the run directory, and the base model (built locally for the tiny demo)
    run_dir = recipe.run_dir
    check_run_dir(run_dir, resume)
    run_dir.mkdir(parents=True, exist_ok=True)
    for report in recipe.train.report_to:
        if report == "mlflow":
            try:
                import mlflow  # noqa: F401
            except ImportError as exc:
                raise MissingDependency("mlflow", "mlflow") from exc
    manifest = new_manifest(recipe, recipe_path, argv)
    base = resolve_base_model(recipe, run_dir)
    tokenizer_path = recipe.model.tokenizer or base
    manifest["base_model"] = {"name": recipe.model.name, "path": base}

    # 2. quality gate on the training data
    launched_gate = os.environ.get("DATAFORGE_GATE_REPORT")  # set by launch.py, which ran the gate before the workers
    if skip_gate and launched_gate:
        manifest["quality_gate"] = {"skipped": False, "passed": True, "report_json": launched_gate}
    elif skip_gate:
        manifest["quality_gate"] = {"skipped": True}
        say("quality gate: skipped (--skip-gate), recorded in the manifest")
    else:
        manifest["quality_gate"] = quality_gate(recipe, run_dir, tokenizer_path)
        say(f"quality gate: passed ({manifest['quality_gate']['report_html']})")

    # 3. data, any supported format
    examples = load_examples(recipe.data.train, recipe.data.format)
    if recipe.data.val:
        train_ex, val_ex = examples, load_examples(recipe.data.val, recipe.data.format)
    else:
        train_ex, val_ex = split_examples(examples, recipe.data.val_fraction, recipe.seed)
    manifest["data"] = {"train": data_files(recipe.data.train), "val": data_files(recipe.data.val),
                        "train_records": len(train_ex), "val_records": len(val_ex),
                        "val_from": "data.val" if recipe.data.val else f"val_fraction={recipe.data.val_fraction}"}
    say(f"data: {len(train_ex)} train records, {len(val_ex)} val records")

    # 4. tokenizer and chat template
    from dataforge.train.chat_template import choose_template, end_of_turn_ids
    from dataforge.train.model import load_tokenizer

    tokenizer = load_tokenizer(tokenizer_path, recipe.model.trust_remote_code)
    template, origin = choose_template(tokenizer, recipe.chat.template, recipe.chat.force,
                                       recipe.train.assistant_only_loss)
    stop_ids = end_of_turn_ids(tokenizer, recipe.chat.end_of_turn)
    manifest["chat_template"] = {"source": origin, "template": template,
                                 "end_of_turn": [tokenizer.convert_ids_to_tokens(i) for i in stop_ids]}

    # 5. label-mask check, before any weights are loaded
    from dataforge.train.labels import check_labels, render_labels

    for ex in train_ex[: recipe.train.show_labels]:
        say(render_labels(tokenizer, ex, recipe.train.max_length, recipe.train.assistant_only_loss))
    mask = check_labels(train_ex + val_ex, tokenizer, recipe.train.max_length, stop_ids,
                        recipe.train.assistant_only_loss, limit=recipe.train.mask_check_records)
    manifest["label_check"] = mask.as_json()
    say(mask.summary(recipe.train.max_length))
    write_manifest(run_dir, manifest)

    # 6-8. model, PEFT, trainer
    from dataforge.train.model import load_model, peft_config
    from dataforge.train.trainer import build_trainer

    model = load_model(recipe, base)
    trainer = build_trainer(recipe, run_dir, model, tokenizer, peft_config(recipe, tokenizer_path),
                            to_dataset(train_ex), to_dataset(val_ex) if val_ex else None, callbacks or [], quiet)
    say(f"training: {recipe.method}, {trainable_summary(trainer.model)}")
    try:
        result = trainer.train(resume_from_checkpoint=True if resume else None)
    except BaseException:
        manifest["status"] = "interrupted"
        write_manifest(run_dir, manifest)
        raise

    # 9. adapter, tokenizer, metrics, manifest
    trainer.save_model(str(run_dir / "adapter"))
    tokenizer.save_pretrained(str(run_dir / "adapter"))
    metrics = {"train": result.metrics, "eval": trainer.evaluate() if val_ex else None,
               "log_history": trainer.state.log_history}
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2, default=str) + "\n", encoding="utf-8")
    manifest.update(status="completed", global_step=trainer.state.global_step,
                    best_checkpoint=trainer.state.best_model_checkpoint,
                    train_loss=result.metrics.get("train_loss"),
                    eval_loss=(metrics["eval"] or {}).get("eval_loss"),
                    paths={"adapter": "adapter", "tokenizer": "adapter", "checkpoints": "checkpoints",
                           "logs": "logs", "metrics": "metrics.json",
                           "quality_report": manifest["quality_gate"].get("report_json")})
    write_manifest(run_dir, manifest)
    say(f"done: adapter in {run_dir / 'adapter'}, manifest {run_dir / 'manifest.json'}")
    return run_dir


def trainable_summary(model) -> str:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return f"{trainable:,} trainable of {total:,} parameters ({100 * trainable / max(total, 1):.3f}%)"
