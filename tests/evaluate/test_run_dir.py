"""Reading run directories in both layouts: checkpoint-N/ at the top (HF default) and checkpoints/ (dataforge
train), manifest keys of either shape, and metrics.json cut at the end of training."""

import json

import pytest

from dataforge.errors import InputError
from dataforge.evaluate.run_dir import open_run

HISTORY = [{"step": 10, "loss": 2.0}, {"step": 10, "eval_loss": 1.9}, {"step": 20, "loss": 1.5},
           {"step": 20, "eval_loss": 1.8}, {"step": 20, "train_runtime": 3.0, "train_loss": 1.7},
           {"step": 20, "eval_loss": 1.8}]  # the last: trainer.evaluate() after training, not part of the curve


def _adapter(folder, base="org/base"):
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": base, "peft_type": "LORA"}))


def test_dataforge_train_layout(tmp_path):
    run = tmp_path / "run"
    for step in (10, 20):
        _adapter(run / "checkpoints" / f"checkpoint-{step}")
    (run / "checkpoints" / "checkpoint-20" / "trainer_state.json").write_text(json.dumps({"log_history": HISTORY[:4]}))
    _adapter(run / "adapter")
    (run / "base_model").mkdir()
    (run / "metrics.json").write_text(json.dumps({"log_history": HISTORY}))
    (run / "manifest.json").write_text(json.dumps({
        "recipe": {"path": "trainers/tiny-cpu.yaml", "sha256": "ab"}, "base_model": {"name": None,
                                                                                  "path": "runs/x/base_model"},
        "config": {"model": {"name": None}, "data": {"train": ["a.jsonl"], "val": [], "val_fraction": 0.1},
                   "train": {"max_length": 256}},
        "data": {"train": [{"path": "a.jsonl", "sha256": "11"}], "val": []},
        "quality_gate": {"skipped": True}}))
    r = open_run(run)
    assert sorted(r.checkpoints()) == [10, 20]
    assert r.adapter_dir() == run / "adapter"
    assert r.base_model() == str(run / "base_model")  # relative path from another cwd resolved inside the run
    assert r.max_length() == 256 and r.val_files() == [] and r.gate() == {"skipped": True}
    log = r.losses()
    assert log.eval == [(10, 1.9), (20, 1.8)] and log.train == [(10, 2.0), (20, 1.5)]
    assert r.data_fingerprint() is not None and len(r.data_fingerprint()) == 12


def test_hf_layout_and_adapter_fallbacks(tmp_path):
    run = tmp_path / "run"
    _adapter(run / "checkpoint-5", base="org/from-adapter")
    (run / "checkpoint-5" / "trainer_state.json").write_text(json.dumps({"log_history": HISTORY[:2],
                                                                         "best_model_checkpoint": "x"}))
    r = open_run(run)
    assert r.adapter_dir() == run / "checkpoint-5"  # no adapter/: the last checkpoint
    assert r.base_model() == "org/from-adapter"
    assert r.losses().trainer_best_checkpoint == "x"


def test_not_a_run_directory(tmp_path):
    with pytest.raises(InputError, match="not a run directory"):
        open_run(tmp_path)
    (tmp_path / "manifest.json").write_text("{bad")
    with pytest.raises(InputError, match="manifest.json:1: manifest: not valid JSON"):
        open_run(tmp_path)
