"""The format modules by name (they import pydantic: load this only where Records are built or written)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from dataforge.formats import alpaca, chat, prompt_completion, sharegpt

FORMATS: dict[str, ModuleType] = {m.NAME: m for m in (chat, alpaca, sharegpt, prompt_completion)}


def to_dict(rec: Any, target: str) -> dict[str, Any]:
    """Serialise a Record into `target` format. Extra fields kept by --allow-extra stay under `meta.fields.extra`
    in every format, its own included: written back at the top level they would make the output fail
    `validate` (without the flag) and train-time loaders that take only known keys."""
    return FORMATS[target].from_record(rec)
