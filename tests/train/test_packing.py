"""Packed records do not attend to each other: a padding-free batch (TRL's collator, position_ids restarting per
record, no attention mask) gives every record exactly the logits it gets alone, with sdpa and eager on CPU
(transformers 5 builds a per-record mask from the position_ids). A backend that ignores that mask is caught by
the probe train runs on the loaded model: padding_free refuses it, bfd warns."""

from __future__ import annotations

import pytest

from dataforge.errors import UsageError
from dataforge.train.model import packing_isolation, records_isolated
from dataforge.train.recipes import load_recipe

torch = pytest.importorskip("torch")
RECORDS = ["Kahve telvesi bahçede kullanılır mı?", "Evet, kompostta işe yarar.", "İstanbul'da hava nasıl?"]


def _leaky(module, query, key, value, attention_mask, **kwargs):
    """An attention kernel that ignores the mask it is given: plain causal attention over the whole row."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    kwargs.pop("is_causal", None)
    return sdpa_attention_forward(module, query, key, value, None, is_causal=True, **kwargs)


def _model(tiny_model, attn):
    from transformers import AttentionInterface, AutoModelForCausalLM

    AttentionInterface.register("leaky_test", _leaky)
    return AutoModelForCausalLM.from_pretrained(tiny_model, attn_implementation=attn, dtype=torch.float32).eval()


def _packed_vs_alone(model, tokenizer) -> list[float]:
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    records = [tokenizer(t)["input_ids"] for t in RECORDS]
    batch = DataCollatorForLanguageModeling(pad_token_id=tokenizer.pad_token_id, padding_free=True)(
        [{"input_ids": r} for r in records])
    assert batch["input_ids"].shape == (1, sum(map(len, records)))  # one row, no padding
    assert "attention_mask" not in batch
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    with torch.no_grad():
        packed = model(**inputs, use_cache=False).logits[0]  # use_cache=False: TRL's compute_loss passes it
        diffs, at = [], 0
        for r in records:
            alone = model(input_ids=torch.tensor([r]), use_cache=False).logits[0]
            diffs.append(float((packed[at:at + len(r)] - alone).abs().max()))
            at += len(r)
    return diffs


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_a_padding_free_batch_gives_each_record_its_own_logits(tiny_model, tiny_tokenizer, attn):
    model = _model(tiny_model, attn)
    diffs = _packed_vs_alone(model, tiny_tokenizer)
    assert max(diffs) < 1e-4, diffs
    assert records_isolated(model) is True


def test_a_backend_that_ignores_the_mask_lets_records_see_each_other_and_is_refused(tiny_model, tiny_tokenizer):
    model = _model(tiny_model, "leaky_test")
    diffs = _packed_vs_alone(model, tiny_tokenizer)
    assert diffs[0] < 1e-4 and min(diffs[1:]) > 0.1, diffs  # the first record has nothing before it
    assert records_isolated(model) is False
    recipe, _ = load_recipe("tiny-cpu", ["train.packing=padding_free"])
    with pytest.raises(UsageError, match="train.packing=padding_free: with model.attn_implementation=leaky_test"):
        packing_isolation(recipe, model, "leaky_test")
    said = []
    recipe, _ = load_recipe("tiny-cpu", ["train.packing=bfd"])
    assert packing_isolation(recipe, model, "leaky_test", said.append) is False
    assert said and said[0].startswith("WARNING: train.packing=bfd with model.attn_implementation=leaky_test")
    recipe, _ = load_recipe("tiny-cpu", ["train.packing=none"])
    assert packing_isolation(recipe, model, "leaky_test") is None
