"""The queue's rules on a real (SQLite) database: a job a Ray worker claimed stays `queued` while its task waits
in the cluster's queue, yet no second worker can take it; it turns `running` when the task starts; cancel, reap
and requeue treat it as claimed."""

from __future__ import annotations

import os
import time

import pytest

pytest.importorskip("sqlalchemy")

from dataforge.service import jobs  # noqa: E402
from dataforge.service.db import Database, migrate  # noqa: E402
from dataforge.service.models import Job, Team, now  # noqa: E402


@pytest.fixture
def db(tmp_path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'q.sqlite'}")
    migrate(db.engine)
    with db.session() as s:
        s.add(Team(id=1, name="t"))
    return db


def _queue(db: Database, n: int = 1) -> list[str]:
    ids = []
    with db.session() as s:
        for _ in range(n):
            ids.append(os.urandom(16).hex())
            s.add(Job(id=ids[-1], team_id=1, kind="check", state="queued", inputs=[], params={},
                      cancel_requested=False, attempts=0, created_at=now()))
            time.sleep(0.01)  # claim takes the oldest first
    return ids


def _job(db: Database, job_id: str) -> Job:
    with db.session() as s:
        return s.get(Job, job_id)


def test_a_job_waiting_on_ray_stays_queued_and_is_claimed_once(db):
    first, second = _queue(db, 2)
    job = jobs.claim(db, "ray-worker", waits=True)
    assert job.id == first
    got = _job(db, first)
    assert (got.state, got.worker, got.started_at, got.attempts) == ("queued", "ray-worker", None, 1)
    assert jobs.claim(db, "other").id == second  # the held one is not handed out again
    assert jobs.claim(db, "other") is None
    assert jobs.beat(db, first, {"stage": "queued", "message": "waiting for 1 CPU on the Ray cluster"}) is False
    assert _job(db, first).progress["message"] == "waiting for 1 CPU on the Ray cluster"
    jobs.started(db, first)
    got = _job(db, first)
    assert got.state == "running" and got.started_at is not None
    jobs.finish(db, first, "succeeded", 1.0, result={})
    assert _job(db, first).state == "succeeded"


def test_cancel_of_a_job_waiting_on_ray_goes_through_its_worker(db):
    held, free = _queue(db, 2)
    jobs.claim(db, "ray-worker", waits=True)
    with db.session() as s:
        jobs.cancel(s, s.get(Job, held))
        jobs.cancel(s, s.get(Job, free))
    got = _job(db, held)
    assert got.state == "queued" and got.cancel_requested  # the worker cancels the Ray task, then finishes it
    assert _job(db, free).state == "cancelled"  # nobody held it: cancelled at once
    assert jobs.beat(db, held, None) is True
    jobs.finish(db, held, "cancelled", 0.5, error="cancelled before it started")
    got = _job(db, held)
    assert (got.state, got.error) == ("cancelled", "cancelled before it started")


def test_reap_and_requeue_cover_a_job_waiting_on_ray(db):
    dead, stopping = _queue(db, 2)
    jobs.claim(db, "gone", waits=True)
    jobs.claim(db, "stopping", waits=True)
    jobs.requeue(db, stopping)  # the worker stops (server shutdown): the job goes back, unclaimed
    got = _job(db, stopping)
    assert (got.state, got.worker) == ("queued", None)
    time.sleep(1.1)
    assert jobs.reap(db, timeout=1) == [dead]  # the other one's worker stopped beating
    got = _job(db, dead)
    assert got.state == "failed" and "worker gone died" in got.error
