"""manifest.json: what was trained on what. Written when a run starts (status "running") and again at its end."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from dataforge import __version__
from dataforge.io import AtomicWriter

PACKAGES = ("torch", "transformers", "peft", "trl", "accelerate", "datasets", "bitsandbytes", "tokenizers")


def sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version(), "dataforge": __version__}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_commit() -> str | None:
    """The commit of the checkout dataforge runs from (None when installed from a wheel)."""
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def data_files(paths: list[str]) -> list[dict[str, Any]]:
    return [{"path": p, "sha256": sha256(p), "bytes": Path(p).stat().st_size} for p in paths]


def write_manifest(run_dir: Path, manifest: dict[str, Any]) -> Path:
    path = run_dir / "manifest.json"
    if os.environ.get("RANK", "0") != "0":  # under accelerate launch only the main process writes it
        return path
    manifest["updated"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    writer = AtomicWriter(path)
    writer.write(json.dumps(manifest, ensure_ascii=False, indent=2, default=str).encode() + b"\n")
    writer.commit()
    return path


def new_manifest(recipe, recipe_path: Path, argv: list[str] | None = None) -> dict[str, Any]:
    return {
        "manifest_version": 1,
        "status": "running",
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": argv if argv is not None else sys.argv,
        "recipe": {"path": str(recipe_path), "sha256": sha256(recipe_path)},
        "config": recipe.model_dump(mode="json"),
        "method": recipe.method,
        "seed": recipe.seed,
        "versions": versions(),
        "git_commit": git_commit(),
    }
