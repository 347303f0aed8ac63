"""Progress on stderr for long work: shown only on a terminal, silenced by --quiet."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# The one channel through which a stage reports to the user: a function of one line of text. Stages take `say`
# and never print; cli.py passes one that writes to stderr (or nothing under --quiet).
Say = Callable[[str], None]


def silent(text: str) -> None:
    """A `say` that reports nothing (library callers that want no output)."""


@contextmanager
def progress(description: str, total: float, *, quiet: bool = False) -> Iterator[Callable[[float], None]]:
    """Yields `advance(n)`. A rich bar when stderr is a terminal and not quiet; otherwise a no-op."""
    if quiet or not sys.stderr.isatty():
        yield lambda n: None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    columns = [TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn()]
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
