"""Datasets and their versions: upload (streamed, validated, content-addressed), list, show, download."""

from __future__ import annotations

import os

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dataforge.service import jobs, store, versions
from dataforge.service.config import ServiceConfig
from dataforge.service.db import Database
from dataforge.service.deps import READ, current_team, get_config, get_db
from dataforge.service.models import Dataset, Team, Version
from dataforge.service.schemas import DatasetOut, VersionOut

router = APIRouter(prefix="/v1/datasets", tags=["datasets"])


def version_out(s: Session, v: Version, dataset: str) -> VersionOut:
    return VersionOut(id=v.sha256, dataset=dataset, filename=v.filename, size=v.size, summary=v.summary,
                      lineage=v.lineage, created_at=v.created_at, latest_check=jobs.latest_check(s, v.team_id,
                                                                                                  v.sha256))


@router.post("/{name}/versions", response_model=VersionOut, status_code=201,
             responses={200: {"description": "the same bytes were uploaded before: the existing version"}})
async def upload(name: str, request: Request, response: Response, team: Team = Depends(current_team),
                 db: Database = Depends(get_db), cfg: ServiceConfig = Depends(get_config)) -> VersionOut:
    """Upload a file (multipart field `file`): streamed to disk, validated, stored once per sha256."""
    versions.check_name(name)
    tmp = os.path.join(store.team_root(cfg.store, team.id), "tmp")
    up = await store.receive(request, tmp, cfg.max_upload_bytes)
    sha = up.sha.hexdigest()
    summary = await run_in_threadpool(versions.store_blob, cfg.store, team.id, up.tmp, sha, up.filename)
    # the database work runs in a thread, never on the event loop: a blocked loop could not finish the
    # request that holds SQLite's write lock, and both would wait out the busy timeout
    out, created = await run_in_threadpool(_add, db, team, name, sha, up.filename, up.size, summary)
    response.status_code = 201 if created else 200
    return out


def _add(db: Database, team: Team, name: str, sha: str, filename: str, size: int,
         summary: dict) -> tuple[VersionOut, bool]:
    for attempt in range(2):  # a concurrent first upload to the same new dataset may win the unique constraint
        try:
            with db.session(immediate=True) as s:
                v, created = versions.add_version(s, team, name, sha, filename, size, summary)
                return version_out(s, v, name), created
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


@router.get("", response_model=list[str])
def list_datasets(team: Team = Depends(current_team), s: Session = READ) -> list[str]:
    return list(s.scalars(select(Dataset.name).where(Dataset.team_id == team.id).order_by(Dataset.name)))


@router.get("/{name}", response_model=DatasetOut)
def show_dataset(name: str, team: Team = Depends(current_team), s: Session = READ) -> DatasetOut:
    ds = versions.get_dataset(s, team, name)
    rows = s.scalars(select(Version).where(Version.dataset_id == ds.id).order_by(Version.pk)).all()
    return DatasetOut(name=ds.name, versions=[version_out(s, v, ds.name) for v in rows])


@router.get("/{name}/versions/{vid}", response_model=VersionOut)
def show_version(name: str, vid: str, team: Team = Depends(current_team), s: Session = READ) -> VersionOut:
    ds = versions.get_dataset(s, team, name)
    return version_out(s, versions.get_version(s, team, vid, ds), name)


@router.get("/{name}/versions/{vid}/{which}")
def download(name: str, vid: str, which: str, team: Team = Depends(current_team), s: Session = READ,
             cfg: ServiceConfig = Depends(get_config)) -> FileResponse:
    """`data` (the version's bytes) or `rejects` (JSONL: line, errors, raw)."""
    ds = versions.get_dataset(s, team, name)
    v = versions.get_version(s, team, vid, ds)
    folder = store.blob_dir(cfg.store, team.id, v.sha256)
    rel = {"data": os.path.basename(store.blob_path(cfg.store, team.id, v.sha256, v.filename)),
           "rejects": "rejects.jsonl"}.get(which, which)
    if which not in ("data", "rejects"):
        raise versions.not_found("file", which)
    path = store.inside(folder, rel)
    return FileResponse(path, filename=v.filename if which == "data" else f"{v.sha256[:12]}.rejects.jsonl")
