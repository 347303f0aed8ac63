"""Jobs (the rules; routes only translate HTTP): submit with typed params and the gate rule, claim with row
locking, heartbeat, finish, cancel, and fail the jobs of workers that died."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dataforge.service import store, versions
from dataforge.service.db import Database
from dataforge.service.errors import ServiceError, not_found
from dataforge.service.models import Job, Team, now
from dataforge.service.schemas import CheckParams, CleanParams, EvaluateParams, ExportParams, JobIn, JobOut, SplitParams

ACTIVE = ("queued", "running")  # a queued job with a worker is claimed: waiting in the Ray cluster's queue
LOG_TAIL = 20  # lines of the job's log shown in its JSON
# the worker's own files, not artifacts
HIDDEN = {"progress.json", "result.json", "error.json", "spec.json", "started.json"}


def _typed(model: type[BaseModel], params: dict) -> dict:
    try:
        return model.model_validate(params).model_dump(mode="json")
    except ValidationError as exc:
        raise _invalid_params(exc) from None


def _invalid_params(exc: ValidationError) -> ServiceError:
    errs = exc.errors()
    keys = [".".join(str(p) for p in e["loc"]) for e in errs]
    msg = "; ".join(f"params.{k}: {'unknown key' if e['type'] == 'extra_forbidden' else e['msg']}"
                    for k, e in zip(keys, errs))
    return ServiceError(422, "invalid", msg, "params." + keys[0] if keys else "params")


def check_params(kind: str, params: dict) -> dict:
    """The params, validated by the stage's typed config (a bad key is 422 naming it) and normalised."""
    if kind == "check":
        return _typed(CheckParams, params)
    if kind == "clean":
        return _typed(CleanParams, params)
    if kind == "split":
        return _typed(SplitParams, params)
    if kind == "augment":
        from dataforge.augment.config import AugmentConfig

        for key in ("lexicon", "cache"):  # paths on the server: the service decides where files go
            if key in params:
                raise ServiceError(422, "invalid", f"params.{key}: not allowed in the service (a server path)",
                                   f"params.{key}")
        try:
            AugmentConfig(**params)
        except ValidationError as exc:
            raise _invalid_params(exc) from None
        return dict(params)
    if kind == "evaluate":
        return _typed(EvaluateParams, params)
    if kind == "export":
        return _typed(ExportParams, params)
    from dataforge.service.stages import check_train_params

    return check_train_params(params)


DATA_KINDS = ("check", "clean", "split", "augment", "train")  # take versions; evaluate and export take a run


def check_inputs(s: Session, team: Team, body: JobIn, params: dict) -> None:
    if body.kind in DATA_KINDS and not body.inputs:
        raise ServiceError(422, "invalid", f"a {body.kind} job needs inputs: version ids", "inputs")
    if body.kind not in DATA_KINDS:
        if body.inputs:
            raise ServiceError(422, "invalid", f"a {body.kind} job takes params.run, not inputs", "inputs")
        run = s.get(Job, params["run"])
        if run is None or run.team_id != team.id or run.kind != "train":
            raise not_found("run", params["run"])
        if run.state != "succeeded":
            raise ServiceError(422, "invalid", f"run {run.id} is {run.state}: only a succeeded train job can be "
                                               f"used", "params.run")
    for sha in body.inputs:
        versions.get_version(s, team, sha)  # 404 for unknown ones and other teams' ones


def latest_check(s: Session, team_id: int, sha: str) -> dict | None:
    """The newest finished check that covered version `sha`: passed, failed checks, report URL."""
    rows = s.scalars(select(Job).where(Job.team_id == team_id, Job.kind == "check", Job.state == "succeeded")
                     .order_by(Job.finished_at.desc(), Job.created_at.desc())).all()
    for job in rows:
        if sha in job.inputs and job.result:
            return {"job": job.id, "passed": job.result["passed"], "failed_checks": job.result["failed_checks"],
                    "report": f"/v1/jobs/{job.id}/files/report.html"}
    return None


def gate(s: Session, team: Team, inputs: list[str]) -> dict:
    """The service's rule before training: every input's latest check passed. Returns what was found."""
    found = {sha: latest_check(s, team.id, sha) for sha in inputs}
    failed = {sha: c for sha, c in found.items() if c is None or not c["passed"]}
    return {"passed": not failed, "checks": found, "failed": failed}


def submit(s: Session, team: Team, body: JobIn) -> Job:
    if body.dataset is not None:
        versions.check_name(body.dataset)
    params = check_params(body.kind, body.params)
    check_inputs(s, team, body, params)
    override = None
    if body.kind == "train":
        g = gate(s, team, body.inputs)
        if not g["passed"] and body.override is None:
            parts = []
            for sha, c in g["failed"].items():
                parts.append(f"{sha[:12]}: never checked (run a check job first)" if c is None else
                             f"{sha[:12]}: checks failed: {', '.join(c['failed_checks'])} (report: {c['report']})")
            raise ServiceError(422, "gate_failed", "the quality gate did not pass: " + "; ".join(parts) +
                               "; clean the data, or send override {user, reason} to train anyway", "inputs",
                               failed=g["failed"])
        override = {"gate": g, **(body.override.model_dump() if body.override else {})}
    job = Job(id=os.urandom(16).hex(), team_id=team.id, kind=body.kind, state="queued", inputs=body.inputs,
              params={**params, **({"dataset": body.dataset} if body.dataset else {})}, override=override,
              cancel_requested=False, attempts=0, created_at=now())
    s.add(job)
    s.flush()
    return job


def get_job(s: Session, team: Team, job_id: str) -> Job:
    job = s.get(Job, job_id)
    if job is None or job.team_id != team.id:
        raise not_found("job", job_id)
    return job


def cancel(s: Session, job: Job) -> None:
    if job.state == "queued" and job.worker is None:
        job.state, job.finished_at, job.error = "cancelled", now(), "cancelled before it started"
    elif job.state in ACTIVE:
        # the worker kills the job's process (or cancels its Ray task, running or still in Ray's queue) within
        # a second
        job.cancel_requested = True
    else:
        raise ServiceError(409, "conflict", f"job {job.id} already {job.state}: nothing to cancel")


def job_out(job: Job, store_root: str) -> JobOut:
    folder = store.job_dir(store_root, job.team_id, job.id)
    tail: list[str] = []
    log = os.path.join(folder, "log.txt")
    if os.path.exists(log):
        with open(log, "rb") as fh:
            fh.seek(max(0, os.path.getsize(log) - 16384))
            tail = fh.read().decode("utf-8", "replace").splitlines()[-LOG_TAIL:]
    files = []
    for root, _dirs, names in os.walk(folder):
        for n in sorted(names):
            rel = os.path.relpath(os.path.join(root, n), folder)
            if rel not in HIDDEN and len(files) < 500:
                files.append(rel)
    return JobOut(id=job.id, kind=job.kind, state=job.state, inputs=job.inputs, params=job.params,
                  override=job.override, progress=job.progress, result=job.result, error=job.error,
                  cancel_requested=job.cancel_requested, created_at=job.created_at, started_at=job.started_at,
                  finished_at=job.finished_at, seconds=job.seconds, log_tail=tail, files=sorted(files))


# ---- the worker's side ---------------------------------------------------------------------------------------

def claim(db: Database, worker: str, *, waits: bool = False) -> Job | None:
    """Take the oldest queued job that no worker holds. PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED; SQLite:
    the session's BEGIN IMMEDIATE holds the write lock from the read to the update, so no two workers take the
    same job. The claimed job is `running`; with `waits` (a Ray worker: the job goes into the cluster's queue
    first) it stays `queued`, held by `worker`, until started() says it runs."""
    with db.session(immediate=True) as s:
        job = s.scalars(select(Job).where(Job.state == "queued", Job.worker.is_(None)).order_by(Job.created_at)
                        .limit(1).with_for_update(skip_locked=True)).first()
        if job is None:
            return None
        t = now()
        job.worker, job.heartbeat_at = worker, t
        if not waits:
            job.state, job.started_at = "running", t
        job.attempts += 1
        return job


def started(db: Database, job_id: str) -> None:
    """A claimed job that waited (in the Ray cluster's queue) has started on a node: it is `running` now."""
    with db.session(immediate=True) as s:
        s.execute(update(Job).where(Job.id == job_id, Job.state == "queued", Job.worker.is_not(None)).values(
            state="running", started_at=now(), heartbeat_at=now()))


def beat(db: Database, job_id: str, progress: dict | None) -> bool:
    """Heartbeat (and progress); returns whether a cancel was asked for."""
    with db.session(immediate=True) as s:
        values: dict[str, Any] = {"heartbeat_at": now()}
        if progress is not None:
            values["progress"] = progress
        s.execute(update(Job).where(Job.id == job_id, Job.state.in_(ACTIVE), Job.worker.is_not(None))
                  .values(**values))
        return bool(s.scalar(select(Job.cancel_requested).where(Job.id == job_id)))


def finish(db: Database, job_id: str, state: str, seconds: float, *, result: dict | None = None,
           error: str | None = None) -> None:
    with db.session(immediate=True) as s:
        s.execute(update(Job).where(Job.id == job_id, Job.state.in_(ACTIVE), Job.worker.is_not(None)).values(
            state=state, result=result, error=error, finished_at=now(), seconds=round(seconds, 3)))


def requeue(db: Database, job_id: str) -> None:
    """The worker is stopping (the server shuts down): the job runs again after the restart."""
    with db.session(immediate=True) as s:
        s.execute(update(Job).where(Job.id == job_id, Job.state.in_(ACTIVE)).values(
            state="queued", worker=None, started_at=None, heartbeat_at=None, progress=None))


def reap(db: Database, timeout: float) -> list[str]:
    """Fail the claimed jobs (running, or queued on Ray) whose worker stopped beating (SIGKILL, a lost machine):
    never `running` forever. (A Ray task's owner is its worker: Ray ends the task when the worker dies.)"""
    cutoff = now() - timedelta(seconds=timeout)
    with db.session(immediate=True) as s:
        dead = s.scalars(select(Job).where(Job.state.in_(ACTIVE), Job.worker.is_not(None),
                                           Job.heartbeat_at < cutoff)).all()
        for job in dead:
            job.state, job.finished_at = "failed", now()
            job.error = (f"worker {job.worker} died: no heartbeat for {timeout:.0f} s (killed, or its machine went "
                         f"down); the job did not finish, submit it again")
        return [j.id for j in dead]
