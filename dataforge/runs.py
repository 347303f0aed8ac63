"""`dataforge runs [DIR]`: one row per run directory, from the files the run wrote (no model loading)."""

from __future__ import annotations

import json
from pathlib import Path

from dataforge.errors import DataforgeError, InputError
from dataforge.run.manifest import GateInfo
from dataforge.run.overfitting import detect_overfitting
from dataforge.run.run_dir import RunDir, open_run

COLUMNS = ("run", "status", "recipe", "data", "gate", "best_val_loss", "verdict", "exports")


def _gate(gate: GateInfo | None) -> str:
    if gate is None:
        return "-"
    if gate.skipped:
        return "skipped"
    return "passed" if gate.passed else "failed"


def _exports(run: RunDir) -> list[str]:
    export = run.export_dir
    if not export.is_dir():
        return []
    found = [export / "merged"] if (export / "merged" / "config.json").exists() else []
    found += sorted(export.glob("*.gguf")) + [p for p in (export / "Modelfile",) if p.exists()]
    return [str(p) for p in found]


def run_row(path: Path) -> dict:
    run = open_run(path)
    log = run.losses()
    report = run.eval_dir / "report.json"
    if report.exists():  # the evaluated verdict (same detector; its thresholds may have been changed)
        verdict = json.loads(report.read_text(encoding="utf-8"))["overfitting"]["verdict"]
    else:
        verdict = detect_overfitting(log.train, log.eval).verdict + " (not evaluated)"
    m = run.manifest
    return {"run": str(path), "status": run.status(), "recipe": Path(m.recipe.path).name,
            "data": run.data_fingerprint() or "-", "gate": _gate(m.quality_gate),
            "best_val_loss": min((v for _, v in log.eval), default=None), "verdict": verdict,
            "exports": _exports(run)}


def list_runs(root: str | Path = "runs") -> list[dict]:
    """Every run directory directly under `root` (or `root` itself when it is one), newest first."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: no such directory: pass the folder that holds your runs (default: runs/)")
    if (root / "manifest.json").exists():
        return [run_row(root)]
    dirs = [p for p in root.iterdir() if p.is_dir() and (p / "manifest.json").exists()]
    return [_row_or_problem(p) for p in sorted(dirs, key=lambda p: p.stat().st_mtime, reverse=True)]


def _row_or_problem(path: Path) -> dict:
    """A run the listing cannot read (written by an older dataforge, a hand-edited manifest) is one row that says
    so, with the reason under `problem`: one old run must not hide the others."""
    try:
        return run_row(path)
    except DataforgeError as exc:
        return {**dict.fromkeys(COLUMNS), "run": str(path), "status": "unreadable", "exports": [],
                "problem": exc.lines()[0]}
