"""Which format a file holds, from the keys of its first records."""

from __future__ import annotations

from typing import Any

from dataforge.errors import InputError
from dataforge.formats import KEYS

SAMPLE = 200  # records looked at; enough to see a mixed file, cheap on a huge one


def format_of(obj: Any) -> str | None:
    """The format whose keys this object has, or None."""
    if not isinstance(obj, dict):
        return None
    for name, keys in KEYS.items():
        if all(k in obj for k in keys):
            return name
    return None


def detect(path: str, objects: list[tuple[int, Any]]) -> str:
    """Pick the one format of the sampled (line, object) pairs; a mixed or unknown file is an InputError."""
    seen: dict[str, int] = {}
    for line, obj in objects:
        name = format_of(obj)
        if name and name not in seen:
            seen[name] = line
    if len(seen) > 1:
        where = ", ".join(f"line {line} is {name}" for name, line in seen.items())
        raise InputError(f"{path}: mixed formats ({where}): split the file, or pass --format to validate "
                         "everything as one format")
    if not seen:
        from dataforge.formats.unsupported import whole_file

        not_sft = whole_file([obj for _, obj in objects])
        if not_sft:
            raise InputError(f"{path}: {not_sft}")
        keys = " / ".join("+".join(k) for k in KEYS.values())
        raise InputError(f"{path}: unknown format: no record in the first {SAMPLE} has the keys of a known "
                         f"format ({keys}); pass --format or fix the records")
    return next(iter(seen))
