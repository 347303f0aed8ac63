"""report.json: per check pass/fail, flagged count and up to five example records with file:line, plus the
statistics the HTML page plots. The shape's core ({"records", "passed", "checks": [{"name", "passed",
"flagged", "examples"}]}) is stable (DESIGN.md); extra keys may be added."""

from __future__ import annotations

from typing import Any

import polars as pl

from dataforge.quality.checks import BY_NAME, CHECKS, flagged_rows
from dataforge.quality.gx_run import ExpectationOutcome
from dataforge.quality.load import Loaded
from dataforge.quality.pii import redact

EXAMPLES = 5
EXCERPT = 160


def _excerpt(text: str | None, check: str) -> str:
    if not text:
        return ""
    if check.startswith("pii_"):
        text = redact(text)  # the report must not spread the personal data it found
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1] + "…"


def _examples(df: pl.DataFrame, rows: list[int], check: str, problems: dict) -> list[dict[str, Any]]:
    out = []
    sub = df.filter(pl.col("row").is_in(rows[:EXAMPLES])).sort("row")
    for r in sub.iter_rows(named=True):
        ex = {"file": r["file"], "line": r["line"], "id": r.get("id"), "excerpt": _excerpt(r.get("text"), check)}
        if not r["valid"]:  # a rejected record: say why instead of showing text
            ex["problems"] = problems.get((r["file"], r["line"]), [])
        if check in ("exact_duplicates", "near_duplicates"):
            first = r["exact_group"] if check == "exact_duplicates" else r["near_cluster"]
            orig = df.row(first, named=True)
            ex["duplicate_of"] = f"{orig['file']}:{orig['line']}"
        if check in ("language", "asciified"):
            ex["lang"], ex["confidence"] = r["lang"], r["lang_conf"]
        out.append(ex)
    return out


def build_checks(df: pl.DataFrame, outcomes: list[ExpectationOutcome], problems: dict) -> list[dict]:
    by_check: dict[str, list[ExpectationOutcome]] = {}
    for o in outcomes:
        by_check.setdefault(o.check, []).append(o)
    names = [c.name for c in CHECKS if c.needs in df.columns] + [n for n in by_check if n not in BY_NAME]
    out = []
    for name in names:
        outs = by_check.get(name, [])
        row_level = [o for o in outs if o.unexpected_count is not None]
        if row_level:
            rows = sorted({r for o in row_level for r in o.rows})
        elif name in BY_NAME:
            rows = flagged_rows(df, BY_NAME[name])
        else:
            rows = []
        entry = {"name": name, "passed": all(o.success for o in outs), "flagged": len(rows),
                 "gated": bool(outs), "what": BY_NAME[name].what if name in BY_NAME else "user expectation",
                 "examples": _examples(df, rows, name, problems),
                 "expectations": [{"type": o.type, "kwargs": o.kwargs, "success": o.success,
                                   "unexpected_count": o.unexpected_count, "element_count": o.element_count,
                                   "observed": o.observed, "error": o.error} for o in outs]}
        out.append(entry)
    return out


def stats(df: pl.DataFrame) -> dict[str, Any]:
    valid = df.filter(pl.col("valid"))
    langs = valid["lang"].value_counts(sort=True)
    sizes = valid.filter(pl.col("near_cluster_size") > 1).group_by("near_cluster").agg(pl.len().alias("size"))
    out: dict[str, Any] = {
        "languages": dict(zip(langs["lang"].to_list(), langs["count"].to_list(), strict=True)),
        "near_duplicate_clusters": sizes.height,
        "cluster_sizes": dict(sorted(sizes["size"].value_counts().iter_rows())),
        "length_chars": {r: _describe(valid[f"chars_{r}"]) for r in ("system", "user", "assistant")},
    }
    if "tokens" in df.columns:
        out["tokens"] = _describe(valid["tokens"])
    return out


def _describe(s: pl.Series) -> dict[str, float]:
    if s.len() == 0:
        return {}
    return {"min": int(s.min()), "median": float(s.median()), "p95": float(s.quantile(0.95)), "max": int(s.max()),
            "mean": round(float(s.mean()), 1)}


def build_report(loaded: Loaded, df: pl.DataFrame, outcomes: list[ExpectationOutcome], skipped: list[dict], *,
                 suite: dict, options: dict) -> dict[str, Any]:
    problems = {(r.path, r.line): [f"{p.field}: {p.message}" for p in r.problems] for r in loaded.rejected}
    checks = build_checks(df, outcomes, problems)
    invalid = sum(1 for r in loaded.rejected if not r.blank_only)
    return {
        "records": loaded.total, "valid": len(loaded.records), "invalid": invalid,
        "blank_turn_records": len(loaded.rejected) - invalid,
        "passed": all(c["passed"] for c in checks),
        "suite": suite, **options,
        "checks": checks,
        "skipped_expectations": [{"type": e["type"], "kwargs": e.get("kwargs", {}),
                                  "check": (e.get("meta") or {}).get("check"),
                                  "reason": "needs --tokenizer (and --max-seq-len)"} for e in skipped],
        "files": [{"path": f.path, "format": f.format, "records": f.records, "valid": f.valid,
                   "invalid": f.invalid} for f in loaded.files],
        "stats": stats(df),
    }
