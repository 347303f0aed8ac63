"""The label-mask check, run before training: which tokens carry loss, and do they make sense?

It fails when a record has no trainable token, when an assistant turn's end-of-turn token carries no loss (the
model would never learn to stop), or when truncation at train.max_length removes every assistant token.
Truncation is always counted and reported, never silent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dataforge.errors import DataError, Problem
from dataforge.records import Record
from dataforge.train.data import chat, where


@dataclass
class MaskReport:
    records: int = 0
    truncated: int = 0
    tokens: int = 0
    trained_tokens: int = 0
    longest: int = 0
    problems: list[Problem] = field(default_factory=list)

    def summary(self, max_length: int) -> str:
        share = 100 * self.trained_tokens / max(self.tokens, 1)
        return (f"label-mask check: {self.records} records, {self.truncated} truncated at train.max_length="
                f"{max_length} (longest {self.longest} tokens), {share:.1f}% of tokens carry loss")

    def as_json(self) -> dict:
        return {"records": self.records, "truncated": self.truncated, "tokens": self.tokens,
                "trained_tokens": self.trained_tokens, "longest": self.longest}


def tokenize(tokenizer, example: Record, assistant_only: bool) -> tuple[list[int], list[int]]:
    """Token ids and the loss mask (1 = the token carries loss), as TRL's SFTTrainer builds them."""
    out = tokenizer.apply_chat_template(chat(example), tokenize=True, return_dict=True,
                                        return_assistant_tokens_mask=assistant_only)
    ids = list(out["input_ids"])
    mask = list(out["assistant_masks"]) if assistant_only else [1] * len(ids)
    return ids, mask


def spans(mask: list[int]) -> list[tuple[int, int]]:
    """[start, end) of each run of 1s."""
    out, start = [], None
    for i, bit in enumerate([*mask, 0]):
        if bit and start is None:
            start = i
        elif not bit and start is not None:
            out.append((start, i))
            start = None
    return out


def check_example(ids: list[int], mask: list[int], example: Record, max_length: int, stop_ids: set[int],
                  assistant_only: bool) -> list[Problem]:
    at = (str(example.source), example.line)
    if not any(mask):
        return [Problem(*at, "messages", "no token carries loss: the chat template marks no assistant tokens "
                        "(is there an assistant message, and {% generation %} in the template?)")]
    problems = []
    turns = [i for i, m in enumerate(example.messages) if m.role == "assistant"]
    for n, (start, end) in enumerate(spans(mask) if assistant_only else [(0, len(ids))]):
        if not stop_ids & set(ids[start:end]):
            turn = turns[n] if n < len(turns) else n
            problems.append(Problem(*at, f"messages[{turn}]", "the end-of-turn/EOS token carries no loss, so "
                                    "the model never learns to stop: put it inside {% generation %} in the chat "
                                    "template, or name the right one with chat.end_of_turn"))
    if len(ids) > max_length and not any(mask[:max_length]):
        problems.append(Problem(*at, "messages", f"truncation at train.max_length={max_length} removes every "
                                f"assistant token (record is {len(ids)} tokens, the first trained token is at "
                                f"{mask.index(1)}): raise train.max_length or shorten the record"))
    return problems


def check_labels(examples: list[Record], tokenizer, max_length: int, stop_ids: list[int],
                 assistant_only: bool = True, limit: int | None = None) -> MaskReport:
    """Check `limit` records (all by default); raise DataError listing every failing record."""
    report = MaskReport()
    for example in examples[:limit]:
        ids, mask = tokenize(tokenizer, example, assistant_only)
        report.records += 1
        report.tokens += min(len(ids), max_length)
        report.trained_tokens += sum(mask[:max_length])
        report.longest = max(report.longest, len(ids))
        report.truncated += len(ids) > max_length
        report.problems.extend(check_example(ids, mask, example, max_length, set(stop_ids), assistant_only))
    if report.problems:
        raise DataError(f"label-mask check failed on {len({(p.path, p.line) for p in report.problems})} of "
                        f"{report.records} records", report.problems)
    return report


def render_labels(tokenizer, example: Record, max_length: int, assistant_only: bool = True) -> str:
    """The record as the model sees it; tokens that carry loss inside ⟦ ⟧, the truncation point as ✂."""
    ids, mask = tokenize(tokenizer, example, assistant_only)
    parts, run, state = [], [], None
    for i, (tok, bit) in enumerate(zip(ids, mask, strict=True)):
        trained = bool(bit) and i < max_length
        if i == max_length:
            parts.append(_piece(tokenizer, run, state))
            parts.append("✂")
            run, state = [], None
        if state is not None and trained != state:
            parts.append(_piece(tokenizer, run, state))
            run = []
        run.append(tok)
        state = trained
    parts.append(_piece(tokenizer, run, state))
    return f"{where(example)}:\n" + "".join(parts)


def _piece(tokenizer, ids: list[int], trained: bool | None) -> str:
    text = tokenizer.decode(ids) if ids else ""
    return f"⟦{text}⟧" if trained and text else text
