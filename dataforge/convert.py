"""`dataforge convert`: any supported format -> alpaca, chat, sharegpt, prompt-completion or parquet.

Each converted record is read back as the target format and compared with the source: when they differ the
conversion would lose data, which is refused (naming the record) unless --lossy, and then counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from dataforge.errors import Problem
from dataforge.formats.registry import to_dict
from dataforge.formats.tool_calls import arguments_of
from dataforge.io import AtomicWriter, ReadStats, read_items
from dataforge.parse import parse_record
from dataforge.records import Message, Record, has_tools
from dataforge.validate import FileSummary, check_items, resolve_format


@dataclass
class ConvertSummary:
    source_format: str = ""
    target: str = ""
    records: int = 0
    written: int = 0
    invalid: int = 0
    lossy_refused: int = 0
    lossy_written: int = 0
    blank_lines: int = 0
    losses_by_kind: Counter = field(default_factory=Counter)

    def as_json(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "losses_by_kind"}
        out["losses_by_kind"] = dict(self.losses_by_kind)
        return out


def _loss(before: Record, after: Record | None) -> str | None:
    """What a round trip through the target lost, or None when nothing was."""
    if after is None:
        return "not_representable"
    if len(after.messages) != len(before.messages):
        return "turns_dropped"
    for a, b in zip(before.messages, after.messages):
        if a.role != b.role:
            return "roles_changed"
        if a.content != b.content and not (a.tool_calls and not a.text() and not b.text()):
            return "content_parts_flattened" if not isinstance(a.content, str) else "content_changed"
        if _calls(a) != _calls(b) or (a.tool_call_id, a.name) != (b.tool_call_id, b.name):
            return "tool_calls_changed"
    if before.tools != after.tools:
        return "tools_changed"
    return None


def _calls(m: Message) -> list[dict] | None:
    """The calls as data: arguments sent as JSON text and as an object are the same call."""
    if m.tool_calls is None:
        return None
    out = []
    for c in m.tool_calls:
        args, why = arguments_of(c)
        out.append({"id": c.id, "name": c.function.name, "arguments": args if why is None else c.function.arguments})
    return out


# Targets without a place for tool calls: refused whatever --lossy says, since dropping the calls would train
# the model on answers to results it never sees.
NO_TOOLS = {"alpaca": "alpaca", "parquet": "the parquet output (role and content columns only)"}


def _drop_history(rec: Record) -> Record:
    msgs = rec.messages
    keep = ([msgs[0]] if msgs and msgs[0].role == "system" else []) + msgs[-2:]
    return rec.model_copy(update={"messages": keep})


def _flat(rec: Record) -> Record:
    msgs = [Message(role=m.role, content=m.text()) for m in rec.messages]
    return rec.model_copy(update={"messages": msgs})


class _ParquetSink:
    """Chat-shaped rows (`messages`, `meta` as a JSON string), written in row groups as they come."""

    def __init__(self, path: str):
        self.path, self.rows, self.writer = path, [], None
        self.tmp = AtomicWriter(path)

    def write(self, obj: dict[str, Any]) -> None:
        meta = obj.get("meta")
        self.rows.append({"messages": obj["messages"], "meta": orjson.dumps(meta).decode() if meta else None})
        if len(self.rows) >= 8192:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([("messages", pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))),
                            ("meta", pa.string())])
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.tmp.f, schema)
        self.writer.write_table(pa.Table.from_pylist(self.rows, schema=schema))
        self.rows = []

    def commit(self) -> None:
        self.flush()  # also when no row came, so the file exists with its schema
        self.writer.close()
        self.tmp.commit()

    def abort(self) -> None:
        self.tmp.abort()


class _JsonlSink:
    def __init__(self, path: str):
        self.tmp = AtomicWriter(path)

    def write(self, obj: dict[str, Any]) -> None:
        self.tmp.write(orjson.dumps(obj) + b"\n")

    def commit(self) -> None:
        self.tmp.commit()

    def abort(self) -> None:
        self.tmp.abort()


def convert(path: str, target: str, out: str, *, fmt: str = "auto", lossy: bool = False, history: bool = True,
            allow_extra: bool = False, report: Callable[[Problem], None] | None = None) -> ConvertSummary:
    summary = ConvertSummary(target=target)
    summary.source_format = source = resolve_format(path, fmt)
    shape = "chat" if target == "parquet" else target
    sink = _ParquetSink(out) if target == "parquet" else _JsonlSink(out)
    stats = ReadStats()
    fs = FileSummary(path, source)
    try:
        for item, rec, problems in check_items(path, source, read_items(path, stats), fs, allow_extra=allow_extra):
            summary.records += 1
            if problems or rec is None:
                summary.invalid += 1
                for p in problems:
                    report and report(p)
                continue
            if target in NO_TOOLS and has_tools(rec):
                summary.losses_by_kind["cannot_hold_tools"] += 1
                summary.lossy_refused += 1
                report and report(Problem(path, item.line, "record", f"{NO_TOOLS[target]} cannot hold tool calls "
                                          "or tool definitions: convert this file to chat, sharegpt or "
                                          "prompt-completion instead", "cannot_hold_tools"))
                continue
            target_rec = rec
            if target == "parquet":
                target_rec = _flat(rec)
            elif target == "alpaca" and not history:
                target_rec = _drop_history(rec)
            obj = to_dict(target_rec, shape)
            back, _ = parse_record(orjson.loads(orjson.dumps(obj)), shape, allow_extra=True)
            loss = _loss(rec, back)
            if loss:
                summary.losses_by_kind[loss] += 1
                if not lossy:
                    summary.lossy_refused += 1
                    report and report(Problem(path, item.line, "record", f"converting to {target} would lose "
                                              f"data ({loss.replace('_', ' ')}); pass --lossy to accept", loss))
                    continue
                summary.lossy_written += 1
            sink.write(obj)
            summary.written += 1
        summary.blank_lines = stats.blank_lines
    except BaseException:
        sink.abort()
        raise
    sink.commit()
    return summary
