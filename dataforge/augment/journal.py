"""Crash-safe output for long augmentation runs, so `--resume` continues with no record lost or written twice.

Output goes to `OUT.partial`; after each chunk of source records is fully written and flushed, one line is
appended to `OUT.journal`: how many source records are done, the byte length of the partial file at that point,
and the counts so far. On resume the partial file is cut back to the last journalled length (dropping a chunk
that was half written when the run died) and reading starts after the last done record. On success the partial
file is renamed to OUT and the journal removed.
"""

from __future__ import annotations

import json
import os
from typing import Any

from dataforge.errors import UsageError


class Journal:
    def __init__(self, out: str, fingerprint: str):
        self.out = out
        self.partial = f"{out}.partial"
        self.path = f"{out}.journal"
        self.fingerprint = fingerprint  # the settings that shape the output: resuming with others would mix runs
        self.f = None
        self.log = None

    def start(self, resume: bool) -> tuple[int, dict[str, Any]]:
        """Open for writing; returns (source records already done, counts so far)."""
        exists = os.path.exists(self.partial) or os.path.exists(self.path)
        if exists and not resume:
            raise UsageError(f"{self.partial}: left by an interrupted run: pass --resume to continue it, or delete "
                             f"{self.partial} and {self.path} to start over")
        done, counts, size = 0, {}, 0
        if resume and exists:
            entries = self._entries()
            if not entries or entries[0].get("fingerprint") != self.fingerprint:
                raise UsageError(f"{self.path}: written with other settings (method, seed, model, filters ...): "
                                 "rerun with the same options, or delete it and the .partial file to start over")
            last = entries[-1]
            done, counts, size = last.get("done", 0), last.get("counts", {}), last.get("bytes", 0)
        os.makedirs(os.path.dirname(os.path.abspath(self.out)), exist_ok=True)
        mode = "r+b" if resume and os.path.exists(self.partial) else "wb"
        self.f = open(self.partial, mode)
        self.f.truncate(size)
        self.f.seek(size)
        self.log = open(self.path, "a" if resume and exists else "w", encoding="utf-8")
        if not (resume and exists):
            self._append({"fingerprint": self.fingerprint})
        return done, counts

    def _entries(self) -> list[dict[str, Any]]:
        entries = []
        try:
            with open(self.path, encoding="utf-8") as f:
                for line in f:
                    try:
                        entries.append(json.loads(line))
                    except json.JSONDecodeError:  # the line being written when the run died
                        break
        except FileNotFoundError:
            pass
        return entries

    def _append(self, entry: dict[str, Any]) -> None:
        self.log.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.log.flush()
        os.fsync(self.log.fileno())

    def write(self, data: bytes) -> None:
        self.f.write(data)

    def checkpoint(self, done: int, counts: dict[str, Any]) -> None:
        """Everything for the first `done` source records is in the partial file: record that durably."""
        self.f.flush()
        os.fsync(self.f.fileno())
        self._append({"done": done, "bytes": self.f.tell(), "counts": counts})

    def finish(self) -> None:
        self.f.close()
        self.log.close()
        os.replace(self.partial, self.out)
        os.remove(self.path)

    def close(self) -> None:
        """Stop without finishing (an error): the partial file and journal stay for --resume."""
        for f in (self.f, self.log):
            if f is not None and not f.closed:
                f.close()

    def discard(self) -> None:
        """Stop and remove everything: used when a fresh run fails before its first checkpoint."""
        self.close()
        for path in (self.partial, self.path):
            if os.path.exists(path):
                os.remove(path)
