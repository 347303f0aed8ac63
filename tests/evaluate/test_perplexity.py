"""Perplexity scores exactly the tokens training puts loss on: the labels come from train's ChatFormat, for a
template with no {% generation %} markers, every assistant turn, system messages handled by the run's policy."""

from __future__ import annotations

import math

import pytest

from dataforge.evaluate.examples import from_record
from dataforge.evaluate.perplexity import assistant_labels, chat_format, perplexity
from dataforge.records import Record
from dataforge.run.manifest import ChatTemplateInfo
from tests.evaluate import tiny
from tests.train import families

TWO_TURNS = [{"role": "system", "content": "Kısa ve nazik cevap ver."},
             {"role": "user", "content": "Merhaba, nasılsın?"},
             {"role": "assistant", "content": "İyiyim, teşekkürler."},
             {"role": "user", "content": "Kahve telvesi bahçede işe yarar mı?"},
             {"role": "assistant", "content": "Evet, kompostta azotu artırır."}]


@pytest.fixture(scope="module")
def gemma(tmp_path_factory):
    """Gemma-2's real template (no generation markers, rejects a system message) on a tiny Gemma-2 model."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    texts = [m["content"] for r in tiny.chats() for m in r["messages"]]
    folder = families.build_family("gemma2", tmp_path_factory.mktemp("ppl") / "gemma2", texts)
    return AutoTokenizer.from_pretrained(folder), AutoModelForCausalLM.from_pretrained(folder).eval()


def _example(messages):
    return from_record(Record(messages=messages, source="held.jsonl", line=1), "held.jsonl:1")


def test_labels_are_trains_mask_on_every_assistant_turn(gemma):
    tok, _ = gemma
    info = ChatTemplateInfo(source="tokenizer", template=tok.chat_template, end_of_turn=["<end_of_turn>", "<eos>"],
                            system_role="rejected", system_policy="fold")
    fmt = chat_format(tok, info)
    ex = _example(TWO_TURNS)
    ids, labels = assistant_labels(fmt, ex, max_length=4096)
    want_ids, mask = fmt.encode(ex.record)
    assert ids == want_ids and labels == [t if m else -100 for t, m in zip(ids, mask, strict=True)]
    scored = tok.decode([t for t in labels if t != -100])
    # both answers with their <end_of_turn>, nothing of the user turns, the folded system text or role headers
    assert scored == "İyiyim, teşekkürler.<end_of_turn>Evet, kompostta azotu artırır.<end_of_turn>"
    assert "Kısa ve nazik" in tok.decode(ids)  # folded into the first user turn, as training rendered it


def test_truncated_as_training_truncates(gemma):
    tok, _ = gemma
    fmt = chat_format(tok)
    ex = _example(TWO_TURNS[1:])
    full, _ = assistant_labels(fmt, ex, max_length=4096)
    ids, labels = assistant_labels(fmt, ex, max_length=20)
    assert ids == full[:20] and len(labels) == 20


def test_perplexity_is_the_mean_cross_entropy_over_those_tokens(gemma):
    import torch

    tok, model = gemma
    fmt = chat_format(tok)
    examples = [_example(TWO_TURNS[1:]), _example(TWO_TURNS[3:])]
    got = perplexity(model, tok, examples, fmt=fmt, batch_size=2)
    nll, count = 0.0, 0
    for ex in examples:  # one by one, no padding: the same number
        ids, labels = assistant_labels(fmt, ex, 4096)
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0].float()
        target = torch.tensor(labels[1:])
        nll += float(torch.nn.functional.cross_entropy(logits[:-1], target, ignore_index=-100, reduction="sum"))
        count += int((target != -100).sum())
    assert got.tokens == count == sum(1 for ex in examples for t in assistant_labels(fmt, ex, 4096)[1] if t != -100)
    assert math.isclose(got.mean_cross_entropy, nll / count, rel_tol=1e-5)
    assert math.isclose(got.perplexity, math.exp(nll / count), rel_tol=1e-5)
