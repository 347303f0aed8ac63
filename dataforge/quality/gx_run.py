"""Run expectations on the feature frame through great-expectations (ephemeral context, progress bars off) and
build GX Data Docs into the report directory. Imported only by `check` / the gate: GX takes seconds to import."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

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


def _check_name(exp: dict) -> str:
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
    pdf = df.to_pandas()
    result = checkpoint.run(batch_parameters={"dataframe": pdf})
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
            outcomes.append(ExpectationOutcome(
                check=_check_name(exp), type=cfg.type,
                kwargs={k: v for k, v in cfg.kwargs.items() if k != "batch_id"}, success=bool(r.success),
                unexpected_count=res.get("unexpected_count"), element_count=res.get("element_count"),
                observed=res.get("observed_value"), rows=rows, error=err))
    return outcomes
