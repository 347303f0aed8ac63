"""Crash and restart: a SIGKILLed worker's job is failed with the reason (and its job process dies with it); jobs
queued when the server stops run after it starts again; a queued job cancelled before the stop stays cancelled."""

import os
import signal
import sqlite3
import time

from tests.service.conftest import SAMPLE, Server, big_chat, submit, upload, wait_job


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_sigkill_worker_mid_job_fails_the_job_with_the_reason(server, alpha):
    v = upload(alpha, "crash", data=big_chat(4000), name="crash.jsonl").json()["id"]
    job = submit(alpha, "check", [v]).json()
    wait_job(alpha, job["id"], until=("running",), timeout=120)
    with sqlite3.connect(server.home / "dataforge.sqlite") as db:
        (worker,) = db.execute("SELECT worker FROM jobs WHERE id = ?", (job["id"],)).fetchone()
    pid = int(worker.rsplit(":", 1)[1])
    children = [int(c) for t in os.listdir(f"/proc/{pid}/task")
                for c in open(f"/proc/{pid}/task/{t}/children").read().split()]
    assert children, "the job runs in a child process of the worker"
    os.kill(pid, signal.SIGKILL)
    done = wait_job(alpha, job["id"], timeout=90)
    assert done["state"] == "failed"
    assert f"worker {worker} died" in done["error"] and "no heartbeat" in done["error"]
    time.sleep(1)
    assert not any(_alive(c) for c in children)  # the job's process died with its worker
    # the pool restarted a worker: new jobs still run
    after = wait_job(alpha, submit(alpha, "check", [upload(alpha, "chat", SAMPLE / "chat_tr.jsonl").json()["id"]])
                     .json()["id"])
    assert after["state"] == "succeeded"


def test_jobs_queued_at_stop_run_after_restart(tmp_path):
    srv = Server(tmp_path, workers=0).start()  # no workers: the jobs stay queued
    try:
        with srv.client(srv.token("restart")) as c:
            v = upload(c, "chat", SAMPLE / "chat_tr.jsonl").json()["id"]
            keep = submit(c, "split", [v], params={"val": 0.2}).json()["id"]
            drop = submit(c, "split", [v]).json()["id"]
            assert c.delete(f"/v1/jobs/{drop}").json()["state"] == "cancelled"
            assert c.get(f"/v1/jobs/{keep}").json()["state"] == "queued"
        srv.stop()
        srv.start(workers=1)
        with srv.client(srv.token("restart")) as c:
            done = wait_job(c, keep)
            assert done["state"] == "succeeded" and sum(done["result"]["counts"].values()) == 74
            assert c.get(f"/v1/jobs/{drop}").json()["state"] == "cancelled"
    finally:
        srv.stop()
