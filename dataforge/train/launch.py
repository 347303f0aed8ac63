"""More than one GPU: re-run `dataforge train` under `accelerate launch` (DDP, or FSDP with a config file).

The quality gate runs once, here, before the workers start; they get --skip-gate plus the report's path and sha256
in the environment, and accept the verdict only from this run's own unchanged report (train/recipe.py). Shipped
accelerate configs: trainers/accelerate/ddp.yaml and fsdp_qlora.yaml.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from dataforge.errors import MissingDependency, UsageError
from dataforge.run.config import Recipe
from dataforge.train.recipes import trainers_dir

LAUNCHED = "DATAFORGE_LAUNCHED"


def accelerate_config(spec: str | None) -> str | None:
    """A path, or a shipped config's name (ddp, fsdp_qlora)."""
    if spec is None or os.path.isfile(spec):
        return spec
    shipped = trainers_dir() / "accelerate" / f"{spec.removesuffix('.yaml')}.yaml"
    if shipped.is_file():
        return str(shipped)
    raise UsageError(f"--accelerate-config: {spec}: no such file (shipped: ddp, fsdp_qlora)")


def launch(recipe: Recipe, recipe_spec: str, overrides: list[str], num_processes: int, config: str | None,
           skip_gate: bool, resume: bool, argv_extra: list[str]) -> int:
    if shutil.which("accelerate") is None and not _has_module("accelerate"):
        raise MissingDependency("accelerate", "train")
    from dataforge.train.recipe import (
        GATE_REPORT_ENV,
        GATE_SHA256_ENV,
        check_inputs,
        quality_gate,
        resolve_base_model,
        trained_tokenizer,
    )

    run = check_inputs(recipe, resume)
    env = dict(os.environ, **{LAUNCHED: "1"})
    env.pop(GATE_REPORT_ENV, None)
    env.pop(GATE_SHA256_ENV, None)
    if not skip_gate:
        run.path.mkdir(parents=True, exist_ok=True)
        base = resolve_base_model(recipe, run)
        if recipe.model.tokenizer:
            from dataforge.run.loading import resolve_model_source

            tokenizer = resolve_model_source(recipe.model.tokenizer, "model.tokenizer")
        else:
            tokenizer = base.path if base.name else str(run.path / base.path)
        gate = quality_gate(recipe, run, tokenizer, trained_tokenizer(recipe, tokenizer)[1])
        env[GATE_REPORT_ENV], env[GATE_SHA256_ENV] = gate.report_json, gate.report_sha256
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", str(num_processes)]
    if config:
        cmd += ["--config_file", accelerate_config(config)]
    cmd += ["-m", "dataforge", "train", recipe_spec, *overrides, "--skip-gate", *argv_extra]
    if resume:
        cmd.append("--resume")
    return subprocess.run(cmd, env=env).returncode


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None
