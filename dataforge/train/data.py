"""Training data for a recipe: files of any supported format -> Records -> train/val split -> datasets.

Records are the package's one internal record (records.Record); the chat template sees `chat(rec)`.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from dataforge.errors import DataError, MissingDependency, Problem
from dataforge.io import AtomicWriter
from dataforge.records import Record


def chat(rec: Record) -> list[dict]:
    """The record as the chat template renders it (tool calls included; its `tools` go to the template apart,
    see run/chat_format.template_tools)."""
    from dataforge.run.chat_format import template_messages

    return template_messages(rec)


def where(rec: Record) -> str:
    return f"{rec.source}:{rec.line}" if rec.line is not None else str(rec.source)


def load_records(paths: list[str], fmt: str = "auto", allow_extra: bool = False) -> list[Record]:
    """Every record of every file; an invalid record stops the run (nothing is dropped silently)."""
    from dataforge.validate import iter_records

    problems: list[Problem] = []
    out: list[Record] = []
    for path in paths:
        out.extend(iter_records(path, fmt, allow_extra=allow_extra, on_problem=problems.append))
    if problems:
        raise DataError(f"{len(problems)} problem(s) in the training data: fix them or filter with "
                        "`dataforge validate --out`", problems)
    if not out:
        raise DataError(f"no records in {', '.join(paths)}: every line is blank")
    return out


def split_records(records: list[Record], fraction: float, seed: int) -> tuple[list[Record], list[Record]]:
    """Hold out about `fraction` of the records with a seeded shuffle of near-duplicate clusters, dealt whole as
    `dataforge split` deals them: a near copy of a training record never sits in val and flatters its loss."""
    if fraction <= 0:
        return records, []
    try:
        from dataforge.quality.near_duplicates import cluster
        from dataforge.quality.split import assign
    except ImportError as exc:
        raise MissingDependency(exc.name or "polars", "quality") from None
    labels = cluster(["\n".join(m.text() for m in r.messages) for r in records]).cluster.tolist()
    groups: dict[int, list[int]] = {}
    for i, c in enumerate(labels):
        groups.setdefault(c, []).append(i)
    side = assign(list(groups.values()), len(records), fraction, 0.0, seed)
    val = [r for i, r in enumerate(records) if side[i] == "val"]
    if not val:
        raise DataError(f"data.val_fraction={fraction} holds out no record of {len(records)} (the clusters of near "
                        "duplicates are larger than the share): raise it, give data.val, or set it to 0")
    train = [r for i, r in enumerate(records) if side[i] == "train"]
    if not train:
        raise DataError(f"data.val_fraction={fraction} leaves no training records out of {len(records)}")
    return train, val


def write_chat_jsonl(records: list[Record], path: Path) -> Path:
    """The records as chat JSONL (what the model saw), e.g. the run's val.jsonl."""
    writer = AtomicWriter(path)
    from dataforge.run.chat_format import template_tools

    for rec in records:
        tools = template_tools(rec)
        writer.write(orjson.dumps({"messages": chat(rec), **({"tools": tools} if tools else {})}) + b"\n")
    writer.commit()
    return path


def to_token_dataset(records: list[Record], fmt, assistant_only: bool):
    """Pre-tokenised records (input_ids + assistant_masks) as the label check encoded them: TRL builds the labels
    from assistant_masks and truncates to max_length, so it trains exactly the checked mask and never needs a
    {% generation %} variant of the template."""
    from datasets import Dataset

    ids, masks = [], []
    for rec in records:
        i, m = fmt.encode(rec, assistant_only)
        ids.append(i)
        masks.append(m)
    return Dataset.from_dict({"input_ids": ids, "assistant_masks": masks})
