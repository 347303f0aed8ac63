"""Token counts with the user's tokenizer and its chat template: what the trainer will actually see."""

from __future__ import annotations

from dataforge.errors import MissingDependency, UsageError
from dataforge.records import Record

BATCH = 1024


def load_tokenizer(path: str):
    try:
        from transformers import AutoTokenizer
    except ImportError as exc:
        raise MissingDependency("transformers", "train") from exc
    try:
        return AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as exc:
        raise UsageError(f"--tokenizer {path}: cannot load a tokenizer there ({exc}); give a directory with "
                         "tokenizer.json / tokenizer_config.json") from None


def default_max_len(tok) -> int | None:
    n = getattr(tok, "model_max_length", None)
    return n if isinstance(n, int) and 0 < n < 1_000_000 else None  # HF uses ~1e30 for "no limit"


def token_counts(records: list[Record], tok, advance=None) -> list[int]:
    """Tokens per record after the chat template (or the turns joined by newlines when the tokenizer has none)."""
    out: list[int] = []
    for lo in range(0, len(records), BATCH):
        chunk = records[lo : lo + BATCH]
        convs = [[{"role": m.role, "content": m.text()} for m in r.messages] for r in chunk]
        if getattr(tok, "chat_template", None):
            texts = [tok.apply_chat_template(c, tokenize=False) for c in convs]
        else:
            texts = ["\n".join(m["content"] for m in c) for c in convs]
        ids = tok(texts, add_special_tokens=False)["input_ids"]
        out.extend(len(x) for x in ids)
        if advance:
            advance(len(chunk))
    return out
