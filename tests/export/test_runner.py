"""`dataforge export`, `dataforge generate` with several adapters, and `dataforge runs`."""

import json

import pytest

from dataforge.cli import main

pytestmark = pytest.mark.slow  # trained tiny runs (session fixtures)


def test_export_merge_gguf_ollama(healthy_run, tmp_path, capsys):
    out = tmp_path / "export"
    assert main(["export", str(healthy_run), "--merge", "--gguf", "q8_0", "--ollama", "--out", str(out),
                 "-q", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (out / "merged" / "model.safetensors").exists() and (out / "model-q8_0.gguf").exists()
    assert result["gguf"]["tensor_types"] == {"F32": 5, "Q8_0": 16}
    modelfile = (out / "Modelfile").read_text()
    assert "FROM ./model-q8_0.gguf" in modelfile and 'PARAMETER stop "<|im_end|>"' in modelfile
    assert json.loads((out / "export.json").read_text())["ollama"]["stops"] == ["<|im_end|>", "<|im_start|>"]


def test_export_usage_errors(healthy_run, capsys):
    assert main(["export", str(healthy_run)]) == 2
    assert "nothing to export" in capsys.readouterr().err
    assert main(["export", str(healthy_run), "--ollama"]) == 2
    assert "--gguf q4_0" in capsys.readouterr().err


def test_generate_with_two_adapters_matches_each_loaded_alone(overfit_run, healthy_run, capsys):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from dataforge.evaluate.generation import generate
    from dataforge.run.run_dir import open_run

    prompt = "Kahve telvesini bahçede kullanabilir miyim?"
    assert main(["generate", "--prompt", prompt, "--adapter", f"ezber={overfit_run}",
                 "--adapter", f"saglikli={healthy_run}", "--with-base", "--max-new-tokens", "12", "--json"]) == 0
    answers = json.loads(capsys.readouterr().out)
    assert list(answers) == ["base", "ezber", "saglikli"]
    for name, run_dir in (("ezber", overfit_run), ("saglikli", healthy_run)):
        run = open_run(run_dir)
        tok = AutoTokenizer.from_pretrained(run.final_adapter())
        alone = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(run.base_model(), dtype=torch.float32),
                                          str(run.final_adapter())).eval()
        assert answers[name] == generate(alone, tok, [[{"role": "user", "content": prompt}]], max_new_tokens=12)[0]
    assert answers["ezber"] != answers["saglikli"]


def test_runs_lists_each_run(overfit_run, healthy_run, capsys):
    root = overfit_run.parent
    assert main(["runs", str(root), "--json"]) == 0
    rows = {r["run"]: r for r in json.loads(capsys.readouterr().out)}
    over, healthy = rows[str(overfit_run)], rows[str(healthy_run)]
    assert over["recipe"] == "recipe.yaml" and over["gate"] == "skipped" and over["status"] == "completed"
    assert len(over["data"]) == 12
    assert over["data"] != healthy["data"]  # different training files, different fingerprints
    assert over["verdict"].startswith("overfitting") and healthy["verdict"].startswith("ok")
    assert over["best_val_loss"] == min(v for _, v in __import__("dataforge.run.run_dir", fromlist=["x"])
                                        .open_run(overfit_run).losses().eval)
    assert main(["runs", str(root)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["run", "status", "recipe", "data", "gate", "best_val_loss", "verdict", "exports"]
    assert len(table) == 3


def test_runs_lists_an_old_run_as_unreadable_beside_the_others(overfit_run, tmp_path, capsys):
    """A run from an older dataforge (schema_version 2) is one row saying so, with the reason on stderr; the
    other runs are still listed and the listing exits 0."""
    import shutil

    root = tmp_path / "runs"
    shutil.copytree(overfit_run, root / "new")
    old = root / "old"
    shutil.copytree(overfit_run, old)
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["schema_version"] = 2
    (old / "manifest.json").write_text(json.dumps(manifest))
    assert main(["runs", str(root)]) == 0
    out, err = capsys.readouterr()
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines()[1:]}
    assert rows == {str(root / "new"): "completed", str(old): "unreadable"}
    assert err.startswith(f"warning: {old / 'manifest.json'}: schema_version: 2, expected 3")
