"""The exact path for one line: JSON, then the format's pydantic model and the conversation rules. validate.py and
blocks.py (the block-parallel fast path's fallback) both judge doubtful lines here, so neither imports the other."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataforge.errors import Problem
from dataforge.io import Item, load_json

if TYPE_CHECKING:  # records imports pydantic; validate on clean data imports none
    from dataforge.records import Record


def judge(path: str, fmt: str, item: Item, *, allow_extra: bool) -> tuple[Record | None, list[Problem]]:
    """The exact slow path for one item: its Record, or every problem with field and fix."""
    if item.error is not None:
        return None, [Problem(path, item.line, "line", item.error, "unreadable")]
    obj, problem = load_json(item)
    if problem is not None:
        return None, [Problem(path, item.line, problem.field, problem.message, problem.kind)]
    from dataforge.parse import parse_record

    rec, found = parse_record(obj, fmt, allow_extra=allow_extra)
    if rec is not None:
        rec.source, rec.line = path, item.line
    return rec, [Problem(path, item.line, f, m, k) for f, k, m in found]
