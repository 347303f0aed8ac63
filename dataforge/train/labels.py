"""The label-mask check, run before training: which tokens carry loss, and do they make sense?

The mask comes from assistant_mask.py. The check fails when a record has no trainable token, when an assistant
turn's end-of-turn token carries no loss (the model would never learn to stop), when the template cannot render a
record or is not prefix-stable on it, or when truncation at train.max_length removes every assistant token.
Truncation is always counted and reported, never silent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dataforge.errors import DataError, Problem
from dataforge.records import Record
from dataforge.train.assistant_mask import ChatFormat
from dataforge.train.data import where


@dataclass
class MaskReport:
    records: int = 0
    truncated: int = 0
    tokens: int = 0
    trained_tokens: int = 0
    longest: int = 0
    tool_records: int = 0  # records with tool calls: their calls carry loss, the tool results none
    problems: list[Problem] = field(default_factory=list)

    def summary(self, max_length: int) -> str:
        share = 100 * self.trained_tokens / max(self.tokens, 1)
        tools = (f"; {self.tool_records} with tool calls (calls trained, tool results not)" if self.tool_records
                 else "")
        return (f"label-mask check: {self.records} records, {self.truncated} truncated at train.max_length="
                f"{max_length} (longest {self.longest} tokens), {share:.1f}% of tokens carry loss{tools}")

    def as_json(self) -> dict:
        return {"records": self.records, "truncated": self.truncated, "tokens": self.tokens,
                "trained_tokens": self.trained_tokens, "longest": self.longest}


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
        return [Problem(*at, "messages", "no token carries loss: the record has no assistant turn, or the chat "
                        "template renders its assistant turns as nothing: add an assistant message")]
    problems = []
    turns = [i for i, m in enumerate(example.messages) if m.role == "assistant"]
    for n, (start, end) in enumerate(spans(mask) if assistant_only else [(0, len(ids))]):
        if not stop_ids & set(ids[start:end]):
            turn = turns[n] if n < len(turns) else n
            problems.append(Problem(*at, f"messages[{turn}]", "the end-of-turn/EOS token carries no loss, so "
                                    "the model never learns to stop: the template puts no known end-of-turn token "
                                    "after this turn; name the right one with chat.end_of_turn"))
    if len(ids) > max_length and not any(mask[:max_length]):
        problems.append(Problem(*at, "messages", f"truncation at train.max_length={max_length} removes every "
                                f"assistant token (record is {len(ids)} tokens, the first trained token is at "
                                f"{mask.index(1)}): raise train.max_length or shorten the record"))
    return problems


def check_labels(examples: list[Record], fmt: ChatFormat, max_length: int, assistant_only: bool = True,
                 limit: int | None = None) -> MaskReport:
    """Check `limit` records (all by default); raise DataError listing every failing record."""
    report = MaskReport()
    stop_ids = fmt.stop_ids
    for example in examples[:limit]:
        try:
            ids, mask = fmt.encode(example, assistant_only)
        except DataError as exc:
            report.records += 1
            report.problems.extend(exc.problems)
            continue
        report.records += 1
        report.tool_records += any(m.tool_calls for m in example.messages)
        report.tokens += min(len(ids), max_length)
        report.trained_tokens += sum(mask[:max_length])
        report.longest = max(report.longest, len(ids))
        report.truncated += len(ids) > max_length
        report.problems.extend(check_example(ids, mask, example, max_length, set(stop_ids), assistant_only))
    if report.problems:
        raise DataError(f"label-mask check failed on {len({(p.path, p.line) for p in report.problems})} of "
                        f"{report.records} records", report.problems)
    return report


def render_labels(fmt: ChatFormat, example: Record, max_length: int, assistant_only: bool = True) -> str:
    """The record as the model sees it; tokens that carry loss inside ⟦ ⟧, the truncation point as ✂, and
    what the system handling changed (folded system text, a default system prompt kept or dropped)."""
    tokenizer = fmt.tokenizer
    ids, mask = fmt.encode(example, assistant_only)
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
    return f"{where(example)}{_note(fmt, example)}:\n" + "".join(parts)


def _note(fmt: ChatFormat, example: Record) -> str:
    _, change = fmt.messages(example)
    if change == "folded":
        return " (the template has no system role: system text folded into the first user turn, chat.system=fold)"
    if change == "default-dropped":
        return " (the template's default system prompt dropped: chat.default_system=drop)"
    if fmt.quirks.default_system and example.messages[0].role != "system":
        return (f" (no system message: the template adds its default {fmt.quirks.default_system[:120]!r}, "
                "chat.default_system=keep)")
    return ""


def _piece(tokenizer, ids: list[int], trained: bool | None) -> str:
    text = tokenizer.decode(ids) if ids else ""
    return f"⟦{text}⟧" if trained and text else text


def check_rows(datasets: list, stop_ids: list[int], max_length: int, assistant_only: bool = True,
               limit: int | None = None, paths: list[str] | None = None) -> MaskReport:
    """The label-mask check on the tokenized rows training is given (fresh or from the cache): rows are already cut
    at max_length, with their full `length` and `trained` token counts kept, so the same failures are found as on
    the records: no token with loss, a turn whose end-of-turn token carries none, truncation that removes every
    assistant token. A turn cut by truncation has lost its end of turn on purpose and is not a failure."""
    report = MaskReport()
    stops = set(stop_ids)
    left = limit
    for ds in datasets:
        if ds is None or left == 0:
            continue
        n = len(ds) if left is None else min(len(ds), left)
        for row in ds.select(range(n)) if n < len(ds) else ds:
            report.records += 1
            ids, mask, length = row["input_ids"], row["assistant_masks"], row["length"]
            report.tokens += len(ids)
            report.trained_tokens += sum(mask)
            report.longest = max(report.longest, length)
            report.truncated += length > max_length
            path = paths[row["source"]] if paths and 0 <= row["source"] < len(paths) else "<val record>"
            at = (path, row["line"] if row["line"] >= 0 else None)
            report.problems.extend(_row_problems(ids, mask, row["trained"], length, max_length, stops,
                                                 assistant_only, at))
        if left is not None:
            left -= n
    if report.problems:
        raise DataError(f"label-mask check failed on {len({(p.path, p.line) for p in report.problems})} of "
                        f"{report.records} records", report.problems)
    return report


def _row_problems(ids, mask, trained, length, max_length, stops, assistant_only, at) -> list[Problem]:
    if not trained:
        return [Problem(*at, "messages", "no token carries loss: the record has no assistant turn, or the chat "
                        "template renders its assistant turns as nothing: add an assistant message")]
    if not any(mask):
        return [Problem(*at, "messages", f"truncation at train.max_length={max_length} removes every assistant "
                        f"token (record is {length} tokens): raise train.max_length or shorten the record")]
    problems = []
    for n, (start, end) in enumerate(spans(mask) if assistant_only else [(0, len(ids))]):
        cut = length > max_length and end == len(ids)
        if not cut and not stops & set(ids[start:end]):
            problems.append(Problem(*at, f"assistant turn {n + 1}", "the end-of-turn/EOS token carries no loss, so "
                                    "the model never learns to stop: name the right one with chat.end_of_turn"))
    return problems
