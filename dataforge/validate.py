"""`dataforge validate`: stream each file, send every non-blank line to exactly one of --out or --rejects."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import json

from dataforge.errors import Problem
from dataforge.formats.detection import SAMPLE, detect
from dataforge.formats.fast import accepts
from dataforge.io import UNPARSED, AtomicWriter, Item, ReadStats, read_items
from dataforge.parse import load_json, parse_record, reject_line
from dataforge.records import Record


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
    for item in read_items(path):
        if item.error is None:
            obj, problem = load_json(item)
            if problem is None:
                sample.append((item.line, obj))
        if len(sample) >= SAMPLE:
            break
    return detect(path, sample)


def check_items(path: str, fmt: str, items: Iterator[Item], summary: FileSummary, *, allow_extra: bool,
                want_records: bool) -> Iterator[tuple[Item, Record | None, list[Problem]]]:
    """Judge every item: (item, record-or-None, problems). The fast path accepts surely-valid JSONL lines without
    building a Record unless `want_records`; everything else takes the exact slow path."""
    fast = None if want_records else accepts(fmt)
    for item in items:
        summary.records += 1
        if fast is not None and item.obj is UNPARSED and item.error is None and fast(item.raw):
            summary.valid += 1
            yield item, None, []
            continue
        problems: list[Problem] = []
        rec = None
        if item.error is not None:
            problems.append(Problem(path, item.line, "line", item.error, "unreadable"))
        else:
            obj, problem = load_json(item)
            if problem is not None:
                problems.append(Problem(path, problem.line, problem.field, problem.message, problem.kind))
            else:
                rec, found = parse_record(obj, fmt, allow_extra=allow_extra)
                problems += [Problem(path, item.line, f, m, k) for f, k, m in found]
        if problems:
            summary.invalid += 1
            summary.errors_by_kind.update(p.kind for p in problems)
        else:
            summary.valid += 1
            if rec is not None:
                rec.source, rec.line = path, item.line
        yield item, rec, problems


def validate(paths: list[str], fmt: str = "auto", *, out: str | None = None, rejects: str | None = None,
             allow_extra: bool = False, report: Callable[[Problem], None] | None = None) -> Summary:
    """Validate files; write valid lines to `out` and rejects to `rejects`; call `report` for each problem."""
    formats = {p: resolve_format(p, fmt) for p in paths}  # every file readable and detected before any output
    if out and len(set(formats.values())) > 1:
        from dataforge.errors import UsageError

        mix = ", ".join(f"{p} is {f}" for p, f in formats.items())
        raise UsageError(f"--out would mix formats ({mix}): validate them separately or convert them first")
    writers = [AtomicWriter(p) if p else None for p in (out, rejects)]
    out_w, rej_w = writers
    summary = Summary()
    try:
        for path, file_fmt in formats.items():
            fs = FileSummary(path, file_fmt)
            summary.files.append(fs)
            stats = ReadStats()
            for item, rec, problems in check_items(path, file_fmt, read_items(path, stats), fs,
                                                   allow_extra=allow_extra, want_records=False):
                if problems:
                    if report:
                        for p in problems:
                            report(p)
                    if rej_w:
                        rej_w.write(reject_line(path, item, problems))
                elif out_w:
                    # the original line, unchanged (JSON-array elements and parquet rows become JSONL lines)
                    out_w.write(item.raw + b"\n" if item.obj is UNPARSED else json_line(item.obj))
            fs.blank_lines = stats.blank_lines
    except BaseException:
        for w in writers:
            if w:
                w.abort()
        raise
    for w in writers:
        if w:
            w.commit()
    return summary


def json_line(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode() + b"\n"


def print_problem(problem: Problem) -> None:
    print(problem, file=sys.stderr)
