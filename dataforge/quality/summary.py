"""The top of the report: records read and valid, flagged per check, how many records `dataforge clean` would
keep (and the one command that does it), the token lengths, and the gate's verdict with the checks that decide
it. Also the statistics behind the plots, counted the way the checks count (exact copies are not near
duplicates)."""

from __future__ import annotations

from typing import Any

import polars as pl

from dataforge.quality.advice import CLEAN_FLAGS, clean_command


# What `dataforge clean` drops with every option on (see clean.py): rejected records, empty turns, other
# languages, exact and near duplicates. PII and mojibake are repaired in place; the other checks need an edit.
def _bool(col: str, null: bool = False) -> pl.Expr:
    """A flag column; rejected records hold nulls (a column of nulls only when no record is valid)."""
    return pl.col(col).cast(pl.Boolean).fill_null(null)


_DROPPED_BY_CLEAN = {"invalid": _bool("invalid"), "empty_turn": pl.col("empty_turns") > 0,
                     "language": ~_bool("lang_ok", True), "exact_duplicate": _bool("exact_dup"),
                     "near_duplicate": _bool("near_dup")}


def _clean_outcome(df: pl.DataFrame, checks: list[dict], ctx: dict) -> dict[str, Any]:
    dropped: dict[str, int] = {}
    gone = pl.lit(False)
    for reason, expr in _DROPPED_BY_CLEAN.items():  # in clean's order: a record counts for its first reason
        dropped[reason] = int(df.select((expr & ~gone).sum()).item())
        gone = gone | expr
    kept = int(df.select((~gone).sum()).item())
    flags = list(dict.fromkeys(CLEAN_FLAGS[c["name"]].format(lang=ctx["lang"]) for c in checks
                               if c["flagged"] and CLEAN_FLAGS.get(c["name"])))
    paths = ctx["paths"]
    survivors = df.select(pl.col("row").filter(~gone))  # only the column it reads: no copy of the whole frame
    to_edit = {c["name"]: int(survivors.filter(pl.col("row").is_in(c["_rows"])).height) for c in checks
               if c["name"] not in CLEAN_FLAGS and c["name"] != "invalid_records" and c.get("_rows")}
    return {"records": kept, "share": round(kept / df.height, 4) if df.height else 0.0,
            "dropped": {k: v for k, v in dropped.items() if v},
            # a command only when clean would change something: no "fix" for clean data
            "commands": [clean_command(p, flags) for p in paths] if flags or kept < df.height else [],
            "still_flagged": {k: v for k, v in to_edit.items() if v}}


def build_summary(df: pl.DataFrame, checks: list[dict], failed: list[str], ctx: dict) -> dict[str, Any]:
    out: dict[str, Any] = {
        "records": df.height, "valid": int(df["valid"].sum()),
        "flagged": {c["name"]: c["flagged"] for c in checks if c["status"] != "not_run"},
        "not_run": [c["name"] for c in checks if c["status"] == "not_run"],
        "after_clean": _clean_outcome(df, checks, ctx),
        "gate": {"passed": not failed, "failed_checks": failed,
                 "deciding": [c["name"] for c in checks if c["gated"] and c["status"] in ("pass", "fail")]},
    }
    if "tokens" in df.columns:
        out["tokens"] = _describe(df.filter(pl.col("valid"))["tokens"])
        out["tokens"]["max_seq_len"] = ctx.get("max_seq_len")
        if ctx.get("max_seq_len") and "truncated" in df.columns:
            out["tokens"]["over_max_seq_len"] = int(df["truncated"].fill_null(False).sum())
    return out


# The columns the statistics read: filtering only these copies a few numbers a record, not the whole frame
# (the Ray engine's frame is memory-mapped: a whole filtered copy would be in the driver's heap)
STATS_COLUMNS = ("lang", "chars_system", "chars_user", "chars_assistant", "tokens", "tool_calls")


def valid_columns(df: pl.DataFrame, columns=STATS_COLUMNS) -> pl.DataFrame:
    """The valid records' rows of `columns` (those the frame has)."""
    return df.select(pl.col(c).filter(pl.col("valid")) for c in columns if c in df.columns)


def stats(df: pl.DataFrame) -> dict[str, Any]:
    valid = valid_columns(df)
    langs = valid["lang"].value_counts(sort=True)
    near = near_cluster_sizes(df)
    exact = exact_group_sizes(df)
    out: dict[str, Any] = {
        "languages": dict(zip(langs["lang"].to_list(), langs["count"].to_list(), strict=True)),
        "near_duplicate_clusters": near.len(),
        "cluster_sizes": dict(sorted(near.value_counts().iter_rows())),
        "exact_duplicate_groups": exact.len(),
        "exact_group_sizes": dict(sorted(exact.value_counts().iter_rows())),
        "length_chars": {r: _describe(valid[f"chars_{r}"]) for r in ("system", "user", "assistant")},
    }
    if "tokens" in df.columns:
        out["tokens"] = _describe(valid["tokens"])
    calls = valid["tool_calls"] if "tool_calls" in valid.columns else None
    if calls is not None and calls.sum():
        with_calls = calls.filter(calls > 0)
        out["tool_calls"] = {"records_with_calls": with_calls.len(),
                             "share": round(with_calls.len() / max(valid.height, 1), 4),
                             "calls_per_record": _describe(with_calls)}
    return out


def near_cluster_sizes(df: pl.DataFrame) -> pl.Series:
    """Per near-duplicate cluster with a near copy: its first record plus its near copies, i.e. what
    `near_duplicates` counted (exact copies belong to `exact_duplicates`). sum(size - 1) == flagged."""
    near = df.filter(_bool("near_dup")).group_by("near_cluster").len()
    return (near["len"] + 1).alias("size")


def exact_group_sizes(df: pl.DataFrame) -> pl.Series:
    """Per group of exact copies: the first record plus its copies. sum(size - 1) == exact_duplicates flagged."""
    dups = df.filter(_bool("exact_dup")).group_by("exact_group").len()
    return (dups["len"] + 1).alias("size")


def _describe(s: pl.Series) -> dict[str, Any]:
    s = s.drop_nulls()
    if s.len() == 0:
        return {}
    return {"min": int(s.min()), "median": float(s.median()), "p95": float(s.quantile(0.95)), "max": int(s.max()),
            "mean": round(float(s.mean()), 1)}
