"""Perplexity = exp(mean cross-entropy) over the tokens a model is trained to produce (assistant turns).

The mean is token-weighted over the whole set, as the Trainer's eval_loss is, so `exp(eval_loss)` from training
and this number agree on the same data. Assistant tokens come from the chat template's `{% generation %}` mask
when it has one; otherwise from the last assistant turn (full conversation minus the generation prompt).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dataforge.evaluate.examples import Example


@dataclass
class Perplexity:
    perplexity: float
    mean_cross_entropy: float
    tokens: int
    records: int

    def as_json(self) -> dict:
        return {"perplexity": self.perplexity, "mean_cross_entropy": self.mean_cross_entropy,
                "tokens": self.tokens, "records": self.records}


def assistant_labels(tok, ex: Example, max_length: int) -> tuple[list[int], list[int]]:
    """input_ids and labels (-100 outside assistant tokens) for one conversation."""
    enc = tok.apply_chat_template(ex.messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    ids = list(enc["input_ids"])
    mask = list(enc.get("assistant_masks") or [])
    if not any(mask):  # no {% generation %} in the template: score the last assistant turn
        prompt = tok.apply_chat_template(ex.prompt, tokenize=True, add_generation_prompt=True, return_dict=True)
        start = len(prompt["input_ids"])
        mask = [0] * start + [1] * (len(ids) - start)
    ids, mask = ids[:max_length], mask[:max_length]
    return ids, [t if m else -100 for t, m in zip(ids, mask, strict=True)]


def perplexity(model, tok, examples: list[Example], *, max_length: int = 2048, batch_size: int = 8) -> Perplexity:
    import torch

    rows = [assistant_labels(tok, ex, max_length) for ex in examples]
    device = next(model.parameters()).device
    total_nll, total_tokens = 0.0, 0
    for start in range(0, len(rows), batch_size):
        batch = rows[start:start + batch_size]
        width = max(len(ids) for ids, _ in batch)
        pad = tok.pad_token_id if tok.pad_token_id is not None else 0
        input_ids = torch.tensor([ids + [pad] * (width - len(ids)) for ids, _ in batch], device=device)
        labels = torch.tensor([lab + [-100] * (width - len(lab)) for _, lab in batch], device=device)
        attention = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids, _ in batch], device=device)
        with torch.no_grad():
            logits = model(input_ids=input_ids, attention_mask=attention).logits.float()
        # shift: the logits at position t predict token t+1
        nll = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.size(-1)),
                                                labels[:, 1:].reshape(-1), ignore_index=-100, reduction="sum")
        total_nll += float(nll)
        total_tokens += int((labels[:, 1:] != -100).sum())
    if total_tokens == 0:
        return Perplexity(float("nan"), float("nan"), 0, len(examples))
    mean = total_nll / total_tokens
    return Perplexity(math.exp(mean), mean, total_tokens, len(examples))
