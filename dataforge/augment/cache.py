"""A persistent on-disk cache of model and service answers (sqlite), so reruns and `--resume` cost nothing for
what was already translated or paraphrased. Keyed by (backend, model, task, text): changing any of them misses.

The file is created at the first answer stored, and a fresh run that fails removes a cache it created
(`discard`), so a failed first run leaves nothing behind; a cache that existed before the run is kept.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path


class AnswerCache:
    def __init__(self, path: str | None):
        self.path = path
        self.db = None
        self.created = False  # this run made the file: a failed fresh run removes it again
        if path and os.path.exists(path):
            self._open()
        self.hits = 0
        self.misses = 0

    def _open(self) -> None:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread=False: the paraphrase client writes from its worker threads, one at a time (lock
        # held by the caller).
        self.db = sqlite3.connect(self.path, check_same_thread=False)
        self.db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, answer TEXT NOT NULL)")

    @staticmethod
    def key(backend: str, model: str, task: str, text: str) -> str:
        return hashlib.sha256("\x1f".join((backend, model, task, text)).encode()).hexdigest()

    def get_many(self, keys: list[str]) -> dict[str, str]:
        if self.db is None or not keys:
            self.misses += len(keys)
            return {}
        found: dict[str, str] = {}
        for i in range(0, len(keys), 500):  # sqlite's bound-parameter limit
            part = keys[i:i + 500]
            rows = self.db.execute(f"SELECT key, answer FROM answers WHERE key IN ({','.join('?' * len(part))})", part)
            found.update(rows.fetchall())
        self.hits += len(found)
        self.misses += len(keys) - len(found)
        return found

    def put_many(self, items: dict[str, str]) -> None:
        if not self.path or not items:
            return
        if self.db is None:
            self.created = not os.path.exists(self.path)
            self._open()
        with self.db:  # one transaction: a crash leaves the batch in or out, never half
            self.db.executemany("INSERT OR REPLACE INTO answers VALUES (?, ?)", list(items.items()))

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def discard(self) -> None:
        """Close, and remove the file when this run created it (sqlite's -journal/-wal files with it)."""
        self.close()
        if self.created:
            for suffix in ("", "-journal", "-wal", "-shm"):
                if os.path.exists(self.path + suffix):
                    os.remove(self.path + suffix)
            self.created = False
