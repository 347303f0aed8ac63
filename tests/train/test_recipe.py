"""End-to-end runs of the SFT recipe on CPU with the tiny local model (slow: tens of seconds each)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from dataforge.train.recipe import train
from dataforge.train.recipes import load_recipe

pytestmark = pytest.mark.slow
CHAT = str(Path(__file__).resolve().parents[2] / "sample_data" / "chat_tr.jsonl")


def recipe_for(tiny_model, run_dir, *overrides, name="tiny-cpu"):
    return load_recipe(name, [f"model.name={tiny_model}", f"output_dir={run_dir}", f"data.train={CHAT}",
                              "data.val_fraction=0", "train.report_to=none", "train.show_labels=0",
                              "train.batch_size=2", "train.max_length=256", *overrides])


def losses(run_dir):
    history = json.loads((run_dir / "metrics.json").read_text())["log_history"]
    return [row["loss"] for row in history if "loss" in row]


def test_loss_falls_and_the_run_directory_says_what_was_trained(tiny_model, tmp_path):
    run = tmp_path / "run"
    recipe, path = recipe_for(tiny_model, run, "train.max_steps=30", "train.logging_steps=1",
                              "train.learning_rate=1e-2", "train.report_to=tensorboard")
    train(recipe, path, skip_gate=True, say=lambda _: None, quiet=True)
    loss = losses(run)
    assert len(loss) == 30
    assert sum(loss[-5:]) / 5 < sum(loss[:5]) / 5 - 0.1, loss

    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "completed" and manifest["global_step"] == 30
    assert manifest["quality_gate"]["skipped"] is True and manifest["quality_gate"]["passed"] is None
    assert manifest["data"]["train"][0]["sha256"] == hashlib.sha256(open(CHAT, "rb").read()).hexdigest()
    assert manifest["data"]["train_records"] == 74 and manifest["label_check"]["records"] == 74
    assert manifest["config"]["train"]["max_steps"] == 30 and manifest["config"]["seed"] == 0
    assert manifest["chat_template"]["end_of_turn"] == ["<|im_end|>"]
    assert "{% generation %}" in manifest["chat_template"]["template"]  # the tiny model's ChatML, as it is
    assert manifest["chat_template"]["system_role"] == "native" and manifest["attn_implementation"] == "sdpa"
    assert manifest["versions"]["trl"] and manifest["recipe"]["path"].endswith("tiny-cpu.yaml")
    assert (run / "adapter" / "adapter_model.safetensors").is_file()
    assert (run / "adapter" / "tokenizer.json").is_file()
    assert (run / "checkpoints" / "checkpoint-30" / "trainer_state.json").is_file()
    assert any((run / "logs").glob("events.out.tfevents.*"))


def test_qlora_runs_real_steps_through_bitsandbytes_on_cpu(tiny_model, tmp_path):
    import bitsandbytes as bnb
    from transformers import TrainerCallback

    seen = {}

    class Inspect(TrainerCallback):
        def on_train_begin(self, args, state, control, model=None, **kwargs):
            seen["4bit"] = sum(isinstance(m, bnb.nn.Linear4bit) for m in model.modules())
            seen["optim"] = args.optim

    run = tmp_path / "q"
    recipe, path = recipe_for(tiny_model, run, "train.max_steps=3", "train.logging_steps=1", name="qlora")
    train(recipe, path, skip_gate=True, say=lambda _: None, callbacks=[Inspect()], quiet=True)
    assert seen["4bit"] == 2 * 7  # every projection of both blocks is NF4
    assert seen["optim"] == "paged_adamw_8bit"
    assert len(losses(run)) == 3
    assert json.loads((run / "adapter" / "adapter_config.json").read_text())["r"] == 16


class Crash(Exception):
    pass


def test_an_interrupted_run_resumes_to_the_same_state(tiny_model, tmp_path):
    import torch
    from safetensors.torch import load_file
    from transformers import TrainerCallback

    class CrashAt4(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 4:
                raise Crash

    common = ("train.max_steps=6", "train.save_steps=3", "train.logging_steps=1", "train.learning_rate=5e-3")
    whole, path = recipe_for(tiny_model, tmp_path / "whole", *common)
    train(whole, path, skip_gate=True, say=lambda _: None, quiet=True)

    parts, path = recipe_for(tiny_model, tmp_path / "parts", *common)
    with pytest.raises(Crash):
        train(parts, path, skip_gate=True, say=lambda _: None, callbacks=[CrashAt4()], quiet=True)
    stopped = json.loads((tmp_path / "parts" / "manifest.json").read_text())
    assert stopped["status"] == "failed" and stopped["error"].startswith("Crash")
    train(parts, path, skip_gate=True, resume=True, say=lambda _: None, quiet=True)

    a = load_file(tmp_path / "whole" / "adapter" / "adapter_model.safetensors")
    b = load_file(tmp_path / "parts" / "adapter" / "adapter_model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=1e-6)
    assert losses(tmp_path / "whole")[-2:] == pytest.approx(losses(tmp_path / "parts")[-2:], abs=1e-5)
    # the manifest's train_loss covers the whole run, not only the resumed steps
    w, p = (json.loads((tmp_path / d / "manifest.json").read_text())["train_loss"] for d in ("whole", "parts"))
    assert p == pytest.approx(w, abs=1e-5)


@pytest.mark.parametrize("method", ["dora", "ia3", "prompt-tuning", "prefix-tuning", "p-tuning"])
def test_every_peft_method_trains_evaluates_and_saves(tiny_model, tmp_path, method):
    run = tmp_path / method
    recipe, path = recipe_for(tiny_model, run, f"method={method}", "data.val_fraction=0.1", "train.max_steps=2",
                              "train.eval_steps=2", "train.save_steps=2",
                              f"train.packing={'none' if method.endswith('tuning') else 'bfd'}")
    train(recipe, path, skip_gate=True, say=lambda _: None, quiet=True)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "completed" and manifest["eval_loss"] is not None
    config = json.loads((run / "adapter" / "adapter_config.json").read_text())
    expected = {"dora": "LORA", "ia3": "IA3", "prompt-tuning": "PROMPT_TUNING", "prefix-tuning": "PREFIX_TUNING",
                "p-tuning": "P_TUNING"}[method]
    assert config["peft_type"] == expected
    assert config.get("use_dora", False) == (method == "dora")
