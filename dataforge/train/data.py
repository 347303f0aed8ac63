"""Training data for a recipe: files of any supported format -> conversations -> train/val split -> datasets."""

from __future__ import annotations

import random
from dataclasses import dataclass

from dataforge.errors import DataError, Problem


@dataclass
class Example:
    """One conversation to train on, and where it was read (for error messages)."""

    messages: list[dict]
    source: str
    line: int | None

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line is not None else self.source


def load_examples(paths: list[str], fmt: str = "auto") -> list[Example]:
    """Every record of every file as a chat; an invalid record stops the run (nothing is dropped silently)."""
    from dataforge.validate import iter_records

    problems: list[Problem] = []
    out = []
    for path in paths:
        for rec in iter_records(path, fmt, on_problem=problems.append):
            messages = [{"role": m.role, "content": m.text()} for m in rec.messages]
            out.append(Example(messages, path, rec.line))
    if problems:
        raise DataError(f"{len(problems)} problem(s) in the training data: fix them or filter with "
                        "`dataforge validate --out`", problems)
    if not out:
        raise DataError(f"no records in {', '.join(paths)}")
    return out


def split_examples(examples: list[Example], fraction: float, seed: int) -> tuple[list[Example], list[Example]]:
    """Hold out `fraction` of the records (at least one when fraction > 0) with a seeded shuffle."""
    if fraction <= 0:
        return examples, []
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    n_val = max(1, round(len(examples) * fraction))
    if n_val >= len(examples):
        raise DataError(f"data.val_fraction={fraction} leaves no training records out of {len(examples)}")
    val = sorted(order[:n_val])
    keep = set(val)
    return [e for i, e in enumerate(examples) if i not in keep], [examples[i] for i in val]


def to_dataset(examples: list[Example]):
    from datasets import Dataset

    return Dataset.from_dict({"messages": [e.messages for e in examples]})
