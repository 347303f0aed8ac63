"""`dataforge validate`: stream each file, send every non-blank line to exactly one of --out or --rejects."""

from __future__ import annotations

import base64
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from dataforge.errors import Problem, UsageError
from dataforge.formats.detection import SAMPLE, detect
from dataforge.io import UNPARSED, AtomicWriter, Item, ReadStats, file_kind, load_json, read_items
from dataforge.judge import judge
from dataforge.progress import progress

if TYPE_CHECKING:  # pydantic loads only when a line needs the exact path
    from dataforge.records import Record

NO_RECORDS = "none"  # the format of a file without a single non-blank line
PARALLEL_MIN_BYTES = 16 << 20  # below this, starting worker processes costs more than it saves


@dataclass
class FileSummary:
    path: str
    format: str = ""
    records: int = 0
    valid: int = 0
    invalid: int = 0
    blank_lines: int = 0
    errors_by_kind: Counter = field(default_factory=Counter)


@dataclass
class Summary:
    files: list[FileSummary] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    def as_json(self) -> dict[str, Any]:
        formats = sorted({f.format for f in self.files})
        kinds: Counter = Counter()
        for f in self.files:
            kinds.update(f.errors_by_kind)
        return {
            "records": self.total("records"), "valid": self.total("valid"), "invalid": self.total("invalid"),
            "blank_lines": self.total("blank_lines"), "format": formats[0] if len(formats) == 1 else formats,
            "errors_by_kind": dict(sorted(kinds.items())),
            "files": [{"path": f.path, "format": f.format, "records": f.records, "valid": f.valid,
                       "invalid": f.invalid, "blank_lines": f.blank_lines} for f in self.files],
        }


def resolve_format(path: str, fmt: str) -> str:
    """The file's format: `fmt` unless it is 'auto', then detected from the first records."""
    if fmt != "auto":
        return fmt
    sample: list[tuple[int, Any]] = []
    seen = False
    for item in read_items(path):
        seen = True
        if item.error is None:
            obj, problem = load_json(item)
            if problem is None:
                sample.append((item.line, obj))
        if len(sample) >= SAMPLE:
            break
    if not seen:  # empty or only blank lines: "no records" (exit 1), not an unknown format (exit 2)
        return NO_RECORDS
    return detect(path, sample)


def check_items(path: str, fmt: str, items: Iterator[Item], summary: FileSummary, *,
                allow_extra: bool) -> Iterator[tuple[Item, Record | None, list[Problem]]]:
    """Judge every item on the exact path: (item, record-or-None, problems). JSONL validation takes the faster
    block path in blocks.py instead."""
    for item in items:
        summary.records += 1
        rec, problems = judge(path, fmt, item, allow_extra=allow_extra)
        if problems:
            summary.invalid += 1
            summary.errors_by_kind.update(p.kind for p in problems)
        else:
            summary.valid += 1
        yield item, rec, problems


class _Outputs:
    """--out and --rejects, written atomically, plus the per-problem report."""

    def __init__(self, out: str | None, rejects: str | None, report: Callable[[Problem], None] | None):
        self.out = AtomicWriter(out) if out else None
        self.rejects = AtomicWriter(rejects) if rejects else None
        self.report = report

    def reject(self, path: str, item: Item, problems: list[Problem]) -> None:
        if self.report:
            for p in problems:
                self.report(p)
        if self.rejects:
            self.rejects.write(reject_line(path, item, problems))

    def close(self, ok: bool) -> None:
        for w in (self.out, self.rejects):
            if w:
                w.commit() if ok else w.abort()


def _validate_jsonl(path: str, fmt: str, fs: FileSummary, outs: _Outputs, allow_extra: bool, workers: int,
                    quiet: bool) -> None:
    from dataforge import blocks

    size = os.path.getsize(path)
    large = size >= PARALLEL_MIN_BYTES
    # cut once: a task per ~4 MiB is a short list even for huge files, and results come back in this order
    tasks = [blocks.Task(path, fmt, off, length, allow_extra, large) for off, length in blocks.cut(path)]
    pool = None
    if workers > 1 and large:
        import multiprocessing as mp

        import pyarrow  # noqa: F401  imported before the fork, so the workers share its pages

        from dataforge.formats import fast  # noqa: F401  likewise
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        pool = mp.get_context(method).Pool(workers)
        results = pool.imap(blocks.run, tasks)
    else:
        results = map(blocks.run, tasks)
    base = 0
    try:
        with open(path, "rb") as src, progress(path, size, quiet=quiet) as advance:
            for task, res in zip(tasks, results):
                advance(task.length)
                fs.records += res.lines - res.blank
                fs.valid += res.valid
                fs.blank_lines += res.blank
                for item, problems in res.rejected:
                    item.line += base
                    problems = [Problem(p.path, item.line, p.field, p.message, p.kind) for p in problems]
                    fs.invalid += 1
                    fs.errors_by_kind.update(p.kind for p in problems)
                    outs.reject(path, item, problems)
                if outs.out:
                    if res.clean:
                        outs.out.copy_from(src, task.offset, task.length)
                    else:
                        outs.out.write(res.out)
                base += res.lines
    finally:
        if pool is not None:
            pool.terminate()


def validate(paths: list[str], fmt: str = "auto", *, out: str | None = None, rejects: str | None = None,
             allow_extra: bool = False, workers: int = 0, quiet: bool = False,
             report: Callable[[Problem], None] | None = None) -> Summary:
    """Validate files; write valid lines to `out` and rejects to `rejects`; call `report` for each problem."""
    workers = workers or min(2, os.cpu_count() or 1)
    formats = {p: resolve_format(p, fmt) for p in paths}  # every file readable and detected before any output
    if out and len(set(formats.values()) - {NO_RECORDS}) > 1:
        mix = ", ".join(f"{p} is {f}" for p, f in formats.items())
        raise UsageError(f"--out would mix formats ({mix}): validate them separately or convert them first")
    outs = _Outputs(out, rejects, report)
    summary = Summary()
    ok = False
    try:
        for path, file_fmt in formats.items():
            fs = FileSummary(path, file_fmt)
            summary.files.append(fs)
            if file_fmt == NO_RECORDS:  # nothing to check: count its blank lines
                stats = ReadStats()
                for _ in read_items(path, stats):
                    pass
                fs.blank_lines = stats.blank_lines
                continue
            if file_kind(path) == "jsonl":
                _validate_jsonl(path, file_fmt, fs, outs, allow_extra, workers, quiet)
                continue
            stats = ReadStats()
            for item, _, problems in check_items(path, file_fmt, read_items(path, stats), fs,
                                                 allow_extra=allow_extra):
                if problems:
                    outs.reject(path, item, problems)
                elif outs.out and item.obj is UNPARSED:  # a CR-only JSONL line: the same line, LF-terminated
                    outs.out.write(item.raw + b"\n")
                elif outs.out:
                    outs.out.write(json_line(item.obj))  # array elements and parquet rows become JSONL lines
            fs.blank_lines = stats.blank_lines
        ok = True
    finally:
        outs.close(ok)
    return summary


def reject_line(path: str, item: Item, problems: list[Problem]) -> bytes:
    """One --rejects JSONL line: the original text, or base64 when it is not UTF-8."""
    out: dict[str, Any] = {"file": path, "line": item.line, "errors": [f"{p.field}: {p.message}" for p in problems]}
    try:
        out["raw"] = item.raw.decode()
    except UnicodeDecodeError:
        out["raw_base64"] = base64.b64encode(item.raw).decode()
    return orjson.dumps(out) + b"\n"


def json_line(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode() + b"\n"


def iter_records(path: str, fmt: str = "auto", *, allow_extra: bool = False,
                 on_problem: Callable[[Problem], None] | None = None,
                 summary: FileSummary | None = None) -> Iterator[Record]:
    """Valid Records of one file, streamed (source and line set). Invalid records go to `on_problem` and are
    counted in `summary`; the caller decides whether they are fatal."""
    fmt = resolve_format(path, fmt)
    summary = summary if summary is not None else FileSummary(path, fmt)
    summary.format = fmt
    stats = ReadStats()
    for _, rec, problems in check_items(path, fmt, read_items(path, stats), summary, allow_extra=allow_extra):
        if rec is not None:
            yield rec
        elif on_problem:
            for p in problems:
                on_problem(p)
    summary.blank_lines = stats.blank_lines
