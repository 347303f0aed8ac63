"""`dataforge serve --ray-address`: a real server on 127.0.0.1 whose jobs run as tasks on the session's Ray
cluster; a check job succeeds there (the result names the Ray node) and a cancelled job ends cancelled."""

from __future__ import annotations

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
        big = upload(c, "big", data=big_chat(4000), name="big.jsonl").json()["id"]
        jid = submit(c, "check", [big]).json()["id"]
        wait_job(c, jid, timeout=120, until=("running", "succeeded", "failed"))
        assert c.delete(f"/v1/jobs/{jid}").status_code == 200
        job = wait_job(c, jid, timeout=60)
        assert job["state"] == "cancelled" and job["error"] == "cancelled while running", job
