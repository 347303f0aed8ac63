"""`dataforge serve`: migrate the database, start the worker processes, run the API on uvicorn; stop the workers
(their running jobs go back to the queue) when the server stops. A worker that dies is restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

from dataforge.service.config import ServiceConfig
from dataforge.service.db import Database, migrate

RESTART_CHECK_S = 1.0


class Pool:
    """The worker processes. A supervisor thread (it runs no jobs) restarts any that exit."""

    def __init__(self, cfg: ServiceConfig, n: int):
        self.cfg, self.n = cfg, n
        self.procs: list[subprocess.Popen] = []
        self.stopping = threading.Event()

    def _spawn(self) -> subprocess.Popen:
        cmd = [sys.executable, "-m", "dataforge.service.worker", "--home", self.cfg.home, "--db", self.cfg.db_url]
        return subprocess.Popen(cmd, env=dict(os.environ))

    def start(self) -> None:
        self.procs = [self._spawn() for _ in range(self.n)]
        with open(os.path.join(self.cfg.home, "workers.pid"), "w") as fh:  # for operators (and the crash test)
            fh.write("\n".join(str(p.pid) for p in self.procs) + "\n")
        threading.Thread(target=self._supervise, daemon=True).start()

    def _supervise(self) -> None:
        while not self.stopping.wait(RESTART_CHECK_S):
            for i, p in enumerate(self.procs):
                if p.poll() is not None and not self.stopping.is_set():
                    print(f"dataforge serve: worker {p.pid} exited ({p.returncode}); starting another",
                          file=sys.stderr)
                    self.procs[i] = self._spawn()

    def stop(self) -> None:
        self.stopping.set()
        for p in self.procs:
            if p.poll() is None:
                p.terminate()  # SIGTERM: the worker puts its running job back in the queue and exits
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


def serve(cfg: ServiceConfig, host: str, port: int, workers: int) -> None:
    import uvicorn

    from dataforge.service.app import create_app

    os.makedirs(cfg.store, exist_ok=True)
    db = Database(cfg.db_url)
    migrate(db.engine)
    pool = Pool(cfg, workers)
    pool.start()
    # uvicorn shuts down on SIGTERM/SIGINT and then raises the signal again under the handler that was there
    # before it started: with the default one the process would die right there, before stopping the workers.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    try:
        uvicorn.run(create_app(cfg, db), host=host, port=port, log_level="warning")
    finally:
        pool.stop()


def open_db(cfg: ServiceConfig) -> Database:
    """The database of `cfg`, migrated (for the token commands, which may run before the first `serve`)."""
    os.makedirs(cfg.home, exist_ok=True)
    db = Database(cfg.db_url)
    migrate(db.engine)
    return db
