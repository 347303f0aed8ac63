"""Two fixes from issue 10: the gate counts tokens with the template training uses, and the last eval is reused
instead of repeated when it ran at the last step."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from dataforge.train.recipe import final_eval

CHAT = str(Path(__file__).resolve().parents[2] / "sample_data" / "chat_tr.jsonl")


class FakeTrainer:
    def __init__(self, step: int, history: list[dict]):
        self.state = SimpleNamespace(global_step=step)
        self.history, self.evaluated = history, 0

    def evaluate(self):
        self.evaluated += 1
        return {"eval_loss": 9.0}


def test_final_eval_reuses_the_eval_logged_at_the_last_step():
    history = [{"eval_loss": 2.5, "eval_runtime": 1.0, "step": 20, "epoch": 1.0}, {"loss": 2.0, "step": 21},
               {"eval_loss": 2.25, "eval_runtime": 77.0, "step": 48, "epoch": 2.0}, {"train_runtime": 300, "step": 48}]
    trainer = FakeTrainer(48, history)
    assert final_eval(trainer, history) == {"eval_loss": 2.25, "eval_runtime": 77.0, "epoch": 2.0}
    assert trainer.evaluated == 0
    trainer = FakeTrainer(50, history)  # the last eval is 2 steps old: evaluate once more
    assert final_eval(trainer, history) == {"eval_loss": 9.0} and trainer.evaluated == 1


@pytest.mark.slow
def test_gate_counts_truncation_with_the_trained_template(tiny_model, tmp_path):
    """A tokenizer whose own template adds a long default system prompt (as SmolLM2's does) against the ChatML
    template training forces: the gate's truncation check must count with the latter."""
    from transformers import AutoTokenizer

    from dataforge.quality.gate import run_gate
    from dataforge.quality.tokens import token_counts
    from dataforge.records import Record
    from dataforge.train.chat_template import CHATML

    own = tmp_path / "tok"
    tok = AutoTokenizer.from_pretrained(tiny_model)
    default = "Sen yardımsever bir asistansın ve her zaman uzun, ayrıntılı cevaplar verirsin. " * 3
    tok.chat_template = ("{{ '<|im_start|>system\\n" + default + "<|im_end|>\\n' }}{% for m in messages %}"
                         "{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}")
    tok.save_pretrained(own)
    records = [Record.model_validate(json.loads(line)) for line in open(CHAT, encoding="utf-8") if line.strip()]
    trained = AutoTokenizer.from_pretrained(own)
    trained.chat_template = CHATML
    counts = token_counts(records, trained)
    limit = sorted(counts)[len(counts) * 3 // 4]  # a quarter of the records are longer under ChatML
    expected = sum(n > limit for n in counts)

    def truncated(chat_template):
        result = run_gate([CHAT], report_dir=str(tmp_path / f"r{bool(chat_template)}"), tokenizer=str(own),
                          max_seq_len=limit, chat_template=chat_template, data_docs=False)
        return next(c["flagged"] for c in result.summary["checks"] if c["name"] == "truncation")

    assert truncated(CHATML) == expected
    assert truncated(None) > expected  # the tokenizer's own template, with its default system prompt
