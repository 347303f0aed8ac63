"""The input cut into blocks that workers parse on their own: byte ranges of JSONL files (cut after a line end,
with the number of the block's first line, so every record keeps its file:line), row-group ranges of parquet
files, a JSON array file as one block. Planning reads the file once in 1 MiB pieces and holds none of it.
Parsing a block goes through the same judge as `validate`, so a block's records and rejects are exactly the
ones the local engine reads from those lines."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from dataforge.io import BLOCK, BOM, Item, ReadStats, _jsonl_items, _parquet_items, file_kind, open_input
from dataforge.quality.load import Rejected
from dataforge.records import Record
from dataforge.validate import FileSummary, check_items, resolve_format

BLOCK_BYTES = 16 << 20  # a block per 16 MiB of JSONL: ~20k chat records, a few seconds of work per task
PARQUET_ROWS = 20_000


@dataclass(frozen=True)
class Spec:
    index: int  # position of the block in the whole input: the order records are numbered and written in
    path: str
    fmt: str
    kind: str  # jsonl, jsonl-cr, parquet, json-array
    start: int  # byte offset (JSONL) or first row group (parquet)
    end: int
    first_line: int  # line (row) number of the block's first line

    @classmethod
    def from_batch(cls, batch: dict) -> Spec:
        """The spec of a one-row Ray Data batch (numpy columns) made from `Spec.__dict__`s."""
        return cls(**{k: (v[0].item() if hasattr(v[0], "item") else v[0]) for k, v in batch.items()})


@dataclass
class Block:
    records: list[Record] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    summary: FileSummary | None = None


def plan(paths: list[str], fmt: str = "auto", block_bytes: int = BLOCK_BYTES) -> list[Spec]:
    """Block specs for every file, in input order. Unreadable files and unknown formats fail here, before any
    work is sent to the cluster (the same errors as the local engine)."""
    specs: list[Spec] = []
    for path in paths:
        resolved = resolve_format(path, fmt)
        kind = file_kind(path)
        if kind == "parquet":
            cuts = _parquet_cuts(path, max(1, block_bytes // 800))  # ~800 bytes a record: rows per block
        elif kind == "json-array":
            cuts = [(0, 0, 1)]
        else:
            cuts = _jsonl_cuts(path, b"\r" if kind == "jsonl-cr" else b"\n", block_bytes)
        specs += [Spec(len(specs) + i, path, resolved, kind, *c) for i, c in enumerate(cuts)]
    return specs


def _jsonl_cuts(path: str, sep: bytes, block_bytes: int) -> list[tuple[int, int, int]]:
    """(start, end, first line) ranges that end just after a line end, about `block_bytes` long."""
    cuts: list[tuple[int, int, int]] = []
    start, first_line, pos, seps = 0, 1, 0, 0
    with open_input(path) as f:
        while chunk := f.read(BLOCK):
            i = 0
            while (want := start + block_bytes - pos) < len(chunk):
                j = chunk.find(sep, max(want, i))
                if j < 0:
                    break
                cuts.append((start, pos + j + 1, first_line))
                first_line = seps + chunk.count(sep, 0, j + 1) + 1
                start, i = pos + j + 1, j + 1
            seps += chunk.count(sep)
            pos += len(chunk)
    if start < pos or not cuts:
        cuts.append((start, pos, first_line))
    return cuts


def _parquet_cuts(path: str, rows_per_block: int) -> list[tuple[int, int, int]]:
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    cuts, first, row = [], 0, 1
    rows = 0
    for g in range(meta.num_row_groups):
        rows += meta.row_group(g).num_rows
        if rows >= rows_per_block or g == meta.num_row_groups - 1:
            cuts.append((first, g + 1, row))
            first, row, rows = g + 1, row + rows, 0
    return cuts or [(0, 0, 1)]


def _items(spec: Spec, stats: ReadStats) -> Iterator[Item]:
    if spec.kind == "json-array":
        from dataforge.io import read_items

        yield from read_items(spec.path, stats)
        return
    if spec.kind == "parquet":
        yield from _parquet_range(spec)
        return
    with open_input(spec.path) as f:
        f.seek(spec.start)
        data = f.read(spec.end - spec.start)
    if spec.start > 0:  # the reader strips a BOM at its start; give it one to strip so the line stays as read
        data = BOM + data
    sep = b"\r" if spec.kind == "jsonl-cr" else b"\n"
    for item in _jsonl_items(io.BytesIO(data), stats, sep):
        item.line += spec.first_line - 1
        yield item


def _parquet_range(spec: Spec) -> Iterator[Item]:
    import pyarrow.parquet as pq

    # The one parquet → Item conversion, restricted to this block's rows. It reads the rows before the block
    # too (cheap next to the per-record work; a row-group reader would avoid it).
    whole = _parquet_items(spec.path)
    pf = pq.ParquetFile(spec.path)
    skip = sum(pf.metadata.row_group(g).num_rows for g in range(spec.start))
    count = sum(pf.metadata.row_group(g).num_rows for g in range(spec.start, spec.end))
    for n, item in enumerate(whole):
        if n >= skip + count:
            break
        if n >= skip:
            yield item


def parse(spec: Spec, *, allow_extra: bool = False) -> Block:
    """The block's valid Records and its rejected records (grouped by line, as quality.load does)."""
    out = Block(summary=FileSummary(spec.path, spec.fmt))
    by_line: dict[int | None, Rejected] = {}
    stats = ReadStats()
    for _, rec, problems in check_items(spec.path, spec.fmt, _items(spec, stats), out.summary,
                                        allow_extra=allow_extra):
        if rec is not None:
            out.records.append(rec)
        for p in problems:
            by_line.setdefault(p.line, Rejected(spec.path, p.line, [])).problems.append(p)
    out.summary.blank_lines = stats.blank_lines
    out.rejected = list(by_line.values())
    return out


def merge_summaries(parts: list[FileSummary]) -> list[FileSummary]:
    """One FileSummary per file from the blocks' partial ones, in input order."""
    merged: dict[str, FileSummary] = {}
    for s in parts:
        m = merged.setdefault(s.path, FileSummary(s.path, s.format))
        m.records += s.records
        m.valid += s.valid
        m.invalid += s.invalid
        m.blank_lines += s.blank_lines
        m.errors_by_kind.update(s.errors_by_kind)
    return list(merged.values())
