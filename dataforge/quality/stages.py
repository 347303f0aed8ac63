"""Progress of `check`, one bar per stage with its count and ETA (rich), on stderr. The library only reports
counts through a Stages object; `Stages(show=False)` (the default, and what --quiet gives) draws nothing, so
tests and `train` stay silent. Bars are drawn only on a terminal; elsewhere each stage says one line when it ends
(through `say`), so CI logs still show where the time went."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class Stages:
    def __init__(self, show: bool = False, say: Callable[[str], None] | None = None):
        self._say = say
        self._start = time.perf_counter()
        self._bars = None
        if show and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bars = Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True))
            self._bars.start()

    @contextmanager
    def stage(self, name: str, total: int | None, unit: str = "records") -> Iterator[Callable[[int], None]]:
        """A bar for one stage; yields `advance(n)`. The bar ends full even when the stage counts coarsely."""
        began = time.perf_counter()
        done = [0]
        task = self._bars.add_task(f"{name} ({unit})", total=total) if self._bars else None

        def advance(n: int = 1) -> None:
            done[0] += n
            if task is not None:
                self._bars.advance(task, n)

        yield advance
        if task is not None:
            self._bars.update(task, total=total if total is not None else done[0],
                              completed=total if total is not None else done[0])
        if self._say and self._bars is None:
            count = total if total is not None else done[0]
            self._say(f"{name}: {count} {unit} in {time.perf_counter() - began:.1f} s "
                      f"(at {time.perf_counter() - self._start:.1f} s)")

    def close(self) -> None:
        if self._bars is not None:
            self._bars.stop()
            self._bars = None
