"""Spans an augmenter must not touch, and the facts a new text must keep: numbers, URLs, code, named entities.

Both the synonym augmenter (which words it may swap) and the post-filters (what a back-translation or paraphrase
must preserve) read text through these same patterns, so "protected" means one thing everywhere.
"""

from __future__ import annotations

import re
from collections import Counter

# Fenced blocks first so that the backticks inside them are not read as inline code.
CODE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]+`", re.S)
URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'`)\]]+", re.I)
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# Straight and typographic double quotes, Turkish guillemets, and single quotes that do not sit inside a word
# (an apostrophe inside a word is a suffix boundary: Ankara'da).
QUOTED = re.compile(r"\"[^\"\n]+\"|“[^”\n]+”|«[^»\n]+»|(?<!\w)'[^'\n]+'(?!\w)")
NUMBER = re.compile(r"\d+(?:[.,:/]\d+)*")
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
PROTECTED = (CODE, URL, EMAIL, QUOTED)


def protected_spans(text: str) -> list[tuple[int, int]]:
    """Sorted, non-overlapping (start, end) spans of code, URLs, e-mail addresses and quoted passages."""
    spans = sorted((m.start(), m.end()) for pattern in PROTECTED for m in pattern.finditer(text))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def words_outside(text: str) -> list[tuple[int, int, str]]:
    """(start, end, word) for every alphabetic word outside the protected spans. Words touching a digit
    (3ncü, A4) are left out: they are numbers or codes, not words."""
    spans = protected_spans(text)
    out = []
    i = 0
    for m in WORD.finditer(text):
        while i < len(spans) and spans[i][1] <= m.start():
            i += 1
        if i < len(spans) and spans[i][0] < m.end():
            continue
        before = text[m.start() - 1] if m.start() else " "
        after = text[m.end()] if m.end() < len(text) else " "
        if before.isdigit() or after.isdigit() or before in "_-/." or after in "_-/@":
            continue
        out.append((m.start(), m.end(), m.group()))
    return out


def numbers(text: str) -> Counter:
    """Numbers outside code and URLs (those are compared whole). `1.000` and `1000` count as different."""
    return Counter(NUMBER.findall(_blank(text, (CODE, URL, EMAIL))))


def urls(text: str) -> Counter:
    return Counter(m.group().rstrip(".,;:!?") for m in URL.finditer(text))


def code(text: str) -> Counter:
    return Counter(m.group() for m in CODE.finditer(text))


def entities(text: str) -> set[str]:
    """Likely named entities: capitalised words that do not start a sentence, and any word with an apostrophe
    suffix (Türkçe writes proper names with one: Ankara'da). The stem before the apostrophe is what must survive.
    A heuristic on purpose: it needs no model, and a false alarm only costs one rejected candidate."""
    found = set()
    clean = _blank(text, PROTECTED)
    for m in WORD.finditer(clean):
        word = m.group()
        stem = re.split(r"['’]", word)[0]
        if "'" in word or "’" in word:
            found.add(stem)
            continue
        if not word[0].isupper() or len(word) < 2 or word.isupper():
            continue
        before = clean[: m.start()].rstrip(" \t")  # a newline before the word starts a new line: no name
        if before and before[-1] not in ".!?:;\n-•*#>\"“«(":
            found.add(stem)
    return found


def _blank(text: str, patterns: tuple[re.Pattern, ...]) -> str:
    """The text with every match of `patterns` replaced by spaces (offsets stay the same)."""
    for pattern in patterns:
        text = pattern.sub(lambda m: " " * len(m.group()), text)
    return text
