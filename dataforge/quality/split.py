"""`dataforge split`: train/val/test where a near-duplicate cluster (exact copies included) never straddles
two splits, so validation loss is not flattered by near copies of training records. Seeded.

Clusters are shuffled with the seed and dealt whole: test first, then val, until each reaches its share of
records without overshooting it; the rest is train (so a cluster larger than what is left of a share goes to
train, whole).
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from dataforge.errors import Problem, UsageError
from dataforge.formats.registry import to_dict
from dataforge.io import AtomicWriter

SPLITS = ("train", "val", "test")


@dataclass
class SplitSummary:
    records: int = 0
    invalid: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SPLITS, 0))
    clusters: int = 0  # near-duplicate clusters with more than one record
    clustered_records: int = 0
    kept_together: int = 0  # clusters whose records all ended in one split (all of them, by construction)
    files: dict[str, str] = field(default_factory=dict)

    @property
    def adds_up(self) -> bool:
        return self.records == self.invalid + sum(self.counts.values())

    def as_json(self) -> dict[str, Any]:
        return {"records": self.records, "invalid": self.invalid, **self.counts, "clusters": self.clusters,
                "clustered_records": self.clustered_records, "clusters_kept_together": self.kept_together,
                "files": self.files, "adds_up": self.adds_up}


def assign(groups: list[list[int]], n: int, val: float, test: float, seed: int) -> dict[int, str]:
    """Split name per record index, dealing whole groups in a seeded random order."""
    order = list(range(len(groups)))
    random.Random(seed).shuffle(order)
    targets = {"test": round(n * test), "val": round(n * val)}
    filled = {"test": 0, "val": 0}
    where: dict[int, str] = {}
    for g in order:
        size = len(groups[g])
        name = "train"
        for s in ("test", "val"):
            if filled[s] + size <= targets[s]:  # never overshoot: a big cluster goes to train instead
                name = s
                break
        if name != "train":
            filled[name] += size
        for i in groups[g]:
            where[i] = name
    return where


def split(path: str, out_dir: str, *, val: float = 0.1, test: float = 0.0, seed: int = 0, fmt: str = "auto",
          allow_extra: bool = False, report: Callable[[Problem], None] | None = None) -> SplitSummary:
    if not (0 <= val < 1 and 0 <= test < 1 and val + test < 1):
        raise UsageError(f"--val {val} and --test {test} must be shares in [0, 1) that sum to less than 1")
    from dataforge.quality.load import load
    from dataforge.quality.near_duplicates import cluster

    loaded = load([path], fmt, allow_extra=allow_extra)
    out_fmt = loaded.files[0].format
    recs = loaded.records
    summary = SplitSummary(records=loaded.total, invalid=len(loaded.rejected))
    if report:
        for rej in loaded.rejected:
            for p in rej.problems:
                report(p)
    cl = cluster(["\n".join(m.text() for m in r.messages) for r in recs])
    groups: dict[int, list[int]] = {}
    for i, c in enumerate(cl.cluster.tolist()):
        groups.setdefault(c, []).append(i)
    multi = [g for g in groups.values() if len(g) > 1]
    summary.clusters, summary.clustered_records = len(multi), sum(len(g) for g in multi)
    where = assign(list(groups.values()), len(recs), val, test, seed)
    summary.kept_together = sum(len({where[i] for i in g}) == 1 for g in multi)
    names = [s for s in SPLITS if s == "train" or (val if s == "val" else test) > 0]
    writers = {s: AtomicWriter(os.path.join(out_dir, f"{s}.jsonl")) for s in names}
    ok = False
    try:
        for i, rec in enumerate(recs):
            writers[where[i]].write(orjson.dumps(to_dict(rec, out_fmt)) + b"\n")
            summary.counts[where[i]] += 1
        ok = True
    finally:
        for w in writers.values():
            w.commit() if ok else w.abort()
    summary.files = {s: w.path for s, w in writers.items()}
    return summary
