"""Bad settings and inputs fail at once with one clear line (exit 2), before a folder, a gate or a model is built;
flags and overrides come in any order; SIGTERM leaves the manifest saying "interrupted"."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dataforge.cli import main

ROOT = Path(__file__).resolve().parents[2]
CHAT = ROOT / "sample_data" / "chat_tr.jsonl"


@pytest.mark.parametrize(("override", "message"), [
    ("train.lr_scheduler=bogus", "train.lr_scheduler: Input should be 'linear', 'cosine'"),
    ("train.report_to=[bogus]", "train.report_to.0: Input should be 'tensorboard', 'mlflow' or 'none'"),
    ("train.epochs=.inf", "train.epochs: Input should be a finite number"),
    ("train.max_steps=0", "train.max_steps: Value error, 0 steps trains nothing"),
    ("train.save_total_limit=-1", "train.save_total_limit: Input should be greater than or equal to 1"),
    ("name=../../x", "name: Value error, a run name is one folder name"),
])
def test_bad_settings_are_config_errors(override, message, tmp_path, capsys):
    assert main(["train", "tiny-cpu", override, f"output_dir={tmp_path / 'run'}"]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(("overrides", "message"), [
    (["data.train=[]"], "data.train: empty: name at least one training file"),
    (["data.train=[missing.jsonl]"], "data.train: missing.jsonl: no such file"),
    (["model.name=/nonexistent"], "model.name: /nonexistent: no such directory"),
])
def test_missing_inputs_fail_before_anything_is_built(overrides, message, tmp_path, capsys):
    start = time.monotonic()
    assert main(["train", "tiny-cpu", *overrides, f"output_dir={tmp_path / 'run'}"]) == 2
    err = capsys.readouterr().err
    assert message in err and "--tokenizer" not in err
    assert not (tmp_path / "run").exists()  # no base_model/ or quality/ left behind
    assert time.monotonic() - start < 10  # no gate, no tiny model: the check itself is instant


def test_plan_checks_model_name_first(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["plan", "tiny-cpu", f"model.name={empty}"]) == 2
    assert "model.name: " in capsys.readouterr().err


def test_output_dir_that_is_a_file(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["train", "tiny-cpu", f"output_dir={f}"]) == 2
    assert "output_dir: " in capsys.readouterr().err and f.read_text() == "x"


def test_unknown_target_module_lists_the_models_modules(tiny_model, tmp_path, capsys):
    assert main(["train", "tiny-cpu", f"model.name={tiny_model}", "lora.target_modules=[no_such_proj]",
                 f"output_dir={tmp_path / 'run'}", "--skip-gate"]) == 2
    err = capsys.readouterr().err
    assert "lora.target_modules: no_such_proj: no such module" in err and "q_proj" in err and "down_proj" in err


def test_flags_and_overrides_in_any_order(tiny_model, tmp_path, capsys):
    # the label check fails at once (max_length 16): enough to see every argument was taken
    rc = main(["train", "tiny-cpu", "--skip-gate", f"model.name={tiny_model}", "--show-labels", "1",
               "train.max_length=16", f"data.train={CHAT}", f"output_dir={tmp_path / 'run'}"])
    err = capsys.readouterr().err
    assert rc == 1 and "label-mask check failed" in err and "unrecognized" not in err
    assert "quality gate: skipped" in err and "✂" in err  # --skip-gate and --show-labels were both read


@pytest.mark.slow
def test_sigterm_leaves_the_manifest_interrupted(tiny_model, tmp_path):
    run = tmp_path / "run"
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    proc = subprocess.Popen([sys.executable, "-m", "dataforge", "train", "tiny-cpu", f"model.name={tiny_model}",
                             f"data.train={CHAT}", "train.max_steps=500", f"output_dir={run}", "--skip-gate",
                             "--quiet"], env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (run / "manifest.json").exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    time.sleep(2)  # inside the training loop
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    assert main(["runs", str(run), "--json"]) == 0


def test_a_gate_verdict_from_the_environment_is_not_taken_on_trust(tiny_model, tmp_path, monkeypatch, capsys):
    """launch.py hands its workers the gate report's path and sha256; a user's environment cannot forge a pass."""
    fake = tmp_path / "report.json"
    fake.write_text(json.dumps({"records": 1, "passed": True}))
    monkeypatch.setenv("DATAFORGE_LAUNCHED", "1")
    monkeypatch.setenv("DATAFORGE_GATE_REPORT", str(fake))
    monkeypatch.setenv("DATAFORGE_GATE_SHA256", "0" * 64)
    rc = main(["train", "tiny-cpu", f"model.name={tiny_model}", f"data.train={CHAT}", "--skip-gate",
               f"output_dir={tmp_path / 'run'}", "--quiet"])
    assert rc == 2 and "is not this run's unchanged gate report" in capsys.readouterr().err


def test_launched_gate_accepts_its_own_report(tiny_model, tmp_path, monkeypatch):
    from dataforge.run.manifest import sha256
    from dataforge.run.run_dir import RunDir
    from dataforge.train.recipe import launched_gate

    run = RunDir(tmp_path / "run")
    run.quality_dir.mkdir(parents=True)
    report = run.quality_dir / "report.json"
    report.write_text(json.dumps({"records": 3, "passed": True}))
    monkeypatch.setenv("DATAFORGE_LAUNCHED", "1")
    monkeypatch.setenv("DATAFORGE_GATE_REPORT", str(report))
    monkeypatch.setenv("DATAFORGE_GATE_SHA256", sha256(report))
    gate = launched_gate(run)
    assert gate.passed is True and gate.records == 3 and gate.report_sha256 == sha256(report)
    report.write_text(json.dumps({"records": 3, "passed": True, "edited": 1}))  # changed after the gate ran
    with pytest.raises(Exception, match="unchanged gate report"):
        launched_gate(run)


def test_data_allow_extra_is_the_recipes_allow_extra(tiny_model, tmp_path, capsys):
    rows = [json.loads(line) for line in CHAT.read_text(encoding="utf-8").splitlines()[:8]]
    data = tmp_path / "extra.jsonl"
    data.write_text("".join(json.dumps({**r, "kaynak": "forum"}, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    common = ["train", "tiny-cpu", f"model.name={tiny_model}", f"data.train={data}", "train.max_length=16",
              "--skip-gate", "--quiet"]
    assert main([*common, f"output_dir={tmp_path / 'a'}"]) == 1
    assert "kaynak: unknown field" in capsys.readouterr().err
    # accepted: the run gets as far as the label check (which max_length=16 fails on purpose, before any weights)
    assert main([*common, "data.allow_extra=true", f"output_dir={tmp_path / 'b'}"]) == 1
    err = capsys.readouterr().err
    assert "unknown field" not in err and "label-mask check failed" in err
