"""The report's figures, added up slice by slice of the feature frame, so the report of a frame of any length is
built from what one slice holds plus counters: per check how many records it looked at and flagged, its first
flagged rows (the examples), its flagged lines per file (the advice's "where"), how many of them `clean` would
keep; what `clean` would drop per reason; and the statistics as value counts (lengths, tokens and calls are
integers, so exact value counts give the exact median and percentiles the report shows).

What a tally keeps grows with the number of distinct lengths, languages and duplicate clusters, never with the
number of records: the Ray engine's driver tallies a frame it holds on disk, 50,000 rows at a time. Slices must
come in row order (row == position in the frame, as the features number them); the result does not depend on
where the slices are cut (a test checks it)."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from dataforge.quality.checks import BY_NAME, CHECKS

EXAMPLES = 5  # records quoted per check
MAX_LINES = 10  # lines named per file in the advice; the rest are counted
# columns whose values among the valid records the statistics and plots read
VALUE_COLUMNS = ("lang", "chars_system", "chars_user", "chars_assistant", "tokens", "tool_calls")


def flag_bool(col: str, null: bool = False) -> pl.Expr:
    """A flag column; rejected records hold nulls (a column of nulls only when no record is valid)."""
    return pl.col(col).cast(pl.Boolean).fill_null(null)


# What `dataforge clean` drops with every option on (see clean.py), in clean's order: a record counts for its
# first reason. PII and mojibake are repaired in place; the other checks need an edit.
DROPPED_BY_CLEAN = {"invalid": flag_bool("invalid"), "empty_turn": pl.col("empty_turns") > 0,
                    "language": ~flag_bool("lang_ok", True), "exact_duplicate": flag_bool("exact_dup"),
                    "near_duplicate": flag_bool("near_dup")}


@dataclass
class CheckTally:
    looked: int = 0  # records with a value for the check's feature (rejected records are null)
    flagged: int = 0
    first: list[int] = field(default_factory=list)  # the first EXAMPLES flagged rows
    where: dict[str, list] = field(default_factory=dict)  # file -> [flagged lines, the first MAX_LINES of them]
    kept_by_clean: int = 0  # flagged records that `clean` would keep


class Tally:
    def __init__(self, columns: list[str], custom_checks: list[str] = ()):
        self.columns = set(columns)
        self.names = [c.name for c in CHECKS if c.needs in self.columns] + \
            [n for n in dict.fromkeys(custom_checks) if n not in BY_NAME]
        self.checks = {n: CheckTally() for n in self.names}
        self.records = self.valid = self.kept = self.truncated = 0
        self.dropped = dict.fromkeys(DROPPED_BY_CLEAN, 0)
        self.values: dict[str, Counter] = {c: Counter() for c in VALUE_COLUMNS if c in self.columns}
        # cluster label -> its near (exact) copies; as many entries as clusters, not as records
        self.near: Counter = Counter()
        self.exact: Counter = Counter()

    def add(self, part: pl.DataFrame, outcomes: list) -> None:
        """Add the next slice of the frame and the suite's outcomes on it (their `rows` are this slice's)."""
        self.records += part.height
        valid = part["valid"].fill_null(False)
        self.valid += int(valid.sum())
        gone = pl.lit(False)
        for reason, expr in DROPPED_BY_CLEAN.items():
            self.dropped[reason] += int(part.select((expr & ~gone).sum()).item())
            gone = gone | expr
        kept_rows = part.select(pl.col("row").filter(~gone))["row"].to_numpy()
        self.kept += len(kept_rows)
        if "truncated" in self.columns:
            self.truncated += int(part["truncated"].fill_null(False).sum())
        by_check: dict[str, list] = {}
        for o in outcomes:
            by_check.setdefault(o.check, []).append(o)
        for name in self.names:
            self._add_check(part, name, by_check.get(name, []), kept_rows)
        vals = part.select(pl.col(c).filter(pl.col("valid")) for c in self.values)
        for c, counter in self.values.items():
            s = vals[c] if c == "lang" else vals[c].drop_nulls()
            counter.update(dict(s.value_counts().iter_rows()))
        for col, flag, counter in (("near_cluster", "near_dup", self.near), ("exact_group", "exact_dup", self.exact)):
            if col in self.columns:
                counter.update(dict(part.filter(flag_bool(flag)).group_by(col).len().iter_rows()))

    def _add_check(self, part: pl.DataFrame, name: str, outs: list, kept_rows: np.ndarray) -> None:
        t = self.checks[name]
        looked = int(part[BY_NAME[name].needs].is_not_null().sum()) if name in BY_NAME else 0
        t.looked += looked
        row_level = [o for o in outs if o.unexpected_count is not None]
        if row_level:  # the rows great-expectations found, as the suite judged them
            rows = np.unique(np.concatenate([np.asarray(o.rows, dtype=np.int64) for o in row_level]))
        elif looked:  # not gated: counted with the check's own expression (on a column that has values)
            rows = part.filter(BY_NAME[name].flag.fill_null(False))["row"].to_numpy()
        else:
            rows = np.zeros(0, dtype=np.int64)
        if not len(rows):
            return
        t.flagged += len(rows)
        t.first += rows[: EXAMPLES - len(t.first)].tolist()
        t.kept_by_clean += int(np.isin(rows, kept_rows).sum())
        at = part.filter(pl.col("row").is_in(rows)).group_by("file", maintain_order=True).agg(
            pl.col("line").drop_nulls().len().alias("n"), pl.col("line").drop_nulls().head(MAX_LINES))
        for file, n, lines in at.iter_rows():
            w = t.where.setdefault(file, [0, []])
            w[0] += n
            w[1] += lines[: MAX_LINES - len(w[1])]

    def looked_at(self, name: str, outs: list) -> int:
        """How many records the check judged: non-null values of its feature, or for a check of the user's own,
        the most rows one of its expectations counted (the valid records when none says)."""
        if name in BY_NAME:
            return self.checks[name].looked
        counts = [o.element_count for o in outs if o.element_count is not None]
        return self.valid if not counts else max(counts)

    def example_rows(self) -> list[int]:
        return sorted({r for t in self.checks.values() for r in t.first})

    def describe(self, column: str, positive: bool = False) -> dict[str, Any]:
        counts = self.values.get(column, Counter())
        return describe({v: c for v, c in counts.items() if not positive or v > 0})

    def sizes(self, counter: Counter) -> dict[int, int]:
        """Group size (the first record plus its copies) -> how many groups."""
        return dict(sorted(Counter(n + 1 for n in counter.values()).items()))


def describe(counts: dict[int, int]) -> dict[str, Any]:
    """min, median, 95th percentile, max and mean of the values `counts` holds (value -> how many), exactly as
    polars' Series.median() and .quantile(0.95) (nearest rank, half away from zero) give them on the values."""
    n = sum(counts.values())
    if not n:
        return {}
    values = sorted(counts)
    ends = np.cumsum([counts[v] for v in values])

    def nth(k: int) -> int:  # the k-th value (0-based) of the sorted values
        return values[int(np.searchsorted(ends, k, side="right"))]

    median = (nth((n - 1) // 2) + nth(n // 2)) / 2
    p95 = nth(math.floor(0.95 * (n - 1) + 0.5))
    total = sum(v * c for v, c in counts.items())
    return {"min": int(values[0]), "median": float(median), "p95": float(p95), "max": int(values[-1]),
            "mean": round(total / n, 1)}
