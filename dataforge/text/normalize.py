"""Text normalisation: Unicode NFC and whitespace cleanup. The exact-duplicate key is `normalize(text)`."""

from __future__ import annotations

import re
import unicodedata

# Invisible or odd spaces that copy-paste brings in; they become a plain space (or vanish, for zero-width ones).
_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\f\v]")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")
_RUNS = re.compile(r"(?<=\S) {2,}")  # after a non-space only: indentation stays
_TRAILING = re.compile(r"[ \t]+\n")
_BLANK_LINES = re.compile(r"\n{3,}")


def normalize(s: str) -> str:
    """NFC; CRLF→LF; odd spaces → space; zero-width characters removed; runs of spaces inside a line collapsed;
    trailing spaces and both ends stripped; at most one empty line in a row. Indentation and line structure (code,
    lists) stay."""
    s = unicodedata.normalize("NFC", s)
    if "\r" in s:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    s = _ZERO_WIDTH.sub("", _SPACES.sub(" ", s))
    s = _RUNS.sub(" ", s)
    s = _TRAILING.sub("\n", s)
    s = _BLANK_LINES.sub("\n\n", s)
    return s.strip()


def normalize_expr(e):
    """`normalize` as a polars expression (same rules, vectorised) for whole columns."""
    e = (e.str.normalize("NFC").str.replace_all("\r\n?", "\n")
         .str.replace_all("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\f\v]", " ")
         .str.replace_all("[\u200b\u200c\u200d\u2060\ufeff]", ""))
    e = e.str.replace_all(r"(\S) {2,}", "$1 ").str.replace_all(r"[ \t]+\n", "\n")
    return e.str.replace_all(r"\n{3,}", "\n\n").str.strip_chars()
