"""Run expectations on the feature frame through great-expectations (ephemeral context, progress bars off) and
build GX Data Docs into the report directory. Imported only by `check` / the gate: GX takes seconds to import.

`run_suite_chunked` validates a long frame slice by slice (one pandas copy of a slice at a time, not of the whole
frame) and adds the slices' results up. That is exact only for row-local map expectations (each row is judged on
its own: counts add up, unexpected rows concatenate in order, `mostly` is applied to the sums with GX's own
function); a suite with any other expectation (aggregates such as a column mean, uniqueness, ordering) is run
over the whole frame at once, as is a run that builds Data Docs (GX renders one validation)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from dataforge.errors import MissingDependency, Problem, UsageError


@dataclass
class ExpectationOutcome:
    check: str
    type: str
    kwargs: dict[str, Any]
    success: bool
    unexpected_count: int | None = None
    element_count: int | None = None
    observed: Any = None
    rows: list[int] = field(default_factory=list)  # feature-frame rows that broke it
    error: str | None = None


def check_name(exp: dict) -> str:
    meta = exp.get("meta") or {}
    return meta.get("check") or f"{exp['type']}:{exp.get('kwargs', {}).get('column', '')}"


def _build_suite(gx, name: str, path: str, expectations: list[dict]):
    """The GX suite; each expectation is built on its own first so a bad one is named with its index."""
    problems = []
    for i, exp in enumerate(expectations):
        try:
            gx.ExpectationSuite(name=name, expectations=[{k: v for k, v in exp.items() if k != "_index"}])
        except Exception as exc:  # GX checks kwargs with pydantic: a bad value is the user's config error
            errors = exc.errors() if hasattr(exc, "errors") else [{"loc": ("kwargs",), "msg": str(exc)}]
            for err in errors:
                field_name = ".".join(str(x) for x in err.get("loc", ())) or "kwargs"
                index = exp.get("_index", i)
                problems.append(Problem(path, None, f"expectations[{index}].kwargs.{field_name}", err.get("msg", "")))
    if problems:
        raise UsageError(f"{path}: great-expectations refused the suite", problems)
    return gx.ExpectationSuite(name=name, expectations=[{k: v for k, v in e.items() if k != "_index"}
                                                       for e in expectations])


def run_suite(df: pl.DataFrame, expectations: list[dict], suite_name: str,
              docs_dir: str | None, suite_path: str = "suite") -> list[ExpectationOutcome]:
    run = _runner(expectations, suite_name, docs_dir, suite_path)
    return [o for o, _ in run(df)]


# Map expectations whose verdict on a row depends on other rows: a slice cannot judge them.
_NOT_ROW_LOCAL = {"expect_column_values_to_be_unique", "expect_column_values_to_be_increasing",
                  "expect_column_values_to_be_decreasing", "expect_compound_columns_to_be_unique",
                  "expect_multicolumn_values_to_be_unique", "expect_select_column_values_to_be_unique_within_record"}


def row_local(expectations: list[dict]) -> bool:
    """True when every expectation judges each row on its own (so slices' results add up exactly)."""
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )
    from great_expectations.expectations.registry import get_expectation_impl

    maps = (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)
    for exp in expectations:
        if exp["type"] in _NOT_ROW_LOCAL:
            return False
        try:
            impl = get_expectation_impl(exp["type"])
        except Exception:  # unknown to the registry: let the whole-frame run report it as before
            return False
        if not issubclass(impl, maps):
            return False
    return True


def run_suite_sliced(df: pl.DataFrame, expectations: list[dict], suite_name: str, docs_dir: str | None,
                     on_slice: Callable[[pl.DataFrame, list[ExpectationOutcome]], None], suite_path: str = "suite",
                     chunk_rows: int | None = None) -> list[ExpectationOutcome]:
    """Validate `df` and hand each slice of `chunk_rows` rows (the whole frame when None), in order, to
    `on_slice(part, outcomes on part)`; return the whole frame's outcomes without their rows (on_slice saw them).
    GX itself runs slice by slice where that is exact (see the module doc), else once on the whole frame, whose
    unexpected rows are then cut at the slices' edges (row == position in the frame)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    step = chunk_rows or max(df.height, 1)
    if docs_dir or df.height <= step or not row_local(expectations):
        whole = run_suite(df, expectations, suite_name, docs_dir, suite_path=suite_path)
        rows = [np.sort(np.asarray(o.rows, dtype=np.int64)) for o in whole]
        for start in range(0, df.height, step):
            end = start + step
            on_slice(df.slice(start, step),
                     [replace(o, rows=r[np.searchsorted(r, start):np.searchsorted(r, end)].tolist())
                      for o, r in zip(whole, rows, strict=True)])
        return [replace(o, rows=[]) for o in whole]
    run = _runner(expectations, suite_name, None, suite_path)
    merged: list[tuple[ExpectationOutcome, int]] | None = None
    for start in range(0, df.height, step):
        part_df = df.slice(start, step)
        part = run(part_df)
        on_slice(part_df, [o for o, _ in part])
        if merged is None:
            merged = [(replace(o, rows=[]), missing) for o, missing in part]
            continue
        for (m, _), (o, _) in zip(merged, part, strict=True):
            m.error = m.error or o.error
            if m.unexpected_count is None or o.unexpected_count is None:  # failed in a slice: as GX reports it
                m.unexpected_count, m.element_count, m.success = None, None, False
                continue
            m.unexpected_count += o.unexpected_count
            m.element_count += o.element_count
        merged = [(m, m_missing + o_missing) for (m, m_missing), (o, o_missing) in zip(merged, part, strict=True)]
    out = []
    for o, missing in merged or []:
        if o.error is None and o.unexpected_count is not None:
            considered = o.element_count - missing
            # GX's own rule and arithmetic (ColumnMapExpectation._validate, a private helper of GX, imported so
            # the float comparison is the very same): vacuously true with no row to consider
            o.success = bool(considered == 0 or o.element_count == 0 or
                             _mostly(considered, o.unexpected_count, o.kwargs.get("mostly", 1)))
        out.append(o)
    return out


def run_suite_chunked(df: pl.DataFrame, expectations: list[dict], suite_name: str, docs_dir: str | None,
                      suite_path: str = "suite", chunk_rows: int = 50_000) -> list[ExpectationOutcome]:
    """run_suite's outcomes, rows included, computed slice by slice where that is exact (see the module doc)."""
    rows: list[list[int]] = []

    def keep(part: pl.DataFrame, outs: list[ExpectationOutcome]) -> None:
        for i, o in enumerate(outs):
            if i == len(rows):
                rows.append([])
            rows[i] += o.rows

    out = run_suite_sliced(df, expectations, suite_name, docs_dir, keep, suite_path=suite_path,
                           chunk_rows=chunk_rows)
    return [replace(o, rows=r) for o, r in zip(out, rows or [[] for _ in out], strict=True)]


def _mostly(considered: int, unexpected: int, mostly: float) -> bool:
    """GX's `mostly` rule: its private helper when present (the very same float comparison), else the same
    arithmetic, so a GX release that moves the helper does not break the sliced run."""
    try:
        from great_expectations.expectations.expectation import _mostly_success
    except ImportError:
        return (float(considered) - float(unexpected)) / float(considered) >= mostly
    return _mostly_success(considered, unexpected, mostly)


def _runner(expectations: list[dict], suite_name: str, docs_dir: str | None, suite_path: str):
    """One GX context and checkpoint; the returned function validates a frame: [(outcome, missing_count)]."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    try:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig
    except ImportError as exc:
        raise MissingDependency("great-expectations", "quality") from exc
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    suite = ctx.suites.add(_build_suite(gx, suite_name, suite_path, expectations))
    batch_def = ctx.data_sources.add_pandas("features").add_dataframe_asset("records") \
        .add_batch_definition_whole_dataframe("all records")
    vd = ctx.validation_definitions.add(gx.ValidationDefinition(name="quality gate", data=batch_def, suite=suite))
    actions = []
    if docs_dir:
        ctx.add_data_docs_site("report", {
            "class_name": "SiteBuilder", "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                              "base_directory": os.path.abspath(docs_dir)}})
        actions.append(gx.checkpoint.UpdateDataDocsAction(name="data docs", site_names=["report"]))
    checkpoint = ctx.checkpoints.add(gx.Checkpoint(
        name="dataforge check", validation_definitions=[vd], actions=actions,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["row"]}))

    def run(df: pl.DataFrame) -> list[tuple[ExpectationOutcome, int]]:
        result = checkpoint.run(batch_parameters={"dataframe": df.to_pandas()})
        return _outcomes(result)

    return run


def _outcomes(result) -> list[tuple[ExpectationOutcome, int]]:
    outcomes = []
    for run_result in result.run_results.values():
        for r in run_result.results:
            cfg = r.expectation_config
            res = r.result or {}
            rows = [int(x["row"]) for x in res.get("unexpected_index_list") or [] if isinstance(x, dict)]
            err = None
            if r.exception_info and r.exception_info.get("raised_exception"):
                err = r.exception_info.get("exception_message")
            exp = {"type": cfg.type, "kwargs": cfg.kwargs, "meta": cfg.meta or {}}
            outcomes.append((ExpectationOutcome(
                check=check_name(exp), type=cfg.type,
                kwargs={k: v for k, v in cfg.kwargs.items() if k != "batch_id"}, success=bool(r.success),
                unexpected_count=res.get("unexpected_count"), element_count=res.get("element_count"),
                observed=res.get("observed_value"), rows=rows, error=err), int(res.get("missing_count") or 0)))
    return outcomes
