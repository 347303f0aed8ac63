"""A real Ray cluster on 127.0.0.1 for the engine tests, started once per session: a head node without CPUs
(so every task runs on a worker; it also serves Ray Client on `client_port`) and two worker nodes with one CPU
each, each started by its own `ray start` with a small object store, in a short temp dir. Torn down after: every
process in the sessions of those three `ray start` commands or naming this cluster's temp dir (ours alone), by
pid; never `ray stop`, which would stop other people's clusters on this machine too."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OBJECT_STORE = 200_000_000
AUTH = "disabled"  # a cluster on 127.0.0.1 for one test session; token auth would need a token file per node


def _ray_bin() -> str:
    return str(Path(sys.executable).with_name("ray"))


def _env() -> dict:
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
                RAY_USAGE_STATS_ENABLED="0", RAY_DATA_USAGE_DISABLED="1", HF_HUB_OFFLINE="1",
                TRANSFORMERS_OFFLINE="1", RAY_AUTH_MODE=AUTH,
                # the Ray Client server gives a client's own server this long to come up (30 s by default: too
                # short on a loaded 2-core box)
                RAY_CLIENT_SERVER_CHECK_CHANNEL_TIMEOUT_S="120")


def _session(pid: str) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[3])
    except (OSError, IndexError, ValueError):
        return None


def _ours(tmp: str, sessions: set[int]) -> list[int]:
    """Processes of this cluster: in the sessions of our `ray start` commands, or naming our temp dir."""
    pids = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit() and int(p.name) != os.getpid():
            try:
                if _session(p.name) in sessions or tmp.encode() in (p / "cmdline").read_bytes():
                    pids.append(int(p.name))
            except OSError:
                pass
    return pids


class Cluster:
    def __init__(self):
        from tests.service.conftest import free_port

        self.tmp = tempfile.mkdtemp(prefix="dfray", dir="/tmp")  # short: Ray's socket paths have a length limit
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.client_port = free_port()  # its Ray Client server (ray://), on a port of its own, not 10001
        self.sessions: set[int] = set()

    def _start(self, *args: str) -> None:
        """`ray start` returns once its node is up; its daemons stay in the new session it was started in."""
        log = os.path.join(self.tmp, f"node{len(self.sessions)}.log")
        with open(log, "ab") as out:
            p = subprocess.Popen([_ray_bin(), "start", "--disable-usage-stats", *args], env=_env(), stdout=out,
                                 stderr=out, start_new_session=True)
            self.sessions.add(p.pid)
            if p.wait(timeout=240) != 0:
                raise RuntimeError(f"ray start {' '.join(args[:2])} failed: {Path(log).read_text()[-2000:]}")

    def start(self) -> Cluster:
        self._start("--head", "--node-ip-address", "127.0.0.1", "--port", str(self.port), "--num-cpus", "0",
                    "--ray-client-server-port", str(self.client_port),
                    "--object-store-memory", str(OBJECT_STORE), "--include-dashboard=false",
                    "--temp-dir", self.tmp)
        for _ in range(2):
            self._start("--address", self.address, "--node-ip-address", "127.0.0.1", "--num-cpus", "1",
                        "--object-store-memory", str(OBJECT_STORE))
        import ray

        os.environ["RAY_AUTH_MODE"] = AUTH  # the test process is the cluster's driver
        os.environ["RAY_USAGE_STATS_ENABLED"], os.environ["RAY_DATA_USAGE_DISABLED"] = "0", "1"  # offline
        ray.init(address=self.address, log_to_driver=False)
        assert sum(n["Alive"] for n in ray.nodes()) == 3
        return self

    def stop(self) -> None:
        try:
            import ray

            ray.shutdown()
        finally:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                for pid in _ours(self.tmp, self.sessions):
                    try:
                        os.kill(pid, sig)
                    except ProcessLookupError:
                        pass
                time.sleep(2)
            shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def ray_cluster():
    pytest.importorskip("ray.data", reason="the ray extra is not installed: pip install 'dataforge[ray]'")
    cluster = Cluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def bench_data(tmp_path_factory) -> Path:
    """3000 records made by bench/check/make_data.py (planted exact/near duplicates, PII, mojibake, English)."""
    out = tmp_path_factory.mktemp("bench")
    subprocess.run([sys.executable, str(ROOT / "bench/check/make_data.py"), "--records", "3000", "--out-dir",
                    str(out)], check=True, env=_env(), capture_output=True)
    return next(out.glob("check_3000.jsonl"))


@pytest.fixture(scope="session")
def chat_tokenizers(tmp_path_factory) -> tuple[Path, Path]:
    """Two tiny BPE tokenizers with the ChatML template, trained here on the sample chats (dataforge.train.tiny,
    under a second): the gate's, and a 400-token one that is nearly bytes, to compare."""
    pytest.importorskip("transformers")
    from dataforge.train.tiny import build_tokenizer, texts_of

    root = tmp_path_factory.mktemp("tokenizers")
    texts = list(texts_of([str(ROOT / "sample_data" / "chat_tr.jsonl")]))
    build_tokenizer(texts, root / "gate")
    build_tokenizer(texts, root / "small", vocab_size=400)
    return root / "gate", root / "small"
