"""Read records for the quality commands: valid Records plus every rejected record grouped by file and line,
so each input record ends either in the feature frame or in the report's `invalid_records` / `empty_or_whitespace`
counts (nothing lost)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from dataforge.errors import InputError, Problem
from dataforge.records import Record
from dataforge.validate import FileSummary, iter_records


@dataclass
class Rejected:
    path: str
    line: int | None
    problems: list[Problem]

    @property
    def blank_only(self) -> bool:
        """Rejected only because a turn is empty or whitespace: the `empty_or_whitespace` check owns it."""
        return all(p.kind == "empty_content" for p in self.problems)


@dataclass
class Loaded:
    records: list[Record] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    files: list[FileSummary] = field(default_factory=list)

    @property
    def valid(self) -> int:
        return len(self.records)

    @property
    def total(self) -> int:
        return self.valid + len(self.rejected)


def load(paths: list[str], fmt: str = "auto", on_record: Callable[[int], None] | None = None, *,
         allow_extra: bool = False) -> Loaded:
    """Every record of every file, valid or not. An unreadable file raises InputError (exit 2). `on_record(1)`
    is called per valid record read (progress). `allow_extra` keeps unknown top-level fields under meta, as
    `validate --allow-extra` does."""
    out = Loaded()
    for path in paths:
        by_line: dict[int | None, Rejected] = {}

        def collect(p: Problem, _path: str = path, _by: dict = by_line) -> None:
            _by.setdefault(p.line, Rejected(_path, p.line, [])).problems.append(p)

        summary = FileSummary(path)
        try:
            for rec in iter_records(path, fmt, allow_extra=allow_extra, on_problem=collect, summary=summary):
                out.records.append(rec)
                if on_record:
                    on_record(1)
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        out.rejected.extend(by_line.values())
        out.files.append(summary)
    return out
