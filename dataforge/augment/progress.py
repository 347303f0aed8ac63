"""The augment progress bar: records done of the total, with a rate and an ETA (tqdm, on stderr; `-q` off).

The total is counted before the run by a byte scan of the input (non-blank lines of a .jsonl; about 1 s per GB),
so the bar can show an ETA; for .json and .parquet it shows the count and rate only.
"""

from __future__ import annotations

import sys


def count_records(path: str) -> int | None:
    """Non-blank lines of a JSONL file (its records, valid or not), or None for other files."""
    if not path.endswith(".jsonl"):
        return None
    n = 0
    with open(path, "rb") as f:
        for line in f:
            n += bool(line.strip())
    return n


def progress_bar(enabled: bool, done: int, total: int | None):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(desc="augment", unit="rec", initial=done, total=total, file=sys.stderr, dynamic_ncols=True)
