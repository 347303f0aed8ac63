"""Mojibake: Turkish text whose bytes were decoded with the wrong code page.

Two families matter for Turkish:
- UTF-8 read as cp1252/latin-1: "ı" becomes "Ä±", "ş" "ÅŸ", "ü" "Ã¼", "Ç" "Ã‡". Its tell-tale is Ã, Ä or Å
  followed by a latin-1 symbol or cp1252 punctuation (or a C1 control), which real text almost never has.
  ftfy repairs it.
- cp1254 (Windows Turkish) read as latin-1: "ı" becomes "ý", "ş" "þ", "ğ" "ð", "İ" "Ý", "Ş" "Þ", "Ğ" "Ð". The
  bytes are valid latin-1 letters, so ftfy leaves them; we map them back (they do not occur in Turkish).
"""

from __future__ import annotations

import re

_UTF8_AS_1252 = re.compile(
    "[ÃÄÅ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u2022\u2026\u2030"
    "\u2039\u203a\u20ac\u2122]|â€"
)
_CP1254_AS_LATIN1 = "ýþðÝÞÐ"
_CP1254_FIX = str.maketrans({"ý": "ı", "þ": "ş", "ð": "ğ", "Ý": "İ", "Þ": "Ş", "Ð": "Ğ"})
PATTERN = "[ÃÄÅ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u2022\u2026\u2030" \
          "\u2039\u203a\u20ac\u2122]|â€|[ýþðÝÞÐ]"  # the same test as one regex, for polars


def has_mojibake(text: str) -> bool:
    return bool(_UTF8_AS_1252.search(text)) or any(c in text for c in _CP1254_AS_LATIN1)


def fix_mojibake(text: str) -> str:
    """Repair both families; text without mojibake comes back unchanged."""
    if _UTF8_AS_1252.search(text):
        import ftfy

        text = ftfy.fix_encoding(text)
    if any(c in text for c in _CP1254_AS_LATIN1):
        try:  # the whole text was mis-decoded: re-decoding also restores cp1254 quotes and dashes
            text = text.encode("latin-1").decode("cp1254")
        except UnicodeError:  # mixed with real non-latin-1 text: map only the six letters
            text = text.translate(_CP1254_FIX)
    return text
