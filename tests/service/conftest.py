"""A real `dataforge serve` (uvicorn + worker processes) on 127.0.0.1 and a random free port, on a real database,
shared by the service tests of a session. Tokens are made with the real CLI."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi", reason="the service extra is not installed: pip install 'dataforge[service]'")

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
MAX_UPLOAD = 4 << 20  # small, so the 413 test sends little
# an endpoint key in the server's environment, as a deployment holds its translator/LLM keys (test_secrets.py)
SECRET_ENV, SECRET = "DATAFORGE_TEST_ENDPOINT_KEY", "sk-dataforge-test-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               DATAFORGE_MAX_UPLOAD_BYTES=str(MAX_UPLOAD), DATAFORGE_HEARTBEAT_TIMEOUT="10",
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", **{SECRET_ENV: SECRET})
    return env


class Server:
    def __init__(self, home: Path, db: str | None = None, workers: int = 2):
        self.home, self.db, self.workers = home, db, workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def _db_args(self) -> list[str]:
        return ["--db", self.db] if self.db else []

    def start(self, workers: int | None = None) -> Server:
        self.workers = self.workers if workers is None else workers
        log = open(self.home / "server.log", "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "dataforge", "serve", "--home", str(self.home),
                                      "--port", str(self.port), "--workers", str(self.workers), *self._db_args()],
                                     env=_env(), stdout=log, stderr=log, cwd=self.home)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/v1/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited: {(self.home / 'server.log').read_text()[-3000:]}")
            time.sleep(0.2)
        raise RuntimeError("serve did not answer /v1/health within 60 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(60)

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "dataforge", "serve", "token", *args, "--home", str(self.home),
                               *self._db_args()], env=_env(), capture_output=True, text=True, timeout=60)

    def token(self, team: str) -> str:
        r = self.cli("create", "--team", team)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip().splitlines()[-1]

    def client(self, token: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def worker_pids(self) -> list[int]:
        return [int(x) for x in (self.home / "workers.pid").read_text().split()]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory):
    srv = Server(tmp_path_factory.mktemp("serve-home")).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def alpha(server: Server):
    with server.client(server.token("alpha")) as c:
        yield c


@pytest.fixture(scope="session")
def beta(server: Server):
    with server.client(server.token("beta")) as c:
        yield c


def upload(client, dataset: str, path: Path | None = None, *, data: bytes | None = None, name: str | None = None):
    content = data if data is not None else path.read_bytes()
    return client.post(f"/v1/datasets/{dataset}/versions",
                       files={"file": (name or (path.name if path else "data.jsonl"), content)})


def wait_job(client, job_id: str, timeout: float = 180, until=("succeeded", "failed", "cancelled")) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = client.get(f"/v1/jobs/{job_id}")
        assert r.status_code == 200, r.text
        job = r.json()
        if job["state"] in until:
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} still {job['state']} after {timeout} s: {json.dumps(job)[:2000]}")


def submit(client, kind: str, inputs: list[str], **body):
    return client.post("/v1/jobs", json={"kind": kind, "inputs": inputs, **body})


def big_chat(n: int) -> bytes:
    """`n` distinct chat records from the sample (numbered so that none is an exact duplicate): a check on it
    takes long enough to be caught running."""
    lines = [json.loads(x) for x in (SAMPLE / "chat_tr.jsonl").read_text(encoding="utf-8").splitlines() if x]
    out = []
    for i in range(n):
        rec = json.loads(json.dumps(lines[i % len(lines)]))
        rec["messages"][0]["content"] += f" (soru {i})"
        out.append(json.dumps(rec, ensure_ascii=False))
    return ("\n".join(out) + "\n").encode()
