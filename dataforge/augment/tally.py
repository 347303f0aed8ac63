"""The one place augment counts: records read, originals written, candidates kept or rejected by reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Tally:
    method: str
    records: int = 0
    originals_written: int = 0
    candidates: int = 0
    kept: int = 0
    rejected: Counter = field(default_factory=Counter)

    def add(self, reason: str | None) -> None:
        self.candidates += 1
        if reason is None:
            self.kept += 1
        else:
            self.rejected[reason] += 1

    def state(self) -> dict[str, Any]:
        return {"records": self.records, "originals_written": self.originals_written, "candidates": self.candidates,
                "kept": self.kept, "rejected": dict(sorted(self.rejected.items()))}

    def merge(self, state: dict[str, Any]) -> None:
        """Add another tally's state (a block's, counted on a Ray worker)."""
        for key in ("records", "originals_written", "candidates", "kept"):
            setattr(self, key, getattr(self, key) + state.get(key, 0))
        self.rejected.update(state.get("rejected", {}))

    def restore(self, state: dict[str, Any]) -> None:
        for key in ("records", "originals_written", "candidates", "kept"):
            setattr(self, key, state.get(key, 0))
        self.rejected = Counter(state.get("rejected", {}))


@dataclass
class AugmentSummary:
    input: str
    output: str
    format: str
    tally: Tally
    invalid: int = 0
    resumed_at: int = 0

    def as_json(self) -> dict[str, Any]:
        t = self.tally
        balanced = t.candidates == t.kept + sum(t.rejected.values())
        return {"input": self.input, "output": self.output, "format": self.format, "records": t.records,
                "invalid_input": self.invalid, "originals_written": t.originals_written,
                "written": t.originals_written + t.kept, "resumed_at": self.resumed_at,
                "methods": {t.method: {"candidates": t.candidates, "kept": t.kept,
                                       "rejected": dict(sorted(t.rejected.items()))}},
                "counts_add_up": balanced}
