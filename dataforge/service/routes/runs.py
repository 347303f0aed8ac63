"""GET /v1/runs: the team's training runs, as `dataforge runs` shows them (data version, gate, best val loss,
verdict, exports)."""

from __future__ import annotations

import os

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataforge.service import store
from dataforge.service.config import ServiceConfig
from dataforge.service.deps import READ, current_team, get_config
from dataforge.service.models import Job, Team
from dataforge.service.schemas import RunOut

router = APIRouter(prefix="/v1/runs", tags=["runs"])


def _gate(job: Job) -> str:
    o = job.override or {}
    if o.get("gate", {}).get("passed"):
        return "passed"
    return f"overridden by {o.get('user')}: {o.get('reason')}"


@router.get("", response_model=list[RunOut])
def list_runs(team: Team = Depends(current_team), s: Session = READ,
              cfg: ServiceConfig = Depends(get_config)) -> list[RunOut]:
    from dataforge.service.stages import run_row

    jobs = s.scalars(select(Job).where(Job.team_id == team.id, Job.kind == "train", Job.state == "succeeded")
                     .order_by(Job.finished_at.desc())).all()
    exports = {j.params.get("run"): j.id for j in s.scalars(
        select(Job).where(Job.team_id == team.id, Job.kind == "export", Job.state == "succeeded"))}
    out = []
    for job in jobs:
        run_dir = os.path.join(store.job_dir(cfg.store, team.id, job.id), "run")
        row = run_row(run_dir) if os.path.exists(os.path.join(run_dir, "manifest.json")) else {}
        out.append(RunOut(run=job.id, recipe=job.params.get("recipe", "-"), data_versions=job.inputs,
                          gate=_gate(job), best_val_loss=row.get("best_val_loss"),
                          verdict=row.get("verdict", "-"),
                          exports=[f"/v1/jobs/{exports[job.id]}/files"] if job.id in exports else []))
    return out
