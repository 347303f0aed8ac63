"""The format modules by name (they import pydantic: load this only where Records are built or written)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from dataforge.formats import alpaca, chat, prompt_completion, sharegpt

FORMATS: dict[str, ModuleType] = {m.NAME: m for m in (chat, alpaca, sharegpt, prompt_completion)}


def to_dict(rec: Any, target: str) -> dict[str, Any]:
    """Serialise a Record into `target` format. Extra fields kept by --allow-extra go back to the top level
    when the record is written in the format it came from; elsewhere they stay under meta."""
    out = FORMATS[target].from_record(rec)
    meta = out.get("meta")
    if meta and meta.get("fields", {}).get("extra_format") == target:
        extra = meta["fields"].pop("extra", {})
        del meta["fields"]["extra_format"]
        if not meta["fields"]:
            del meta["fields"]
        if not meta:
            del out["meta"]
        out.update(extra)
    return out
