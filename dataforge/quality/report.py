"""report.json: per check its status, flagged count, up to five example records with file:line, the advice (what
was found, why it matters, the fix) and the rule in words, plus the summary on top and the statistics the HTML
page plots. The shape's core ({"records", "passed", "checks": [{"name", "passed", "flagged", "examples"}]}) is
stable (DESIGN.md); extra keys may be added.

A check's `status` is "pass", "fail", "info" (not gated by the suite) or "not_run" (it had nothing to look at:
no valid record, or no tokenizer/limit for `truncation`); `passed` is null for a check that did not run, so a
report never shows a green "pass, 0 flagged" for a check that judged nothing."""

from __future__ import annotations

from typing import Any

import polars as pl

from dataforge.quality.advice import advise, rule_in_words
from dataforge.quality.advice_texts import WHAT_TR
from dataforge.quality.checks import BY_NAME
from dataforge.quality.gx_run import ExpectationOutcome
from dataforge.quality.load import Loaded
from dataforge.quality.pii import redact_excerpt
from dataforge.quality.summary import build_summary, stats
from dataforge.quality.tally import EXAMPLES, Tally

NO_VALID = "no_valid_records"  # the gate's own reason, listed with the failed checks


def _examples(rows_df: pl.DataFrame, rows: list[int], check: str, problems: dict) -> list[dict[str, Any]]:
    """The quoted records; `rows_df` holds them and the records their duplicates copy (row == position)."""
    out = []
    sub = rows_df.filter(pl.col("row").is_in(rows[:EXAMPLES])).sort("row")
    for r in sub.iter_rows(named=True):
        ex = {"file": r["file"], "line": r["line"], "id": r.get("id"), "excerpt": redact_excerpt(r.get("text"))}
        if not r["valid"]:  # a rejected record: say why instead of showing text (messages may quote it: redact)
            ex["problems"] = [redact_excerpt(p, 300) for p in problems.get((r["file"], r["line"]), [])]
        if check in ("exact_duplicates", "near_duplicates"):
            first = r["exact_group"] if check == "exact_duplicates" else r["near_cluster"]
            orig = rows_df.row(by_predicate=pl.col("row") == first, named=True)
            ex["duplicate_of"] = f"{orig['file']}:{orig['line']}"
        if check in ("language", "asciified"):
            ex["lang"], ex["confidence"] = r["lang"], r["lang_conf"]
        out.append(ex)
    return out


def _what(name: str, lang: str) -> str:
    if name not in BY_NAME:
        return "kullanıcı beklentisi" if lang == "tr" else "user expectation"
    return WHAT_TR.get(name, BY_NAME[name].what) if lang == "tr" else BY_NAME[name].what


def _status(gated: bool, ran: bool, passed: bool) -> str:
    if not ran:
        return "not_run"
    if not gated:
        return "info"
    return "pass" if passed else "fail"


def _entry(tally: Tally, rows_df: pl.DataFrame, name: str, outs: list[ExpectationOutcome], problems: dict,
           ctx: dict) -> dict:
    t = tally.checks[name]
    looked = tally.looked_at(name, outs)
    status = _status(bool(outs), looked > 0, all(o.success for o in outs))
    entry = {"name": name, "status": status, "passed": None if status == "not_run" else all(o.success for o in outs),
             "flagged": t.flagged, "looked_at": looked, "gated": bool(outs),
             "what": _what(name, ctx["report_lang"]), "examples": _examples(rows_df, t.first, name, problems),
             "rule": rule_in_words(outs, ctx["report_lang"]),
             "expectations": [{"type": o.type, "kwargs": o.kwargs, "success": o.success,
                               "unexpected_count": o.unexpected_count, "element_count": o.element_count,
                               "observed": o.observed, "error": o.error} for o in outs]}
    if status == "not_run":
        entry["reason"] = ctx["not_run_reason"]
    entry["advice"] = advise(entry, t.where, ctx)
    return entry


def _skipped_entry(check: str, exps: list[dict], ctx: dict) -> dict:
    """A check whose every expectation needs a feature this run lacks (truncation without a token limit)."""
    reason = ctx["truncation_reason"]
    entry = {"name": check, "status": "not_run", "passed": None, "flagged": 0, "looked_at": 0, "gated": True,
             "what": _what(check, ctx["report_lang"]), "examples": [],
             "rule": None, "reason": reason,
             "expectations": [{"type": e["type"], "kwargs": e.get("kwargs", {}), "success": None} for e in exps]}
    entry["advice"] = advise(entry, {}, ctx)
    return entry


def build_checks(tally: Tally, rows_df: pl.DataFrame, outcomes: list[ExpectationOutcome], problems: dict,
                 skipped: list[dict], ctx: dict) -> list[dict]:
    by_check: dict[str, list[ExpectationOutcome]] = {}
    for o in outcomes:
        by_check.setdefault(o.check, []).append(o)
    names = tally.names
    out = [_entry(tally, rows_df, name, by_check.get(name, []), problems, ctx) for name in names]
    missing: dict[str, list[dict]] = {}
    for e in skipped:
        name = (e.get("meta") or {}).get("check") or f"{e['type']}:{e.get('kwargs', {}).get('column', '')}"
        if name not in names:
            missing.setdefault(name, []).append(e)
    return out + [_skipped_entry(n, exps, ctx) for n, exps in missing.items()]


def _truncation_reason(options: dict, lang: str) -> str:
    if options.get("tokenizer"):
        return ("tokenizer'ın model_max_length değeri kullanılamıyor: --max-seq-len N verin" if lang == "tr" else
                "the tokenizer sets no usable model_max_length: pass --max-seq-len N")
    return ("token sayımı için --tokenizer DIZIN gerekir (ve --max-seq-len N)" if lang == "tr" else
            "needs --tokenizer DIR to count tokens (and --max-seq-len N)")


def build_report(loaded: Loaded, tally: Tally, rows_df: pl.DataFrame, outcomes: list[ExpectationOutcome],
                 skipped: list[dict], *, suite: dict, options: dict, report_lang: str = "en") -> dict[str, Any]:
    """report.json's content from the frame's tally, the rows it quotes (`rows_df`: quality.tally example rows and
    the records their duplicates copy, with their texts) and the suite's outcomes."""
    problems = {(r.path, r.line): [f"{p.field}: {p.message}" for p in r.problems] for r in loaded.rejected}
    ctx = {"report_lang": report_lang, "lang": options.get("lang", "tr"), "paths": [f.path for f in loaded.files],
           "max_seq_len": options.get("max_seq_len"), "truncation_reason": _truncation_reason(options, report_lang),
           "not_run_reason": "geçerli kayıt yok" if report_lang == "tr" else "no valid record to look at"}
    checks = build_checks(tally, rows_df, outcomes, problems, skipped, ctx)
    invalid = sum(1 for r in loaded.rejected if not r.blank_only)
    failed = [c["name"] for c in checks if c["status"] == "fail"]
    if not loaded.valid:
        failed.append(NO_VALID)  # nothing was checked: never a pass
    summary = build_summary(tally, checks, failed, ctx)
    return {
        "records": loaded.total, "valid": loaded.valid, "invalid": invalid,
        "blank_turn_records": len(loaded.rejected) - invalid,
        "passed": not failed, "failed_checks": failed, "report_lang": report_lang,
        "suite": suite, **options,
        "summary": summary,
        "checks": checks,
        "skipped_expectations": [{"type": e["type"], "kwargs": e.get("kwargs", {}),
                                  "check": (e.get("meta") or {}).get("check"),
                                  "reason": ctx["truncation_reason"]} for e in skipped],
        "files": [{"path": f.path, "format": f.format, "records": f.records, "valid": f.valid,
                   "invalid": f.invalid} for f in loaded.files],
        "stats": stats(tally),
    }
