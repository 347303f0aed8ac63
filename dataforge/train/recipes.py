"""Find and load recipes: a YAML file (or a shipped recipe's name) plus dotted `key=value` overrides."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from dataforge.errors import Problem, UsageError
from dataforge.run.config import Recipe

SHIPPED = ("qlora", "lora", "dora", "prompt-tuning", "prefix-tuning", "p-tuning", "ia3", "tiny-cpu", "smollm2-cpu")


def trainers_dir() -> Path:
    """trainers/ in a checkout, or the copy shipped inside the wheel."""
    checkout = Path(__file__).resolve().parents[2] / "trainers"
    if checkout.is_dir():
        return checkout
    return Path(str(resources.files("dataforge") / "_assets" / "trainers"))


def resolve_recipe_path(spec: str) -> Path:
    """A path, or the name of a shipped recipe (`qlora`, `tiny-cpu`...)."""
    path = Path(spec)
    if path.is_file():
        return path
    shipped = trainers_dir() / f"{spec.removesuffix('.yaml')}.yaml"
    if "/" not in spec and shipped.is_file():
        return shipped
    raise UsageError(f"{spec}: no such recipe file; shipped recipes: {', '.join(SHIPPED)}")


def parse_overrides(pairs: list[str]) -> tuple[dict[str, Any], list[Problem]]:
    """`a.b=1` -> {"a": {"b": 1}}; values are parsed as YAML so numbers, booleans and [lists] keep their type."""
    tree: dict[str, Any] = {}
    problems = []
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            problems.append(Problem("<command line>", None, pair, "expected key=value, e.g. train.max_steps=30"))
            continue
        try:
            value = yaml.safe_load(raw) if raw else ""
        except yaml.YAMLError:
            value = raw
        node = tree
        *parents, leaf = key.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                problems.append(Problem("<command line>", None, key, f"{part} is given a value and sub-keys"))
                break
            node = child
        else:
            node[leaf] = value
    return tree, problems


def override_pairs(overrides: dict[str, Any]) -> list[str]:
    """{"train.max_steps": 30, "lora.target_modules": ["q_proj"]} -> ["train.max_steps=30",
    'lora.target_modules=["q_proj"]']: overrides sent as JSON (the service's params.overrides) as the `key=value`
    pairs load_recipe takes; strings stay as given, everything else is written as JSON, which YAML reads back."""
    return [f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in overrides.items()]


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def _known_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        if field is None or not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)):
            return []
        model = field.annotation
    return sorted(model.model_fields)


def load_recipe(spec: str, overrides: list[str] | None = None) -> tuple[Recipe, Path]:
    """The validated recipe and the file it came from. Every problem is raised at once as one UsageError."""
    path = resolve_recipe_path(spec)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = Problem(str(path), line, "yaml", f"not valid YAML: {getattr(exc, 'problem', exc)}")
        raise UsageError("", [problem]) from None
    if not isinstance(raw, dict):
        raise UsageError("", [Problem(str(path), None, "recipe", "expected a mapping of keys at the top level")])
    extra, problems = parse_overrides(overrides or [])
    from_cli = {pair.partition("=")[0] for pair in overrides or []}
    try:
        recipe = Recipe.model_validate(merge(raw, extra))
    except ValidationError as exc:
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "recipe"
            if err["type"] == "extra_forbidden":
                known = _known_keys(Recipe, err["loc"])
                msg = f"unknown key; valid keys here: {', '.join(known)}"
            else:
                msg = f"{err['msg']} (got {err.get('input')!r})" if err["type"] != "value_error" else err["msg"]
            where = "<command line>" if key in from_cli else str(path)
            problems.append(Problem(where, None, key, msg))
    if problems:
        raise UsageError(f"{path}: {len(problems)} problem(s) in the recipe", problems)
    return recipe, path


def describe(model: type[BaseModel] = Recipe, prefix: str = "") -> list[tuple[str, str, str]]:
    """(dotted key, default, help) for every field: the recipe reference in docs/train.md comes from this."""
    rows = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            rows.extend(describe(ann, f"{prefix}{name}."))
        else:
            default = field.get_default(call_default_factory=True)
            rows.append((f"{prefix}{name}", repr(default), field.description or ""))
    return rows
