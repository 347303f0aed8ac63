"""Two teams: every route answers 404 to the other team's objects, and no path leaves a team's store."""

import os

import pytest

from tests.service.conftest import SAMPLE, submit, upload, wait_job


@pytest.fixture(scope="module")
def owned(server, alpha) -> dict:
    v = upload(alpha, "private", SAMPLE / "chat_tr.jsonl").json()["id"]
    job = wait_job(alpha, submit(alpha, "check", [v]).json()["id"])
    return {"version": v, "job": job["id"]}


def test_other_team_gets_404_on_every_route(alpha, beta, owned):
    v, j = owned["version"], owned["job"]
    assert "private" not in beta.get("/v1/datasets").json()
    for path in ("/v1/datasets/private", f"/v1/datasets/private/versions/{v}",
                 f"/v1/datasets/private/versions/{v}/data", f"/v1/datasets/private/versions/{v}/rejects",
                 f"/v1/jobs/{j}", f"/v1/jobs/{j}/files/report.html", f"/v1/jobs/{j}/files/report.json"):
        r = beta.get(path)
        assert r.status_code == 404, path
        assert r.json()["error"]["code"] == "not_found"
        assert alpha.get(path).status_code in (200, 404 if path.endswith("rejects") else 200), path
    assert beta.delete(f"/v1/jobs/{j}").status_code == 404
    assert all(job["id"] != j for job in beta.get("/v1/jobs").json())
    assert submit(beta, "check", [v]).status_code == 404  # another team's version is not an input


def test_same_bytes_in_two_teams_are_two_stores(alpha, beta, owned, server):
    mine = upload(beta, "private", SAMPLE / "chat_tr.jsonl").json()
    assert mine["id"] == owned["version"]  # the same content, the same id...
    assert mine["latest_check"] is None  # ...but alpha's check is not beta's
    assert beta.get(f"/v1/jobs/{owned['job']}").status_code == 404


def test_paths_never_leave_the_team_store(alpha, owned, server):
    j = owned["job"]
    for bad in ("../../../../etc/passwd", "..%2F..%2Fdataforge.sqlite", "%2Fetc%2Fpasswd", "/etc/passwd",
                "../" + j + "/report.json", "result.json"):
        r = alpha.get(f"/v1/jobs/{j}/files/{bad}")
        assert r.status_code == 404, (bad, r.status_code)
    job_dir = server.home / "store" / "teams"
    folder = next(p for p in job_dir.glob(f"*/jobs/{j}"))
    os.symlink(server.home / "dataforge.sqlite", folder / "escape.db")
    os.symlink("/etc/hostname", folder / "host")
    assert alpha.get(f"/v1/jobs/{j}/files/escape.db").status_code == 404
    assert alpha.get(f"/v1/jobs/{j}/files/host").status_code == 404
    assert alpha.get(f"/v1/datasets/private/versions/{owned['version']}/..%2F..%2F..%2F..%2Fdataforge.sqlite") \
        .status_code == 404
