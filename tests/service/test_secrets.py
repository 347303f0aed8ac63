"""Endpoint keys live in the server's environment: a job names the variable, and the key never reaches a job's
JSON, its log, a derived version, the store or the database, even from a server that echoes it back."""

from __future__ import annotations

import json

import pytest

from tests.augment.servers import Script, chat_answer, serve
from tests.service.conftest import SAMPLE, SECRET, SECRET_ENV, submit, upload, wait_job


def _everything_on_disk(home) -> bytes:
    return b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())


def _paraphrase(url: str) -> dict:
    return {"method": "paraphrase", "backend": "openai", "base_url": url + "/v1", "model": "m",
            "api_key_env": SECRET_ENV, "concurrency": 1}


def test_a_literal_key_in_params_is_refused(alpha):
    v = upload(alpha, "pc-secret", SAMPLE / "prompt_completion_tr.jsonl").json()["id"]
    r = submit(alpha, "augment", [v], params={"method": "paraphrase", "api_key": SECRET})
    assert r.status_code == 422 and SECRET not in r.text


@pytest.mark.parametrize("mode", ["401", "echo"])
def test_an_endpoint_key_never_reaches_jobs_logs_versions_or_the_database(alpha, server, mode):
    v = upload(alpha, "pc-secret", SAMPLE / "prompt_completion_tr.jsonl").json()["id"]
    script = Script(default=mode)
    with serve(script, chat_answer) as url:
        job = wait_job(alpha, submit(alpha, "augment", [v], params=_paraphrase(url)).json()["id"], timeout=300)
    assert script.requests >= 1  # the key was sent, and a 401 body or the answers echoed it back
    assert job["state"] == ("failed" if mode == "401" else "succeeded"), job
    shown = json.dumps(job) + "".join(alpha.get(f"/v1/jobs/{job['id']}/files/{f}").text for f in job["files"])
    assert SECRET not in shown and "[REDACTED]" in shown
    assert SECRET.encode() not in _everything_on_disk(server.home)  # database, store, logs
