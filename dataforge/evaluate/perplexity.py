"""Perplexity = exp(mean cross-entropy) over exactly the tokens training puts loss on.

The tokens and their mask come from the one mask owner, train/assistant_mask.ChatFormat, built as training built
it (the run's template, its end-of-turn tokens, its system and default-system policies from the manifest): every
assistant turn's content and end-of-turn token, never role headers, for any template and without
`{% generation %}` markers; records truncated to the run's max_length as training truncates them. The mean is
token-weighted over the whole set, as the Trainer's eval_loss is, so `exp(eval_loss)` from training and this
number agree on the same data (tests/evaluate/test_perplexity.py checks it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dataforge.evaluate.examples import Example
from dataforge.records import Record


@dataclass
class Perplexity:
    perplexity: float
    mean_cross_entropy: float
    tokens: int
    records: int

    def as_json(self) -> dict:
        return {"perplexity": self.perplexity, "mean_cross_entropy": self.mean_cross_entropy,
                "tokens": self.tokens, "records": self.records}


def chat_format(tok, info=None):
    """The ChatFormat training encoded with: `info` is the run manifest's chat_template (None: the tokenizer's
    template with its known end-of-turn tokens and the default policies, as train's defaults are)."""
    from dataforge.run.chat_format import probe
    from dataforge.run.end_of_turn import end_of_turn_ids
    from dataforge.train.assistant_mask import ChatFormat

    if info is None:
        return ChatFormat(tok, end_of_turn_ids(tok), probe(tok))
    stops = [tok.convert_tokens_to_ids(t) for t in info.end_of_turn]
    return ChatFormat(tok, stops, probe(tok), info.system_policy, info.default_system_policy)


def assistant_labels(fmt, ex: Example, max_length: int) -> tuple[list[int], list[int]]:
    """input_ids and labels (-100 where training puts no loss) for one conversation."""
    record = ex.record or Record(messages=ex.messages, source=ex.where)
    ids, mask = fmt.encode(record)
    ids, mask = ids[:max_length], mask[:max_length]
    return ids, [t if m else -100 for t, m in zip(ids, mask, strict=True)]


def perplexity(model, tok, examples: list[Example], *, max_length: int = 2048, batch_size: int = 8,
               fmt=None) -> Perplexity:
    """`fmt`: the run's ChatFormat (chat_format(tok, manifest.chat_template)); None builds the default one."""
    import torch

    fmt = fmt or chat_format(tok)
    rows = [assistant_labels(fmt, ex, max_length) for ex in examples]
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
