"""A job worker: a separate process started by `dataforge serve`. It claims jobs from the database, runs each in
its own child process (so cancel can kill it, and a crash in a stage cannot take the worker down), beats every
second with the child's progress, and turns the child's result into job state and new versions.

    python -m dataforge.service.worker --home DIR [--db URL] [--name NAME]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import multiprocessing
import os
import signal
import socket
import sys
import time
import traceback

from sqlalchemy.exc import OperationalError

from dataforge import __version__
from dataforge.service import jobs, store, versions
from dataforge.service.config import ServiceConfig
from dataforge.service.db import Database
from dataforge.service.models import Job, Team, Version

POLL_S = 0.5  # how often an idle worker looks for a queued job
BEAT_S = 1.0
KILL_GRACE_S = 5.0  # after SIGTERM, the job's process group gets this long before SIGKILL


def _die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Linux: get `sig` when the parent dies. A job's process is killed with its worker, and a worker is told to
    stop with its server, so nothing is left behind polling the database."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, sig)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _child(spec: dict) -> None:
    """The job's own process: runs one stage, writes result.json or error.json into the job folder."""
    os.setsid()  # its own process group: cancel kills the stage's helpers (pools, tokenizer threads) too
    _die_with_parent()
    out = spec["out"]
    log = os.open(os.path.join(out, "log.txt"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)

    os._exit(_outcome(spec))


def _ray_job(spec: dict) -> dict:
    """A job as a Ray task (serve --ray-address): the same stage and files as `_child`, in a Ray worker."""
    import ray

    _outcome(spec)
    ctx = ray.get_runtime_context()
    # the GPUs the job saw: Ray's CUDA_VISIBLE_DEVICES for its num_gpus ("" for a job that asked for none)
    return {"node": ctx.get_node_id(), "task": ctx.get_task_id(), "gpus": os.environ.get("CUDA_VISIBLE_DEVICES")}


def _outcome(spec: dict) -> int:
    """Run the job's stage; write result.json or error.json into its folder; 0 when it succeeded."""
    out = spec["out"]

    def progress(stage: str, done: int, total: int) -> None:
        tmp = os.path.join(out, "progress.json.tmp")
        with open(tmp, "w") as fh:
            json.dump({"stage": stage, "done": done, "total": total}, fh)
        os.replace(tmp, os.path.join(out, "progress.json"))

    from dataforge.errors import DataforgeError
    from dataforge.service.errors import ServiceError
    from dataforge.service.stages import STAGES

    try:
        kwargs = {"gate": spec["gate"]} if spec["kind"] == "train" else {}
        if "run_dir" in spec:
            kwargs["run_dir"] = spec["run_dir"]
        result = STAGES[spec["kind"]](spec["inputs"], spec["params"], out, progress, **kwargs)
        name, body = "result.json", result
        code = 0
    except DataforgeError as exc:
        name, body, code = "error.json", {"error": "\n".join(exc.lines())}, 1
    except ServiceError as exc:
        name, body, code = "error.json", {"error": exc.message}, 1
    except BaseException as exc:  # a bug in a stage: the traceback goes to the job's log, one line to the job
        traceback.print_exc()
        name, body, code = "error.json", {"error": f"internal error: {type(exc).__name__}: {exc}"}, 1
    with open(os.path.join(out, name + ".tmp"), "w") as fh:
        json.dump(body, fh, ensure_ascii=False, default=str)
    os.replace(os.path.join(out, name + ".tmp"), os.path.join(out, name))
    sys.stdout.flush()
    return code


class Worker:
    def __init__(self, cfg: ServiceConfig, name: str, ray_address: str | None = None):
        self.cfg, self.name, self.ray_address = cfg, name, ray_address
        self.db = Database(cfg.db_url)
        self.stopping = False

    def stop(self, *_args: object) -> None:
        self.stopping = True

    def loop(self) -> None:
        last_reap = 0.0
        parent = os.getppid()
        while not self.stopping:
            if os.getppid() != parent:  # the server is gone (and PDEATHSIG did not reach us): stop too
                break
            if time.monotonic() - last_reap > 2.0:
                try:
                    jobs.reap(self.db, self.cfg.heartbeat_timeout)
                except OperationalError as exc:
                    print(f"worker {self.name}: reaping failed, trying again: {exc}", file=sys.stderr)
                last_reap = time.monotonic()
            try:
                # on Ray a claimed job stays `queued` until its task starts on a node of the cluster
                job = jobs.claim(self.db, self.name, waits=bool(self.ray_address))
            except OperationalError as exc:
                print(f"worker {self.name}: claiming failed, trying again: {exc}", file=sys.stderr)
                time.sleep(POLL_S)
                continue
            if job is None:
                time.sleep(POLL_S)
                continue
            self.run(job)

    def _spec(self, job: Job, out: str) -> dict:
        with self.db.session() as s:
            team = s.get(Team, job.team_id)
            paths = []
            for sha in job.inputs:
                v = versions.get_version(s, team, sha)
                paths.append(store.blob_path(self.cfg.store, team.id, sha, v.filename))
        gate = dict(job.override or {}, data_versions=job.inputs) if job.kind == "train" else None
        spec = {"kind": job.kind, "inputs": paths, "params": job.params, "out": out, "gate": gate}
        if "run" in job.params:  # evaluate, export: the train job's run directory
            spec["run_dir"] = os.path.join(store.job_dir(self.cfg.store, job.team_id, job.params["run"]), "run")
        return spec

    def run(self, job: Job) -> None:
        out = store.job_dir(self.cfg.store, job.team_id, job.id)
        # a job run again after a restart
        for leftover in ("result.json", "error.json", "progress.json", "started.json"):
            store.discard(os.path.join(out, leftover))
        os.makedirs(out, exist_ok=True)
        start = time.monotonic()
        try:
            spec = self._spec(job, out)
        except Exception as exc:  # an input vanished: fail the job, keep the worker
            jobs.finish(self.db, job.id, "failed", time.monotonic() - start, error=f"cannot start: {exc}")
            return
        if self.ray_address:
            self._run_on_ray(job, spec, out, start)
            return
        proc = multiprocessing.get_context("fork").Process(target=_child, args=(spec,), daemon=False)
        proc.start()
        cancelled = False
        while proc.is_alive():
            proc.join(BEAT_S)
            progress = _read(os.path.join(out, "progress.json"))
            try:
                wants_cancel = jobs.beat(self.db, job.id, progress)
            except OperationalError as exc:  # the database is busy or away for a moment: beat again next second
                print(f"worker {self.name}: heartbeat of job {job.id} failed: {exc}", file=sys.stderr)
                continue
            if wants_cancel and not cancelled:
                cancelled = True
                _kill(proc)
            elif self.stopping:
                _kill(proc)
                jobs.requeue(self.db, job.id)
                return
        self._finish(job, out, start, cancelled, f"the job's process exited with code {proc.exitcode}")

    def _run_on_ray(self, job: Job, spec: dict, out: str, start: float) -> None:
        """The job as a Ray task; the same heartbeat, cancel and outcome as a local child process. The job stays
        `queued` (progress: what it waits for) until the task writes started.json on a node."""
        from dataforge.engine.ray_jobs import RemoteJob, resources, waiting_message
        from dataforge.errors import DataforgeError

        marker = os.path.join(out, "started.json")
        try:
            asks = resources(job.kind, job.params.get("recipe"), job.params.get("overrides"))
            task = RemoteJob(_ray_job, spec, asks, started=marker)
        except DataforgeError as exc:  # no node is big enough (it would wait forever), or the recipe went bad
            jobs.finish(self.db, job.id, "failed", time.monotonic() - start,
                        error="cannot start on Ray: " + "; ".join(exc.lines()))
            return
        waiting = {"stage": "queued", "done": 0, "total": 0, "message": waiting_message(asks)}
        running = cancelled = False
        while not task.done(BEAT_S):
            try:
                if not running and os.path.exists(marker):
                    jobs.started(self.db, job.id)
                    running, start = True, time.monotonic()
                progress = _read(os.path.join(out, "progress.json")) if running else waiting
                wants_cancel = jobs.beat(self.db, job.id, progress)
            except OperationalError as exc:
                print(f"worker {self.name}: heartbeat of job {job.id} failed: {exc}", file=sys.stderr)
                continue
            if wants_cancel and not cancelled:
                cancelled = True
                task.cancel()
            elif self.stopping:
                task.cancel()
                jobs.requeue(self.db, job.id)
                return
        if not running and os.path.exists(marker):  # it started and ended between two beats
            jobs.started(self.db, job.id)
            running = True
        state, value = task.outcome()
        self._finish(job, out, start, cancelled or state == "cancelled",
                     value if state == "failed" else "the Ray task ended without a result",
                     ray=value if state == "succeeded" else None,
                     cancelled_how="cancelled while running" if running else "cancelled before it started")

    def _finish(self, job: Job, out: str, start: float, cancelled: bool, no_result: str,
                ray: dict | None = None, cancelled_how: str = "cancelled while running") -> None:
        seconds = time.monotonic() - start
        if cancelled:
            jobs.finish(self.db, job.id, "cancelled", seconds, error=cancelled_how)
            return
        result, error = _read(os.path.join(out, "result.json")), _read(os.path.join(out, "error.json"))
        if result is None:
            why = error["error"] if error else no_result
            jobs.finish(self.db, job.id, "failed", seconds, error=why)
            return
        if ray:
            result["ray"] = ray  # where it ran: the node and task ids
        try:
            result["versions"] = self._derive(job, out, result.get("versions") or {})
        except Exception as exc:
            jobs.finish(self.db, job.id, "failed", seconds, error=f"storing the outputs failed: {exc}")
            return
        jobs.finish(self.db, job.id, "succeeded", seconds, result=result)

    def _derive(self, job: Job, out: str, made: dict[str, str]) -> dict[str, str]:
        """Each derived file becomes a version of the dataset (the first input's unless the job named one),
        with its lineage: parents, job, kind, params, tool version."""
        from dataforge.io import file_sha256

        ids: dict[str, str] = {}
        for role, rel in made.items():
            path = os.path.join(out, rel)
            sha = file_sha256(path)
            filename = f"{job.kind}-{role}.jsonl"
            size = os.path.getsize(path)
            # keep the job's own copy downloadable: the store gets a hard link (the same bytes, no copy)
            link = path + ".store"
            os.link(path, link)
            summary = versions.store_blob(self.cfg.store, job.team_id, link, sha, filename)
            lineage = {"parents": job.inputs, "job": job.id, "kind": job.kind, "role": role, "params": job.params,
                       "tool": f"dataforge {__version__}"}
            with self.db.session(immediate=True) as s:
                team = s.get(Team, job.team_id)
                dataset = job.params.get("dataset") or self._dataset_of(s, team, job.inputs[0])
                v, _ = versions.add_version(s, team, dataset, sha, filename, size, summary, lineage)
                ids[role] = v.sha256
        return ids

    @staticmethod
    def _dataset_of(s, team: Team, sha: str) -> str:  # noqa: ANN001
        from dataforge.service.models import Dataset

        v: Version = versions.get_version(s, team, sha)
        return s.get(Dataset, v.dataset_id).name


def _read(path: str) -> dict | None:
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def _kill(proc: multiprocessing.Process) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    proc.join(KILL_GRACE_S)
    if proc.is_alive():
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.join()


def preload() -> None:
    """Import the check's heavy modules once in the worker, before any fork: each job's process then starts with
    them loaded (great-expectations alone takes about 3 s to import). DATAFORGE_WORKER_PRELOAD=0 turns it off."""
    if os.environ.get("DATAFORGE_WORKER_PRELOAD", "1") == "0":
        return
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    try:
        import great_expectations  # noqa: F401
        import polars  # noqa: F401

        import dataforge.quality.gate  # noqa: F401
    except ImportError:  # the quality extra is missing: the check job says what to install when it runs
        pass


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="dataforge-worker")
    p.add_argument("--home", required=True)
    p.add_argument("--db")
    p.add_argument("--name")
    args = p.parse_args(argv)
    cfg = ServiceConfig.from_env(args.home, args.db)
    ray_address = os.environ.get("DATAFORGE_RAY_ADDRESS")  # set by `dataforge serve --ray-address`
    if ray_address:
        from dataforge.engine.ray_jobs import connect

        connect(ray_address)
    worker = Worker(cfg, args.name or f"{socket.gethostname()}:{os.getpid()}", ray_address)
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    _die_with_parent(signal.SIGTERM)
    preload()
    worker.loop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
