"""Expectation suites: find and check a suite file, then run it on the feature frame through great-expectations.

great-expectations is imported only in `run_suite` (it takes seconds to import); loading a suite only needs
the list of expectation names, which is read lazily too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from dataforge.errors import Problem, UsageError

SHIPPED = ("turkish_sft", "generic_sft")
DEFAULT = "turkish_sft"
OPTIONAL_COLUMNS = {"tokens": "--tokenizer", "truncated": "--tokenizer and --max-seq-len"}
_TOP_KEYS = {"name", "id", "expectations", "meta", "notes"}
_EXP_KEYS = {"type", "kwargs", "meta", "id", "rendered_content", "severity", "description", "notes"}


def validators_dir() -> Path:
    """validators/ of a source checkout, or the copy shipped inside the wheel."""
    here = Path(__file__).resolve().parents[2] / "validators"
    if here.is_dir():
        return here
    return Path(str(resources.files("dataforge") / "_assets" / "validators"))


def suite_path(suite: str | None) -> str:
    """A user's suite file, or a shipped suite by name (turkish_sft, generic_sft); None means the default."""
    if suite is None or suite in SHIPPED:
        return str(validators_dir() / f"{suite or DEFAULT}.json")
    return suite


@dataclass
class Suite:
    path: str
    name: str
    expectations: list[dict[str, Any]] = field(default_factory=list)


def _expectation_types() -> set[str]:
    """Names of GX's core expectations, read from its package files: importing GX takes seconds, and a bad
    suite should fail at once."""
    from importlib.util import find_spec

    spec = find_spec("great_expectations")
    if spec is None or not spec.submodule_search_locations:
        from dataforge.errors import MissingDependency

        raise MissingDependency("great-expectations", "quality")
    core = Path(list(spec.submodule_search_locations)[0]) / "expectations" / "core"
    return {p.stem for p in core.glob("expect_*.py")}


def load_suite(path: str) -> Suite:
    """Read and check a suite file; every problem is reported at once (UsageError, exit 2)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--suite {path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError("", [Problem(path, exc.lineno, "suite", f"invalid JSON: {exc.msg} (column {exc.colno})")]) \
            from None
    if not isinstance(data, dict) or not isinstance(data.get("expectations"), list):
        raise UsageError("", [Problem(path, None, "suite", "expected a JSON object with an `expectations` list "
                                                             "(a great-expectations ExpectationSuite)")])
    problems = [Problem(path, None, k, "unknown key: remove it (allowed: " + ", ".join(sorted(_TOP_KEYS)) + ")")
                for k in data if k not in _TOP_KEYS]
    known = _expectation_types()
    for i, exp in enumerate(data["expectations"]):
        where = f"expectations[{i}]"
        if not isinstance(exp, dict):
            problems.append(Problem(path, None, where, "expected an object with `type` and `kwargs`"))
            continue
        problems += [Problem(path, None, f"{where}.{k}", "unknown key: remove it") for k in exp if k not in _EXP_KEYS]
        typ = exp.get("type")
        if typ not in known:
            close = sorted(t for t in known if typ and typ.split("_")[-1] in t)[:3]
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            problems.append(Problem(path, None, f"{where}.type", f"unknown expectation type {typ!r}{hint}"))
        if not isinstance(exp.get("kwargs", {}), dict):
            problems.append(Problem(path, None, f"{where}.kwargs", "expected an object"))
        check = (exp.get("meta") or {}).get("check")
        if check is not None and not isinstance(check, str):
            problems.append(Problem(path, None, f"{where}.meta.check", "expected a check name (string)"))
    if problems:
        raise UsageError(f"{path}: not a usable expectation suite", problems)
    return Suite(path=path, name=str(data.get("name") or Path(path).stem), expectations=data["expectations"])


def check_columns(suite: Suite, columns: list[str]) -> tuple[list[dict], list[dict]]:
    """(expectations to run, expectations skipped for a missing optional feature). A column that is neither a
    feature nor an optional one is a config error naming the expectation."""
    run, skipped, problems = [], [], []
    for i, exp in enumerate(suite.expectations):
        kw = exp.get("kwargs", {})
        cols = [kw[k] for k in ("column", "column_A", "column_B") if k in kw] + list(kw.get("column_list", []))
        missing = [c for c in cols if c not in columns]
        if not missing:
            run.append({**exp, "_index": i})  # the index names the expectation in GX's errors
        elif all(c in OPTIONAL_COLUMNS for c in missing):
            skipped.append(exp)
        else:
            problems.append(Problem(suite.path, None, f"expectations[{i}].kwargs.column",
                                    f"no feature column {missing[0]!r}; known: {', '.join(sorted(columns))}"))
    if problems:
        raise UsageError(f"{suite.path}: the suite names unknown feature columns", problems)
    return run, skipped

