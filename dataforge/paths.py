"""One guard for every command that writes: no output over an input, no two outputs on one file, no output
that is a directory. It runs before anything is opened for writing, so a refused run leaves nothing behind."""

from __future__ import annotations

import os

from dataforge.errors import UsageError


def _same(a: str, b: str) -> bool:
    """Whether two paths name one file: samefile catches hard links and symlinks when both exist; realpath
    catches `./x` vs `x` (and a second output that does not exist yet)."""
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def _existing_parent(path: str) -> str | None:
    """The nearest ancestor of `path` that exists (the writer creates the missing ones)."""
    parent = os.path.dirname(os.path.abspath(path))
    while parent and not os.path.exists(parent):
        up = os.path.dirname(parent)
        if up == parent:
            return None
        parent = up
    return parent or None


def check_outputs(inputs: list[str], outputs: dict[str, str | None]) -> None:
    """Raise UsageError (exit 2) listing every problem when an output is an input, another output, or a
    directory. `outputs` maps the option name (e.g. "--out") to its path, None when not given."""
    given = [(opt, str(path)) for opt, path in outputs.items() if path]
    problems: list[str] = []
    for i, (opt, path) in enumerate(given):
        if os.path.isdir(path):
            problems.append(f"{opt} {path}: is a directory; give a file path, e.g. {os.path.join(path, 'out.jsonl')}")
            continue
        parent = _existing_parent(path)
        if parent is not None and not os.path.isdir(parent):
            problems.append(f"{opt} {path}: {parent} is a file, not a directory; choose another output path")
            continue
        for src in inputs:
            if _same(path, str(src)) or _same(f"{path}.tmp", str(src)):  # outputs are written to PATH.tmp first
                problems.append(f"{opt} {path}: is the input file {src}; writing it would destroy the input: "
                                "choose another output path")
        for other_opt, other in given[:i]:
            if _same(path, other):
                problems.append(f"{opt} {path}: is also given as {other_opt}; give each output its own path")
    if problems:
        raise UsageError("\n".join(problems))
