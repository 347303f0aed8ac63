"""Datasets and versions (the rules; routes only translate HTTP). A version is the sha256 of its bytes, kept once
per team in the store, validated when it arrives; its summary and rejects are stored with it."""

from __future__ import annotations

import os
import shutil
import uuid

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataforge.service import store
from dataforge.service.errors import ServiceError, not_found
from dataforge.service.models import Dataset, Team, Version

NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def check_name(name: str) -> None:
    if not name or len(name) > 128 or not set(name) <= NAME_CHARS or name.startswith("."):
        raise ServiceError(422, "invalid", f"dataset name {name!r}: use letters, digits, '-', '_' or '.'", "name")


def get_dataset(s: Session, team: Team, name: str) -> Dataset:
    ds = s.scalar(select(Dataset).where(Dataset.team_id == team.id, Dataset.name == name))
    if ds is None:
        raise not_found("dataset", name)
    return ds


def get_version(s: Session, team: Team, sha: str, dataset: Dataset | None = None) -> Version:
    q = select(Version).where(Version.team_id == team.id, Version.sha256 == sha)
    if dataset is not None:
        q = q.where(Version.dataset_id == dataset.id)
    v = s.scalars(q.order_by(Version.pk)).first()
    if v is None:
        raise not_found("version", sha)
    return v


def store_blob(store_root: str, team_id: int, src: str, sha: str, filename: str) -> dict:
    """Move `src` into the team's blob `sha` (validating it first) unless the blob is there already; returns the
    validate summary. Built in a temporary folder and renamed, so a blob folder is always complete."""
    final = store.blob_dir(store_root, team_id, sha)
    if os.path.exists(os.path.join(final, "summary.json")):
        store.discard(src)
        return orjson.loads(open(os.path.join(final, "summary.json"), "rb").read())
    work = os.path.join(store.team_root(store_root, team_id), "tmp", uuid.uuid4().hex)
    os.makedirs(work)
    try:
        data = os.path.join(work, os.path.basename(store.blob_path(store_root, team_id, sha, filename)))
        os.replace(src, data)
        summary = validate_blob(data, os.path.join(work, "rejects.jsonl"), filename)
        with open(os.path.join(work, "summary.json"), "wb") as fh:
            fh.write(orjson.dumps(summary))
        os.makedirs(os.path.dirname(final), exist_ok=True)
        try:
            os.rename(work, final)
        except OSError:  # the same bytes arrived at the same time from another request: theirs is as good
            shutil.rmtree(work, ignore_errors=True)
    except BaseException:
        store.discard(src)
        shutil.rmtree(work, ignore_errors=True)
        raise
    return summary


def validate_blob(path: str, rejects: str, filename: str) -> dict:
    from dataforge.errors import DataforgeError
    from dataforge.validate import validate

    try:
        summary = validate([path], rejects=rejects, quiet=True).as_json()
    except DataforgeError as exc:  # unreadable as a whole (unknown or mixed format): refused, named by its filename
        raise ServiceError(422, "invalid", "; ".join(exc.lines()).replace(path, filename), "file") from None
    for f in summary["files"]:
        f["path"] = filename  # never show the server's paths
    if os.path.exists(rejects):  # the same for each reject's "file"
        lines = [orjson.loads(line) for line in open(rejects, "rb") if line.strip()]
        with open(rejects, "wb") as fh:
            for r in lines:
                fh.write(orjson.dumps({**r, "file": filename}) + b"\n")
    return summary


def add_version(s: Session, team: Team, dataset_name: str, sha: str, filename: str, size: int, summary: dict,
                lineage: dict | None = None) -> tuple[Version, bool]:
    """The version row for `sha` in the dataset (created with the dataset when new). Returns (version, created)."""
    ds = s.scalar(select(Dataset).where(Dataset.team_id == team.id, Dataset.name == dataset_name))
    if ds is None:
        ds = Dataset(team_id=team.id, name=dataset_name)
        s.add(ds)
        s.flush()
    v = s.scalar(select(Version).where(Version.dataset_id == ds.id, Version.sha256 == sha))
    if v is not None:
        return v, False
    v = Version(dataset_id=ds.id, team_id=team.id, sha256=sha, filename=filename, size=size, summary=summary,
                lineage=lineage)
    s.add(v)
    s.flush()
    return v, True
