"""Jobs: submit, show (state, progress, timings, log tail, files), list, cancel, download a job's files."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataforge.service import jobs, store
from dataforge.service.config import ServiceConfig
from dataforge.service.db import Database
from dataforge.service.deps import READ, current_team, get_config, get_db
from dataforge.service.models import Job, Team
from dataforge.service.schemas import JobIn, JobOut

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.post("", response_model=JobOut, status_code=201)
def submit(body: JobIn, team: Team = Depends(current_team), db: Database = Depends(get_db),
           cfg: ServiceConfig = Depends(get_config)) -> JobOut:
    """Queue a job. Params are checked by the stage's typed config; train is refused (422) when an input's latest
    check did not pass, unless `override: {user, reason}` is given (recorded in the run manifest)."""
    with db.session(immediate=True) as s:  # the write lock is held only inside this thread, briefly
        job = jobs.submit(s, team, body)
    return jobs.job_out(job, cfg.store)


@router.get("", response_model=list[JobOut])
def list_jobs(state: str | None = None, kind: str | None = None, limit: int = 100,
              team: Team = Depends(current_team), s: Session = READ,
              cfg: ServiceConfig = Depends(get_config)) -> list[JobOut]:
    q = select(Job).where(Job.team_id == team.id)
    if state:
        q = q.where(Job.state == state)
    if kind:
        q = q.where(Job.kind == kind)
    rows = s.scalars(q.order_by(Job.created_at.desc()).limit(max(1, min(limit, 1000)))).all()
    return [jobs.job_out(j, cfg.store) for j in rows]


@router.get("/{job_id}", response_model=JobOut)
def show(job_id: str, team: Team = Depends(current_team), s: Session = READ,
         cfg: ServiceConfig = Depends(get_config)) -> JobOut:
    return jobs.job_out(jobs.get_job(s, team, job_id), cfg.store)


@router.delete("/{job_id}", response_model=JobOut)
def cancel(job_id: str, team: Team = Depends(current_team), db: Database = Depends(get_db),
           cfg: ServiceConfig = Depends(get_config)) -> JobOut:
    """Cancel: a queued job at once; a running one is killed by its worker within about a second."""
    with db.session(immediate=True) as s:
        job = jobs.get_job(s, team, job_id)
        jobs.cancel(s, job)
    return jobs.job_out(job, cfg.store)


@router.get("/{job_id}/files/{path:path}")
def download(job_id: str, path: str, team: Team = Depends(current_team), s: Session = READ,
             cfg: ServiceConfig = Depends(get_config)) -> FileResponse:
    """A file the job wrote: report.html, report.json, drops.jsonl, run/manifest.json, adapters, exports."""
    job = jobs.get_job(s, team, job_id)
    if path in jobs.HIDDEN:
        raise jobs.not_found("file", path)
    return FileResponse(store.inside(store.job_dir(cfg.store, team.id, job.id), path))
