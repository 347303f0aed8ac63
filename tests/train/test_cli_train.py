"""`dataforge train` and `dataforge plan` through the CLI: exit codes and one-line messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataforge.cli import COMMANDS, main

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def test_commands_are_registered():
    assert {"train", "plan"} <= set(COMMANDS)


def test_plan_prints_the_table_and_trainable_count(capsys):
    assert main(["plan", "tiny-cpu"]) == 0
    out = capsys.readouterr().out
    for row in ("weights", "adapter", "gradients", "optimizer", "activations", "lm head", "total"):
        assert f"\n{row}" in out
    assert "trainable parameters: 16,384 of 1,139,008" in out  # what train reports for tiny-cpu


def test_plan_json(capsys):
    assert main(["plan", "tiny-cpu", "lora.r=16", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["trainable_params"] == 32_768
    assert plan["total_bytes"] == sum(r["bytes"] for r in plan["rows"])


def test_bad_override_is_exit_2_with_every_problem(capsys):
    assert main(["train", "tiny-cpu", "train.max_steps=x", "nope=1"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[1:] == ["<command line>: train.max_steps: Input should be a valid integer, unable to parse string as an "
                       "integer (got 'x')",
                       "<command line>: nope: unknown key; valid keys here: chat, data, gate, ia3, lora, method, "
                       "model, name, output_dir, prompt, quant, seed, train"]


def test_invalid_training_records_are_exit_1(tiny_model, tmp_path, capsys):
    rc = main(["train", "tiny-cpu", f"model.name={tiny_model}", f"data.train={SAMPLE / 'broken_chat.jsonl'}",
               f"output_dir={tmp_path / 'run'}", "--skip-gate", "--quiet"])
    err = capsys.readouterr().err.splitlines()
    assert rc == 1
    assert err[0].startswith("10 problem(s) in the training data")
    assert err[1].startswith(f"{SAMPLE / 'broken_chat.jsonl'}:")


def test_mask_check_failure_is_exit_1_before_any_weights_load(tiny_model, tmp_path, capsys):
    rc = main(["train", "tiny-cpu", f"model.name={tiny_model}", f"data.train={SAMPLE / 'chat_tr.jsonl'}",
               "train.max_length=16", f"output_dir={tmp_path / 'run'}", "--skip-gate", "--quiet"])
    err = capsys.readouterr().err.splitlines()
    assert rc == 1 and err[0].startswith("label-mask check failed on ")
    assert "truncation at train.max_length=16 removes every assistant token" in err[1]
    manifest = tmp_path / "run" / "manifest.json"
    assert not manifest.exists()  # nothing was trained, so no run was recorded


def test_show_labels_prints_the_loss_mask(tiny_model, tmp_path, capsys):
    rc = main(["train", "tiny-cpu", f"model.name={tiny_model}", f"data.train={SAMPLE / 'chat_tr.jsonl'}",
               "train.max_length=16", f"output_dir={tmp_path / 'run'}", "--skip-gate", "--show-labels", "1"])
    err = capsys.readouterr().err
    assert rc == 1
    assert f"{SAMPLE / 'chat_tr.jsonl'}:1:\n<|im_start|>user\nKahve telvesini" in err and "✂" in err


def test_resume_without_checkpoint_and_reuse_of_a_run_dir_are_usage_errors(tiny_model, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "tiny-cpu", f"model.name={tiny_model}", f"output_dir={run}", "--skip-gate",
                 "--resume"]) == 2
    assert "--resume: no checkpoint in" in capsys.readouterr().err
    (run / "checkpoints" / "checkpoint-5").mkdir(parents=True)
    assert main(["train", "tiny-cpu", f"model.name={tiny_model}", f"output_dir={run}", "--skip-gate"]) == 2
    assert "already holds a run: pass --resume" in capsys.readouterr().err


@pytest.mark.slow  # the gate imports great-expectations and computes every feature: about a minute here
def test_the_gate_refuses_bad_data(tiny_model, tmp_path, capsys):
    pytest.importorskip("dataforge.quality.gate")
    bad = tmp_path / "bad.jsonl"
    row = {"messages": [{"role": "user", "content": "Bana ulaş: ali.veli@example.com, TC 10000000146"},
                        {"role": "assistant", "content": "Tamam, not aldım."}]}
    bad.write_text((json.dumps(row, ensure_ascii=False) + "\n") * 20, encoding="utf-8")
    run = tmp_path / "run"
    rc = main(["train", "tiny-cpu", f"model.name={tiny_model}", f"data.train={bad}", f"output_dir={run}", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 1
    assert "quality gate failed: exact_duplicates, pii_tckn, pii_email: see" in err and str(run / "quality") in err
    assert (run / "quality" / "report.json").is_file()
    assert not (run / "adapter").exists()


def test_mlflow_without_the_extra_names_the_install(tmp_path, tiny_model):
    pytest.importorskip("torch")
    try:
        import mlflow  # noqa: F401
        pytest.skip("mlflow is installed")
    except ImportError:
        pass
    from dataforge.errors import MissingDependency
    from dataforge.train.recipe import train
    from dataforge.train.recipes import load_recipe

    recipe, path = load_recipe("tiny-cpu", [f"model.name={tiny_model}", f"output_dir={tmp_path / 'r'}",
                                            "train.report_to=[mlflow]"])
    with pytest.raises(MissingDependency, match=r"pip install 'dataforge\[mlflow\]'"):
        train(recipe, path, skip_gate=True, say=lambda _: None)
