"""Typed errors. The library raises these; only cli.py prints them and picks exit codes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem with one place in the input: printed as `path:line: field: message`."""

    path: str
    line: int | None
    field: str
    message: str
    kind: str = "invalid"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.field}: {self.message}"


class DataforgeError(Exception):
    """Base class. `exit_code` follows the CLI contract in DESIGN.md."""

    exit_code = 2

    def __init__(self, message: str = "", problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = problems or []

    def lines(self) -> list[str]:
        out = [str(p) for p in self.problems]
        if str(self):
            out.insert(0, str(self))
        return out


class UsageError(DataforgeError):
    """Bad options or config: exit 2."""


class InputError(DataforgeError):
    """Input that cannot be read at all (missing file, unknown or mixed format): exit 2."""


class DataError(DataforgeError):
    """Data problems found (invalid records, lossy conversion refused, gate failed): exit 1."""

    exit_code = 1


class MissingDependency(UsageError):
    """An optional dependency is not installed; the message says what to install."""

    def __init__(self, module: str, extra: str):
        super().__init__(f"{module} is not installed: run `pip install 'dataforge[{extra}]'`")
