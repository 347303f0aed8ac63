"""The whole path through the real server: upload -> check -> clean -> check passes -> train tiny-cpu -> evaluate
-> export, with real values at each step (slow: trains a tiny model on CPU)."""

import json

import pytest

from tests.service.conftest import SAMPLE, submit, upload, wait_job

pytestmark = pytest.mark.slow


def test_upload_check_clean_train_evaluate_export_generate(alpha, beta):
    lines = (SAMPLE / "chat_tr.jsonl").read_bytes()
    raw = upload(alpha, "pipeline", data=lines + lines[: lines.index(b"\n") + 1], name="p.jsonl").json()
    assert raw["summary"]["valid"] == 75
    first = wait_job(alpha, submit(alpha, "check", [raw["id"]]).json()["id"])
    assert first["result"]["passed"] is False and "exact_duplicates" in first["result"]["failed_checks"]
    clean = wait_job(alpha, submit(alpha, "clean", [raw["id"]], params={"dedup": True}).json()["id"])
    assert clean["result"]["summary"]["kept"] == 74
    v = clean["result"]["versions"]["clean"]
    assert wait_job(alpha, submit(alpha, "check", [v]).json()["id"])["result"]["passed"] is True

    overrides = {"train.max_steps": 12, "train.eval_steps": 4, "train.save_steps": 4, "train.logging_steps": 2}
    train = submit(alpha, "train", [v], params={"recipe": "tiny-cpu", "overrides": overrides})
    assert train.status_code == 201, train.text
    run = wait_job(alpha, train.json()["id"], timeout=600)
    assert run["state"] == "succeeded", run["error"] or run["log_tail"]
    assert run["progress"] == {"stage": "train", "done": 12, "total": 12}
    manifest = json.loads(alpha.get(f"/v1/jobs/{run['id']}/files/run/manifest.json").text)
    assert manifest["service"]["data_versions"] == [v] and manifest["service"]["gate"]["passed"] is True

    ev = wait_job(alpha, submit(alpha, "evaluate", [], params={"run": run["id"], "max_samples": 2,
                                                               "max_new_tokens": 8}).json()["id"], timeout=600)
    assert ev["state"] == "succeeded", ev["error"] or ev["log_tail"]
    report = alpha.get(f"/v1/jobs/{ev['id']}/files/report.json").json()
    assert report["overfitting"]["verdict"] == ev["result"]["verdict"]

    ex = wait_job(alpha, submit(alpha, "export", [], params={"run": run["id"]}).json()["id"], timeout=600)
    assert ex["state"] == "succeeded", ex["error"] or ex["log_tail"]
    assert "export/merged/config.json" in ex["files"]
    assert ex["result"]["vllm_command"].startswith("vllm serve ") and "--enable-lora" in ex["result"]["vllm_command"]
    assert f"--lora-modules {ex['id']}=" in alpha.get(f"/v1/jobs/{ex['id']}/files/export/vllm_serve.sh").text

    rows = {r["run"]: r for r in alpha.get("/v1/runs").json()}
    row = rows[run["id"]]
    assert row["data_versions"] == [v] and row["gate"] == "passed" and row["recipe"] == "tiny-cpu"
    assert row["best_val_loss"] is not None and row["best_val_loss"] > 0
    assert row["exports"] == [f"/v1/jobs/{ex['id']}/files"]

    ask = {"adapter": run["id"], "messages": [{"role": "user", "content": "Merhaba, nasılsın?"}],
           "max_new_tokens": 8}
    first = alpha.post("/v1/generate", json=ask)
    assert first.status_code == 200, first.text
    assert isinstance(first.json()["text"], str) and first.json()["base_was_loaded"] is True
    again = alpha.post("/v1/generate", json=ask).json()
    assert again["base_was_loaded"] is False and again["text"] == first.json()["text"]  # cached base, greedy
    assert beta.post("/v1/generate", json=ask).status_code == 404
    assert beta.get("/v1/runs").json() == []
    bad = alpha.post("/v1/generate", json={**ask, "temperature": 2})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "temperature"
