"""The benchmark corpus: every distinct sentence of the Turkish sample data (no repeats, so the word-form cache
only helps as much as real text lets it)."""

from __future__ import annotations

import re
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]


def sentences(min_words: int = 3) -> list[str]:
    out: dict[str, None] = {}
    for name in ("chat_tr.jsonl", "instructions_tr.jsonl", "sharegpt_tr.jsonl", "prompt_completion_tr.jsonl"):
        for line in (ROOT / "sample_data" / name).read_bytes().splitlines():
            obj = orjson.loads(line)
            texts = [obj.get("instruction", ""), obj.get("input", ""), obj.get("output", ""),
                     obj.get("prompt", ""), obj.get("completion", "")]
            texts += [m.get("content", "") for m in obj.get("messages", [])]
            texts += [m.get("value", "") for m in obj.get("conversations", [])]
            for text in texts:
                if isinstance(text, str):
                    for s in re.split(r"(?<=[.!?])\s+|\n+", text):
                        if len(s.split()) >= min_words:
                            out[s.strip()] = None
    return list(out)
