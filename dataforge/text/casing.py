"""Turkish-safe casing. Python's str.lower() maps "I" to "i" (Turkish wants "ı") and "İ" to "i" plus a combining
dot; str.upper() maps "i" to "I" (Turkish wants "İ"). Never call plain lower()/upper() on Turkish text."""

from __future__ import annotations

_LOWER = str.maketrans({"I": "ı", "İ": "i"})
_UPPER = str.maketrans({"i": "İ", "ı": "I"})


def tr_lower(s: str) -> str:
    """Lower-case with Turkish dotted/dotless i rules: İ→i, I→ı, then the usual lower()."""
    return s.translate(_LOWER).lower()


def tr_upper(s: str) -> str:
    """Upper-case with Turkish dotted/dotless i rules: i→İ, ı→I, then the usual upper()."""
    return s.translate(_UPPER).upper()

