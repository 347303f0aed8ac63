"""Job forms built from the stages' typed configs (the same pydantic models the API validates params with), so a
field's type, default, choices and help text have one owner. The form's values become the JSON params of
`POST /v1/jobs`; the service's own validation judges them."""

from __future__ import annotations

import typing
from dataclasses import dataclass, field

from pydantic import BaseModel

from dataforge.service.schemas import CheckParams, CleanParams, SplitParams

# the main options of each kind shown in the form; every other key keeps its default
MAIN = {"check": ("suite", "lang", "max_seq_len"), "clean": ("dedup", "redact_pii", "fix_mojibake", "lang"),
        "split": ("val", "test", "seed"), "augment": ("method", "variants", "ratio", "seed")}


@dataclass
class Field:
    name: str
    kind: str  # select, checkbox, number, text
    default: object
    help: str
    choices: list[str] = field(default_factory=list)
    step: str = "any"
    optional: bool = False


def _model(kind: str) -> type[BaseModel]:
    if kind == "augment":
        from dataforge.augment.config import AugmentConfig

        return AugmentConfig
    return {"check": CheckParams, "clean": CleanParams, "split": SplitParams}[kind]


def _field(name: str, info) -> Field:
    ann = info.annotation
    args = [a for a in typing.get_args(ann) if a is not type(None)]
    optional = type(None) in typing.get_args(ann)
    base = args[0] if optional and len(args) == 1 else ann
    default = None if info.is_required() else info.default
    help_text = info.description or ""
    if typing.get_origin(base) is typing.Literal:
        return Field(name, "select", default, help_text, [str(c) for c in typing.get_args(base)], optional=optional)
    if base is bool:
        return Field(name, "checkbox", default, help_text)
    if base in (int, float):
        return Field(name, "number", default, help_text, step="1" if base is int else "any", optional=optional)
    return Field(name, "text", default, help_text, optional=optional)


def fields(kind: str) -> list[Field]:
    model = _model(kind)
    return [_field(n, model.model_fields[n]) for n in MAIN[kind]]


def params_from_form(kind: str, form: dict[str, str]) -> dict:
    """The params a form sent: checkboxes absent are False, empty fields keep the config's default."""
    out: dict[str, object] = {}
    for f in fields(kind):
        raw = form.get(f"p.{f.name}")
        if f.kind == "checkbox":
            out[f.name] = raw is not None
        elif raw is None or raw.strip() == "":
            continue
        elif f.kind == "number":
            try:
                out[f.name] = int(raw) if f.step == "1" else float(raw)
            except ValueError:
                out[f.name] = raw  # the service names the field and says what it expected
        else:
            out[f.name] = raw.strip()
    return out


def train_params(form: dict[str, str]) -> dict:
    overrides: dict[str, object] = {}
    steps = (form.get("max_steps") or "").strip()
    if steps:
        overrides["train.max_steps"] = int(steps) if steps.isdigit() else steps
    return {"recipe": form.get("recipe", "tiny-cpu"), "overrides": overrides}
