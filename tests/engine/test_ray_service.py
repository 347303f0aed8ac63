"""`dataforge serve --ray-address`: a real server on 127.0.0.1 whose jobs run as tasks on the session's Ray
cluster; a check job succeeds there (the result names the Ray node) and a cancelled job ends cancelled. A train
job whose recipe asks for more GPUs than any node has fails at once with the reason (the cluster has none); a job
the full cluster cannot start yet shows `queued` with what it waits for, can be cancelled there, and runs once
the cluster has room."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("fastapi", reason="the service extra is not installed: pip install 'dataforge[service]'")

from tests.service.conftest import SAMPLE, Server, big_chat, submit, upload, wait_job  # noqa: E402

pytestmark = pytest.mark.slow


class RayServer(Server):
    def __init__(self, home, address: str):
        super().__init__(home, workers=1)
        self.ray_address = address

    def _db_args(self) -> list[str]:  # the serve command's extra options (the token commands take them too)
        return ["--ray-address", self.ray_address] if self.proc is None else []


@pytest.fixture(scope="module")
def ray_server(ray_cluster, tmp_path_factory):
    srv = RayServer(tmp_path_factory.mktemp("serve-ray"), ray_cluster.address).start()
    yield srv
    srv.stop()


def test_jobs_run_as_ray_tasks(ray_server, ray_cluster):
    import ray

    with ray_server.client(ray_server.token("raya")) as c:
        sha = upload(c, "chat", SAMPLE / "chat_tr.jsonl").json()["id"]
        job = wait_job(c, submit(c, "check", [sha]).json()["id"], timeout=240)
        assert job["state"] == "succeeded", job
        workers = {n["NodeID"] for n in ray.nodes() if n["Alive"] and n["Resources"].get("CPU")}
        assert job["result"]["ray"]["node"] in workers  # it ran on a worker node of the cluster
        assert job["result"]["ray"]["gpus"] == ""  # a job that asked for no GPU sees none
        big = upload(c, "big", data=big_chat(4000), name="big.jsonl").json()["id"]
        jid = submit(c, "check", [big]).json()["id"]
        wait_job(c, jid, timeout=120, until=("running", "succeeded", "failed"))
        assert c.delete(f"/v1/jobs/{jid}").status_code == 200
        job = wait_job(c, jid, timeout=60)
        assert job["state"] == "cancelled" and job["error"] == "cancelled while running", job


@pytest.mark.parametrize("gpus", [1, 2])
def test_a_recipe_asking_for_more_gpus_than_any_node_has_fails_at_once(ray_server, gpus):
    with ray_server.client(ray_server.token(f"rayg{gpus}")) as c:
        sha = upload(c, "chat", SAMPLE / "chat_tr.jsonl").json()["id"]
        r = submit(c, "train", [sha], params={"recipe": "tiny-cpu", "overrides": {"train.num_gpus": gpus}},
                   override={"user": "ayse", "reason": "the GPU check comes first"})
        assert r.status_code == 201, r.text
        job = wait_job(c, r.json()["id"], timeout=60)
        want = f"the recipe asks for {gpus} GPU{'s' if gpus > 1 else ''}; the largest node of the Ray cluster has 0"
        assert (job["state"], job["error"]) == ("failed", f"cannot start on Ray: {want}"), job


def _until(c, jid: str, ok, timeout: float = 120) -> tuple[dict, list[str]]:
    """Poll the job until ok(job); also the states seen on the way."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = c.get(f"/v1/jobs/{jid}").json()
        if not seen or seen[-1] != job["state"]:
            seen.append(job["state"])
        if ok(job):
            return job, seen
        time.sleep(0.2)
    raise AssertionError(f"job {jid}: states {seen}, last {job}")


def test_a_job_the_full_cluster_cannot_start_is_queued_then_runs(ray_server, ray_cluster):
    import ray

    @ray.remote(num_cpus=1)
    class Hold:  # takes one CPU of a node for as long as it lives
        def ready(self) -> bool:
            return True

    waiting = "waiting for 1 CPU on the Ray cluster"
    holds = [Hold.remote() for _ in range(2)]  # both worker nodes' CPUs
    try:
        ray.get([h.ready.remote() for h in holds], timeout=120)
        with ray_server.client(ray_server.token("rayq")) as c:
            sha = upload(c, "big", data=big_chat(1500), name="big.jsonl").json()["id"]
            # a job in Ray's queue: queued, with what it waits for; cancel takes it out of Ray's queue
            first = submit(c, "check", [sha]).json()["id"]
            job, _ = _until(c, first, lambda j: (j["progress"] or {}).get("message") == waiting)
            assert job["state"] == "queued" and job["started_at"] is None, job
            assert c.delete(f"/v1/jobs/{first}").status_code == 200
            job = wait_job(c, first, timeout=60)
            assert (job["state"], job["error"]) == ("cancelled", "cancelled before it started"), job
            # another one waits, and runs when the cluster has room
            jid = submit(c, "check", [sha]).json()["id"]
            job, _ = _until(c, jid, lambda j: (j["progress"] or {}).get("message") == waiting)
            time.sleep(2)  # still waiting a few heartbeats later
            job = c.get(f"/v1/jobs/{jid}").json()
            assert job["state"] == "queued" and job["progress"]["message"] == waiting, job
            for h in holds:
                ray.kill(h)
            holds = []
            job, seen = _until(c, jid, lambda j: j["state"] in ("succeeded", "failed", "cancelled"), timeout=240)
            assert job["state"] == "succeeded" and seen[-2:] == ["running", "succeeded"], (seen, job)
            assert job["started_at"] and job["result"]["records"] == 1500
    finally:
        for h in holds:
            ray.kill(h)


def test_the_job_page_shows_what_a_job_waits_for_on_ray_then_its_end(ray_server, ray_cluster):
    """The same wait, seen in a real browser: the job page says queued and what for, then updates in place to
    running and succeeded once the cluster has room (no console errors, no serious axe-core violations)."""
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install 'dataforge[dev]'")
    import ray

    from tests.service.ui.conftest import CHROMIUM, UI, launch_browser
    from tests.service.ui.test_pages import finished_job

    @ray.remote(num_cpus=1)
    class Hold:
        def ready(self) -> bool:
            return True

    holds = [Hold.remote() for _ in range(2)]
    with launch_browser(CHROMIUM) as browser:
        ui = UI(browser, ray_server, ray_server.token("rayui"), "rayui")
        try:
            ray.get([h.ready.remote() for h in holds], timeout=120)
            with ray_server.client(ui.token) as c:
                sha = upload(c, "chat", SAMPLE / "chat_tr.jsonl").json()["id"]
                jid = submit(c, "check", [sha]).json()["id"]
                _until(c, jid, lambda j: (j["progress"] or {}).get("message") is not None)
            ui.sign_in()
            ui.go(f"/jobs/{jid}")
            assert ui.page.locator("#job-progress-text").inner_text() == "waiting for 1 CPU on the Ray cluster"
            assert ui.page.locator("#job-state").inner_text().strip() == "queued"
            ui.check_page("ray-job-queued")
            for h in holds:
                ray.kill(h)
            holds = []
            assert finished_job(ui, timeout_ms=240_000) == "succeeded"
            ui.check_page("ray-job-succeeded")
        finally:
            for h in holds:
                ray.kill(h)
            ui.close()
