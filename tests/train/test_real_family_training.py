"""`dataforge train` and `check --tokenizer` on each real family (tests/train/families.py), with the model's own
template and no overrides: the gate passes, 2 steps train, and TRL trains exactly the mask the label check saw."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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
    from dataforge.train.labels import ChatFormat

    tok = AutoTokenizer.from_pretrained(family_dir(family))
    fmt = ChatFormat(tok, end_of_turn_ids(tok, None), probe(tok))
    expected = {}
    for rec in load_records([CHAT]):
        ids, mask = fmt.encode(rec)
        expected[tuple(ids[:512])] = [i if m else -100 for i, m in zip(ids[:512], mask[:512], strict=True)]
    assert len(seen["ids"]) == len(expected) == manifest["data"]["train_records"]
    for ids, labels in zip(seen["ids"], seen["labels"], strict=True):
        assert expected[tuple(ids)] == list(labels)
    label = manifest["label_check"]
    print(f"{family}: {label['trained_tokens']} of {label['tokens']} tokens carry loss "
          f"({100 * label['trained_tokens'] / label['tokens']:.1f}%), attention {manifest['attn_implementation']}")
