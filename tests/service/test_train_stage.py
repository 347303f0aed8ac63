"""The service's train stage with train.num_gpus > 1: `accelerate launch` with one process per GPU (launch itself
is tested in tests/train/test_launch.py; here the stage's call to it, with the job's data, run directory and
overrides, and a failed launch as the job's error)."""

from __future__ import annotations

import json

import pytest

from dataforge.errors import DataforgeError
from dataforge.service import stages
from tests.service.conftest import SAMPLE


@pytest.fixture
def launches(monkeypatch):
    calls, codes = [], [0]

    def fake_launch(recipe, spec, overrides, num_processes, config, skip_gate, resume, argv_extra):  # noqa: ANN001
        calls.append({"spec": spec, "overrides": overrides, "n": num_processes, "skip_gate": skip_gate,
                      "gpus": recipe.train.num_gpus})
        return codes[0]

    monkeypatch.setattr("dataforge.train.launch.launch", fake_launch)
    return calls, codes


def test_more_than_one_gpu_runs_accelerate_launch_with_one_process_each(launches, tmp_path):
    calls, _ = launches
    data = str(SAMPLE / "chat_tr.jsonl")
    out = stages.run_train([data], {"recipe": "tiny-cpu", "overrides": {"train.num_gpus": 2}}, str(tmp_path),
                           lambda *a: None)
    assert out == {"run": "run", "manifest": "run/manifest.json"}
    assert calls == [{"spec": "tiny-cpu", "n": 2, "skip_gate": True, "gpus": 2,
                      "overrides": ["train.num_gpus=2", f"data.train={json.dumps([data])}",
                                    f"output_dir={tmp_path / 'run'}"]}]


def test_a_failed_launch_is_the_jobs_error(launches, tmp_path):
    _, codes = launches
    codes[0] = 3
    with pytest.raises(DataforgeError, match="accelerate launch of 4 training processes exited with code 3"):
        stages.run_train([str(SAMPLE / "chat_tr.jsonl")], {"recipe": "tiny-cpu", "overrides": {"train.num_gpus": 4}},
                         str(tmp_path), lambda *a: None)


def test_a_train_job_may_name_every_shipped_recipe_and_no_other():
    from dataforge.service.errors import ServiceError
    from dataforge.train.recipes import trainers_dir

    on_disk = {p.stem for p in trainers_dir().glob("*.yaml")}
    for name in sorted(on_disk):
        assert stages.check_train_params({"recipe": name})["recipe"] == name
    for name in ("prefix", "prompt", "../trainers/lora"):
        with pytest.raises(ServiceError) as exc:
            stages.check_train_params({"recipe": name})
        assert exc.value.field == "params.recipe"
