"""Crash-safe output for long augmentation runs, so `--resume` continues with no record lost or written twice.

Output goes to `OUT.partial`; after each chunk of source records is fully written and flushed, one line is
appended to `OUT.journal`: how many source records are done, the byte length of the partial file at that point,
and the counts so far. On resume the partial file is cut back to the last journalled length (dropping a chunk
that was half written when the run died) and reading starts after the last done record. On success the partial
file is renamed to OUT and the journal removed.

The journal's first line says what the partial file is a part of: the settings that shape the output, a digest
of the input, and the engine that wrote it (`--engine local` counts records done, `--engine ray` blocks done: a
partial file is resumed only by the engine that wrote it).
"""

from __future__ import annotations

import json
import os
from typing import Any

from dataforge.errors import UsageError


class Journal:
    def __init__(self, out: str, fingerprint: str, *, input_digest: str | None = None, engine: str = "local"):
        self.out = out
        self.partial = f"{out}.partial"
        self.path = f"{out}.journal"
        self.fingerprint = fingerprint  # the settings that shape the output: resuming with others would mix runs
        self.input = input_digest
        self.engine = engine
        self.checkpoints: list[dict[str, Any]] = []  # the entries a resumed run continues after
        self.f = None
        self.log = None

    def start(self, resume: bool) -> dict[str, Any]:
        """Open for writing; returns the last checkpoint (`done`, `bytes`, `counts`, ...; {} for a fresh run)."""
        exists = os.path.exists(self.partial) or os.path.exists(self.path)
        if exists and not resume:
            raise UsageError(f"{self.partial}: left by an interrupted run: pass --resume to continue it, or delete "
                             f"{self.partial} and {self.path} to start over")
        last: dict[str, Any] = {}
        if resume and exists:
            entries = self._entries()
            if not entries:
                raise UsageError(f"{self.path}: missing or unreadable, so what {self.partial} holds is unknown: "
                                 f"delete {self.partial} to start over")
            self._check(entries[0])
            self.checkpoints = entries[1:]
            last = entries[-1] if len(entries) > 1 else {}
        size = last.get("bytes", 0)
        os.makedirs(os.path.dirname(os.path.abspath(self.out)), exist_ok=True)
        mode = "r+b" if resume and os.path.exists(self.partial) else "wb"
        self.f = open(self.partial, mode)
        self.f.truncate(size)
        self.f.seek(size)
        self.log = open(self.path, "a" if resume and exists else "w", encoding="utf-8")
        if not (resume and exists):
            self._append({"fingerprint": self.fingerprint, "input": self.input, "engine": self.engine})
        return last

    def _check(self, head: dict[str, Any]) -> None:
        """The partial file is a part of this very run: same engine, same input, same settings."""
        engine = head.get("engine", "local")  # journals from before the Ray engine were all local
        if engine != self.engine:
            raise UsageError(f"{self.partial}: left by an interrupted `--engine {engine}` run, which counts its "
                             f"progress its own way: rerun with --engine {engine} --resume to continue it, or delete "
                             f"{self.partial} and {self.path} to start over")
        if head.get("input", self.input) != self.input:  # older journals have no digest: nothing to compare
            raise UsageError(f"{self.path}: the input changed since the interrupted run: resuming would splice two "
                             f"different files; delete {self.partial} and {self.path} to start over")
        if head.get("fingerprint") != self.fingerprint:
            raise UsageError(f"{self.path}: written with other settings (method, seed, model, filters ...): "
                             "rerun with the same options, or delete it and the .partial file to start over")

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

    def checkpoint(self, done: int, counts: dict[str, Any], **more: Any) -> None:
        """Everything for the first `done` source records (or blocks) is in the partial file: record that durably.
        `more`: what else a resumed run needs from the finished part (the Ray engine: invalid records, problems)."""
        self.f.flush()
        os.fsync(self.f.fileno())
        self._append({"done": done, "bytes": self.f.tell(), "counts": counts, **more})

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
