"""Held-out conversations for evaluation: records read as every command reads them, split into the prompt (every
message before the last assistant turn) and the reference answer. Invalid records are counted and reported through
`on_problem`, never dropped silently."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dataforge.errors import DataError, InputError, Problem
from dataforge.records import Record


@dataclass
class Example:
    messages: list[dict]
    prompt: list[dict]
    reference: str
    where: str
    record: Record | None = None  # the record as read: perplexity encodes it exactly as training did


def from_record(rec: Record, where: str) -> Example | None:
    msgs = [{"role": m.role, "content": m.text()} for m in rec.messages]
    last = max((i for i, m in enumerate(msgs) if m["role"] == "assistant"), default=None)
    if last is None:
        return None
    return Example(msgs[:last + 1], msgs[:last], msgs[last]["content"], where, rec)


@dataclass
class Loaded:
    examples: list[Example]
    invalid: int  # records rejected by validation (each reported through on_problem)


def load_examples(path: str | Path, limit: int | None = None,
                  on_problem: Callable[[Problem], None] | None = None) -> Loaded:
    """Conversations ending in an assistant turn, from any format dataforge reads."""
    from dataforge.validate import iter_records

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file: pass --data FILE with held-out records")
    problems: list[Problem] = []

    def seen(p: Problem) -> None:
        problems.append(p)
        if on_problem:
            on_problem(p)

    out: list[Example] = []
    for rec in iter_records(str(path), on_problem=seen):
        ex = from_record(rec, f"{path}:{rec.line}")
        if ex is not None:
            out.append(ex)
        if limit and len(out) >= limit:
            break
    if not out:
        raise DataError(f"{path}: no valid conversation with an assistant turn to evaluate on "
                        f"({len({p.line for p in problems})} invalid records)", problems[:20])
    return Loaded(out, len({p.line for p in problems}))
