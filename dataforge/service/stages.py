"""Every call from the service into the library, one function per job kind, so that a change in a stage's
signature touches only this file. Each runs inside the job's own process (see worker.py) and returns a JSON
result; files it names under "versions" become new dataset versions with lineage."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dataforge.errors import UsageError
from dataforge.service.errors import ServiceError

# the recipes under trainers/ (one owner: train.recipes.SHIPPED); a hand-kept copy here had drifted ("prefix",
# "prompt" instead of prefix-tuning, prompt-tuning; no p-tuning or smollm2-cpu)
from dataforge.train.recipes import SHIPPED as SHIPPED_RECIPES

Progress = Callable[[str, int, int], None]  # stage, done, total

# recipe keys a client may not set: the service picks the data (the job's inputs) and the run directory
RESERVED_RECIPE_KEYS = ("data.train", "data.val", "output_dir")


def run_check(inputs: list[str], params: dict, out: str, progress: Progress) -> dict:
    from dataforge.quality.gate import run_gate

    progress("check", 0, 1)
    r = run_gate(inputs, suite=params["suite"], report_dir=out, max_seq_len=params["max_seq_len"],
                 lang=params["lang"], backend=params["lang_backend"], data_docs=params["data_docs"],
                 progress=lambda msg: print(f"check: {msg}", flush=True))
    progress("check", 1, 1)
    s = r.summary
    return {"passed": r.passed, "records": s["records"], "report": "report.html", "report_json": "report.json",
            "failed_checks": list(r.failed_checks),
            "checks": [{"name": c["name"], "passed": c["passed"], "flagged": c["flagged"],
                        "gated": c.get("gated", True)} for c in s["checks"]]}


def run_clean(inputs: list[str], params: dict, out: str, progress: Progress) -> dict:
    from dataforge.clean import clean

    path = _one(inputs)
    progress("clean", 0, 1)
    dest = os.path.join(out, "clean.jsonl")  # clean writes JSONL in the input's format
    s = clean(path, dest, dedup=params["dedup"], redact_pii=params["redact_pii"],
              fix_mojibake_=params["fix_mojibake"], lang=params["lang"], drops=os.path.join(out, "drops.jsonl"))
    progress("clean", 1, 1)
    return {"summary": s.as_json(), "versions": {"clean": "clean.jsonl"}}


def run_split(inputs: list[str], params: dict, out: str, progress: Progress) -> dict:
    from dataforge.quality.split import split

    progress("split", 0, 1)
    s = split(_one(inputs), out, val=params["val"], test=params["test"], seed=params["seed"])
    progress("split", 1, 1)
    made = {role: f"{role}.jsonl" for role in ("train", "val", "test")
            if os.path.exists(os.path.join(out, f"{role}.jsonl")) and s.counts.get(role)}
    summary = s.as_json()
    summary.pop("files", None)  # server paths: the versions below name the files
    return {"summary": summary, "counts": dict(s.counts), "versions": made}


def run_augment(inputs: list[str], params: dict, out: str, progress: Progress) -> dict:
    from dataforge.augment import build_augmenter, build_filters
    from dataforge.augment.config import load_config
    from dataforge.augment.run import augment_file

    # "dataset" (where derived versions go) is the job's, not the augmenter's
    cfg = load_config({k: v for k, v in params.items() if k != "dataset"})
    if cfg.method != "synonym":  # model answers are cached in the job folder, as the CLI does next to the output
        cfg.cache = os.path.join(out, "cache.sqlite")
    progress("augment", 0, 1)
    s = augment_file(_one(inputs), os.path.join(out, "augmented.jsonl"), cfg, build_augmenter(cfg),
                     build_filters(cfg), progress=False)
    progress("augment", 1, 1)
    return {"summary": s.as_json(), "versions": {"augmented": "augmented.jsonl"}}


def check_train_params(params: dict) -> dict:
    """{"recipe": a shipped recipe name, "overrides": {key: value}}: validated by the recipe's own config."""
    unknown = set(params) - {"recipe", "overrides"}
    if unknown:
        key = sorted(unknown)[0]
        raise ServiceError(422, "invalid", f"params.{key}: unknown key; valid keys: recipe, overrides",
                           f"params.{key}")
    recipe = params.get("recipe", "tiny-cpu")
    if recipe not in SHIPPED_RECIPES:
        raise ServiceError(422, "invalid", f"params.recipe: {recipe!r} is not a shipped recipe "
                                           f"({', '.join(SHIPPED_RECIPES)})", "params.recipe")
    overrides = params.get("overrides") or {}
    if not isinstance(overrides, dict):
        raise ServiceError(422, "invalid", "params.overrides: expected an object {key: value}", "params.overrides")
    for key in overrides:
        if key in RESERVED_RECIPE_KEYS:
            raise ServiceError(422, "invalid", f"params.overrides.{key}: set by the service", f"params.overrides.{key}")
    from dataforge.train.recipes import load_recipe, override_pairs

    try:
        load_recipe(recipe, override_pairs(overrides))
    except UsageError as exc:
        field = exc.problems[0].field if exc.problems else "overrides"
        raise ServiceError(422, "invalid", "; ".join(f"params.overrides.{p.field}: {p.message}"
                                                     for p in exc.problems) or str(exc),
                           f"params.overrides.{field}") from None
    return {"recipe": recipe, "overrides": overrides}


def run_train(inputs: list[str], params: dict, out: str, progress: Progress, gate: dict | None = None) -> dict:
    import json

    from dataforge.train.recipe import train
    from dataforge.train.recipes import load_recipe, override_pairs

    run_dir = os.path.join(out, "run")
    overrides = override_pairs(params["overrides"]) + [f"data.train={json.dumps(inputs)}", f"output_dir={run_dir}"]
    recipe, path = load_recipe(params["recipe"], overrides)
    progress("train", 0, recipe.train.max_steps or 0)
    # the service ran the gate before accepting the job (and recorded any override): no second check here
    if recipe.train.num_gpus > 1:  # one process per GPU, on the GPUs this job was given
        _launch(recipe, params["recipe"], overrides)
    else:
        train(recipe, path, skip_gate=True, say=lambda text: print(text, flush=True), callbacks=[_steps(progress)])
    _record_in_manifest(run_dir, gate)
    return {"run": "run", "manifest": "run/manifest.json"}


def _launch(recipe: Any, spec: str, overrides: list[str]) -> None:
    """`accelerate launch --num_processes train.num_gpus` of `dataforge train` (no step progress: the steps are
    counted in other processes)."""
    from dataforge.errors import DataforgeError
    from dataforge.train.launch import launch

    n = recipe.train.num_gpus
    code = launch(recipe, spec, overrides, n, None, skip_gate=True, resume=False, argv_extra=["--quiet"])
    if code != 0:
        raise DataforgeError(f"accelerate launch of {n} training processes exited with code {code}: see the "
                             "job's log")


def _steps(progress: Progress):  # noqa: ANN202
    """A transformers callback that reports the optimizer steps as the job's progress."""
    from transformers import TrainerCallback

    class Steps(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):  # noqa: ANN001, ANN003, ANN201
            progress("train", state.global_step, state.max_steps)

    return Steps()


def _record_in_manifest(run_dir: str, service: dict | None) -> None:
    """The service's gate (or the override: user, reason) and the data version ids go into manifest.json, through
    the run layer's typed manifest."""
    from dataforge.run.manifest import ServiceRecord
    from dataforge.run.run_dir import open_run

    if service is None or not os.path.exists(os.path.join(run_dir, "manifest.json")):
        return
    run = open_run(run_dir)
    manifest = run.manifest
    manifest.service = ServiceRecord.model_validate(service)
    run.write_manifest(manifest)


def run_evaluate(inputs: list[str], params: dict, out: str, progress: Progress, run_dir: str = "") -> dict:
    import shutil

    from dataforge.evaluate.runner import EvaluateOptions, evaluate_run

    progress("evaluate", 0, 1)
    report = evaluate_run(run_dir, EvaluateOptions(max_samples=params["max_samples"],
                                                   max_new_tokens=params["max_new_tokens"],
                                                   skip_model=params["logs_only"], device="cpu", progress=False))
    for key, name in (("html", "report.html"), ("json", "report.json")):  # downloadable from this job too
        src = report.get("paths", {}).get(key)
        if src and os.path.exists(src):
            shutil.copyfile(src, os.path.join(out, name))
    progress("evaluate", 1, 1)
    return {"verdict": report.get("overfitting", {}).get("verdict"), "report": "report.html",
            "report_json": "report.json"}


def run_export(inputs: list[str], params: dict, out: str, progress: Progress, run_dir: str = "") -> dict:
    from dataforge.export.runner import ExportOptions, export_run

    progress("export", 0, 1)
    result = export_run(run_dir, ExportOptions(merge=params["merge"], gguf=params["gguf"], ollama=params["ollama"],
                                               out=os.path.join(out, "export"), progress=False))
    command = vllm_command(run_dir, os.path.basename(out))
    with open(os.path.join(out, "export", "vllm_serve.sh"), "w", encoding="utf-8") as fh:
        fh.write("#!/bin/sh\n# production: this run's adapter on vLLM's multi-LoRA server (add more --lora-modules)\n"
                 + command + "\n")
    progress("export", 1, 1)
    files = sorted(os.path.relpath(os.path.join(r, n), out) for r, _d, ns in os.walk(os.path.join(out, "export"))
                   for n in ns)
    return {"files": files, "summary": _relative(result, out), "vllm_command": command}


def vllm_command(run_dir: str, name: str) -> str:
    """`vllm serve BASE --enable-lora --lora-modules NAME=ADAPTER`: the same adapter served by vLLM, which keeps
    one base and switches LoRA adapters per request (the `model` field names the adapter)."""
    import shlex

    base, adapter, _ = adapter_of(run_dir)
    import json

    rank = json.loads((Path(adapter) / "adapter_config.json").read_text(encoding="utf-8")).get("r", 16)
    return (f"vllm serve {shlex.quote(base)} --enable-lora --max-lora-rank {max(8, int(rank))} "
            f"--lora-modules {shlex.quote(name)}={shlex.quote(adapter)}")


def run_row(run_dir: str) -> dict:
    """`dataforge runs`' row of one run directory (recipe, data fingerprint, gate, best val loss, verdict)."""
    from dataforge.runs import run_row as row

    return row(Path(run_dir))


def _relative(obj: Any, root: str) -> Any:
    """Server paths in a library result shown relative to the job folder."""
    if isinstance(obj, dict):
        return {k: _relative(v, root) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_relative(v, root) for v in obj]
    if isinstance(obj, str) and obj.startswith(root):
        return os.path.relpath(obj, root)
    return obj


def _one(inputs: list[str]) -> str:
    if len(inputs) != 1:
        raise UsageError(f"this job takes one input version, got {len(inputs)}")
    return inputs[0]


STAGES: dict[str, Callable[..., dict[str, Any]]] = {
    "check": run_check, "clean": run_clean, "split": run_split, "augment": run_augment, "train": run_train,
    "evaluate": run_evaluate, "export": run_export,
}


# ---- /v1/generate: the library's loading and generation, used by service/generate.py ---------------------------

def adapter_of(run_dir: str) -> tuple[str, str, str]:
    """(base model, adapter folder, tokenizer folder) of a run, as `dataforge generate` resolves them."""
    from dataforge.run.run_dir import open_run

    run = open_run(run_dir)
    return run.base_model(), str(run.final_adapter()), run.tokenizer_dir()


def load_base_for_generation(base: str, adapter: str, name: str, tok_dir: str):  # noqa: ANN201
    from dataforge.run.loading import default_device, load_base, load_tokenizer, load_tuned

    model = load_tuned(load_base(base, device=default_device()), adapter, adapter_name=name)
    return model, load_tokenizer(tok_dir)


def attach_adapter(model, adapter: str, name: str) -> None:  # noqa: ANN001
    model.load_adapter(adapter, adapter_name=name)


def answer(model, tok, name: str, messages: list[dict], max_new_tokens: int) -> str:  # noqa: ANN001
    from dataforge.evaluate.generation import generate

    model.set_adapter(name)
    return generate(model, tok, [messages], max_new_tokens=max_new_tokens)[0]
