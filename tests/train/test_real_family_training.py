"""`dataforge train` and `check --tokenizer` on each real family (tests/train/families.py), with the model's own
template and no overrides: the gate passes, 2 steps train, and TRL trains exactly the mask the label check saw."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataforge.errors import DataError
from dataforge.train.recipe import train
from dataforge.train.recipes import load_recipe

pytestmark = pytest.mark.slow
CHAT = str(Path(__file__).resolve().parents[2] / "sample_data" / "chat_tr.jsonl")
FAMILIES = ["llama3", "llama3.1", "qwen2.5", "mistral-v0.3", "gemma2", "gemma3"]


@pytest.mark.parametrize("family", FAMILIES)
def test_check_with_the_family_tokenizer_passes_on_the_sample_data(family_dir, family, tmp_path):
    from dataforge.quality.gate import run_gate

    result = run_gate([CHAT], report_dir=str(tmp_path), tokenizer=str(family_dir(family)), max_seq_len=1024,
                      data_docs=False)
    assert result.passed, [c for c in result.summary["checks"] if not c.get("passed")]
    assert any(c.get("column") == "truncated" or "truncated" in json.dumps(c) for c in result.summary["checks"])


@pytest.mark.parametrize("family", FAMILIES)
def test_train_runs_with_the_model_template_and_trains_exactly_the_checked_mask(family_dir, family, tmp_path):
    from transformers import TrainerCallback

    from dataforge.train.data import load_records

    seen = {}

    class Labels(TrainerCallback):
        def on_train_begin(self, args, state, control, train_dataloader=None, **kwargs):
            seen["labels"] = [row["labels"] for row in train_dataloader.dataset]
            seen["ids"] = [row["input_ids"] for row in train_dataloader.dataset]

    run = tmp_path / "run"
    recipe, path = load_recipe("tiny-cpu", [f"model.name={family_dir(family)}", f"output_dir={run}",
                                            f"data.train={CHAT}", "data.val_fraction=0", "train.report_to=none",
                                            "train.max_steps=2", "train.batch_size=2", "train.max_length=512"])
    lines: list[str] = []
    train(recipe, path, skip_gate=True, say=lines.append,
          callbacks=[Labels()], quiet=True)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "completed" and manifest["global_step"] == 2
    assert manifest["chat_template"]["source"] == "tokenizer" and "{% generation %}" not in \
        manifest["chat_template"]["template"]

    # what TRL trains is what the label check encoded: every record, same ids, loss where the mask says
    from transformers import AutoTokenizer

    from dataforge.run.chat_format import probe
    from dataforge.run.end_of_turn import end_of_turn_ids
    from dataforge.train.assistant_mask import ChatFormat

    tok = AutoTokenizer.from_pretrained(family_dir(family))
    fmt = ChatFormat(tok, end_of_turn_ids(tok, None), probe(tok))
    expected = {}
    for rec in load_records([CHAT]):
        ids, mask = fmt.encode(rec)
        expected[tuple(ids[:512])] = [i if m else -100 for i, m in zip(ids[:512], mask[:512], strict=True)]
    assert len(seen["ids"]) == len(expected) == manifest["data"]["train_records"]
    for ids, labels in zip(seen["ids"], seen["labels"], strict=True):
        assert expected[tuple(ids)] == list(labels)
    info = manifest["chat_template"]
    if family == "gemma2":  # 16 of the 74 sample records have a system message; Gemma-2's template rejects it
        assert (info["system_role"], info["folded_records"], manifest["attn_implementation"]) == \
            ("rejected", 16, "eager")
    if family == "qwen2.5":
        assert info["default_system"].startswith("You are Qwen") and info["default_system_records"] == 58
        assert any("adds a default system prompt" in line and "to 58 record(s)" in line for line in lines)
    label = manifest["label_check"]
    print(f"{family}: {label['trained_tokens']} of {label['tokens']} tokens carry loss "
          f"({100 * label['trained_tokens'] / label['tokens']:.1f}%), attention {manifest['attn_implementation']}")


def test_the_gate_counts_tokens_with_the_trained_template(tiny_model, tmp_path):
    """The gate and the label check count the same tokens: with a forced template that adds a long default system
    prompt, the gate's longest record is the label check's (the issue saw 175 vs 149 truncated)."""
    from dataforge.run.run_dir import RunDir
    from dataforge.train.recipe import quality_gate

    padded = ("{{ '<|im_start|>system\\n' + 'Sen yardımsever bir asistansın. ' * 20 + '<|im_end|>\\n' }}"
              "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}"
              "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
    run = tmp_path / "run"
    recipe, path = load_recipe("tiny-cpu", [f"model.name={tiny_model}", f"output_dir={run}", f"data.train={CHAT}",
                                            "data.val_fraction=0", "train.report_to=none", "train.max_steps=1",
                                            "train.max_length=320", "chat.force=true"])
    recipe.chat.template = padded
    try:
        quality_gate(recipe, RunDir(run), str(tiny_model))
    except DataError:  # the gate fails on the truncated records; its report is what is compared
        pass
    report = json.loads((run / "quality" / "report.json").read_text())
    lines: list[str] = []
    train(recipe, path, skip_gate=True, say=lines.append, quiet=True)
    label = next(line for line in lines if line.startswith("label-mask check:"))
    truncated = next(c for c in report["checks"] if c["name"] == "truncation")["flagged"]
    assert truncated > 0 and f": 74 records, {truncated} truncated at train.max_length=320 (longest " \
        f"{report['stats']['tokens']['max']} tokens)" in label
