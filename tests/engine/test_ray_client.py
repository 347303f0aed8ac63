"""Ray Client (ray://) against the test cluster's real Ray Client server: `--engine ray` data commands refuse it in
one line (Ray Data does not run over Ray Client, ray-project/ray#48682), while the service's job path (plain Ray
tasks, engine/ray_jobs.py) works through it, Ray Data included when it runs inside the task."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLE
from tests.engine.conftest import ROOT, _env

pytestmark = pytest.mark.slow


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    """A fresh process, as a user runs it (the test process itself is already the cluster's driver)."""
    return subprocess.run([sys.executable, "-m", "dataforge", *args], cwd=ROOT, env={**_env(), **env},
                          capture_output=True, text=True, timeout=240)


def test_data_commands_refuse_a_ray_client_address_in_one_line(ray_cluster, tmp_path):
    client = f"ray://127.0.0.1:{ray_cluster.client_port}"
    fix = ("a Ray Client address, and Ray Data (--engine ray) does not work over Ray Client: run the command on a "
           "node of the cluster with `--ray-address auto`, or give the head's GCS address as HOST:PORT (e.g. "
           "HEAD:6379)")
    out = tmp_path / "out.jsonl"
    given = _cli("clean", str(SAMPLE / "chat_tr.jsonl"), "-o", str(out), "--engine", "ray", "--ray-address", client)
    assert (given.returncode, given.stderr) == (2, f"--ray-address {client}: {fix}\n")
    from_env = _cli("augment", str(SAMPLE / "instructions_tr.jsonl"), "-o", str(out), "--method", "synonym",
                    "--engine", "ray", RAY_ADDRESS=client)
    assert (from_env.returncode, from_env.stderr) == (2, f"RAY_ADDRESS={client}: {fix}\n")
    check = _cli("check", str(SAMPLE / "chat_tr.jsonl"), "--report-dir", str(tmp_path / "r"), "--engine", "ray",
                 RAY_ADDRESS=client)
    assert (check.returncode, check.stderr) == (2, f"RAY_ADDRESS={client}: {fix}\n")
    assert list(tmp_path.iterdir()) == []  # refused before anything was written


JOB_OVER_CLIENT = """
import sys
from dataforge.engine.ray_jobs import RemoteJob, connect, resources

def double(x):  # defined here, so Ray Client ships these by value
    return 2 * x

def count_rows(n):  # Ray Data inside the task: the task runs on a node, a driver that is part of the cluster
    import ray
    return ray.data.range(n).count()

try:
    connect(sys.argv[1])
except ConnectionAbortedError as exc:
    # Ray's proxier starts a server per client and reads its command line; once in a full `make test` that
    # process was already gone (psutil.ZombieProcess inside Ray, "Initialization failure from server"). A client
    # connects again, as Ray Client's own reconnects do; a second failure fails the test.
    print(f"first connection failed, once more: {str(exc).strip().splitlines()[-1]}", file=sys.stderr)
    connect(sys.argv[1])
print(RemoteJob(double, 21, resources("check")).outcome(), RemoteJob(count_rows, 40, resources("check")).outcome())
"""


def test_service_jobs_run_as_ray_tasks_through_ray_client(ray_cluster):
    client = f"ray://127.0.0.1:{ray_cluster.client_port}"
    done = subprocess.run([sys.executable, "-c", JOB_OVER_CLIENT, client], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=240)
    logs = "".join(f"\n--- {p.name}:\n" + p.read_text()[-1500:]
                   for p in Path(ray_cluster.tmp).glob("session_latest/logs/ray_client_server*.err"))
    assert done.returncode == 0, done.stderr[-2000:] + logs
    assert done.stdout.strip().splitlines()[-1] == "('succeeded', 42) ('succeeded', 40)"
