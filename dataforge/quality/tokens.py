"""Token counts with the user's tokenizer and its chat template: what the trainer will actually see.

Records are rendered as train renders them (run/chat_format.py): a template without a system role gets the
system text folded into the first user turn, a template's default system prompt is kept (or dropped), so the
gate and the label check count the same tokens.
"""

from __future__ import annotations

from dataforge.errors import DataError, Problem
from dataforge.records import Record

BATCH = 1024


def load_tokenizer(path: str):
    """`check --tokenizer DIR`, through the run layer's one tokenizer loader (errors name the flag)."""
    from dataforge.run.loading import load_tokenizer as load
    from dataforge.run.loading import require

    require("transformers", "train")
    return load(path, key="--tokenizer")


def default_max_len(tok) -> int | None:
    n = getattr(tok, "model_max_length", None)
    return n if isinstance(n, int) and 0 < n < 1_000_000 else None  # HF uses ~1e30 for "no limit"


def token_counts(records: list[Record], tok, system: str = "fold", default_system: str = "keep",
                 advance=None) -> list[int]:
    """Tokens per record after the chat template (or the turns joined by newlines when the tokenizer has none).
    A record the template cannot render is a DataError naming it, never an internal error. `advance(n)` reports
    progress."""
    from dataforge.run.chat_format import probe, template_messages

    templated = bool(getattr(tok, "chat_template", None))
    quirks = probe(tok) if templated else None
    out: list[int] = []
    for lo in range(0, len(records), BATCH):
        chunk = records[lo : lo + BATCH]
        convs = [template_messages(r) for r in chunk]
        if templated:
            texts = [_render(tok, c, quirks, system, default_system, r) for c, r in zip(convs, chunk, strict=True)]
        else:
            texts = ["\n".join(m["content"] for m in c) for c in convs]
        ids = tok(texts, add_special_tokens=False)["input_ids"]
        out.extend(len(x) for x in ids)
        if advance:
            advance(len(chunk))
    return out


def _render(tok, messages: list[dict], quirks, system: str, default_system: str, rec: Record) -> str:
    from jinja2 import TemplateError

    from dataforge.run.chat_format import conversation, template_tools

    try:
        messages, _ = conversation(messages, quirks, system, default_system)
        return tok.apply_chat_template(messages, tokenize=False, tools=template_tools(rec))
    except (ValueError, TemplateError) as exc:
        raise DataError("the chat template cannot render a record, so its tokens cannot be counted",
                        [Problem(str(rec.source), rec.line, "messages", f"{exc}")]) from None
