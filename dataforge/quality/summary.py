"""The top of the report: records read and valid, flagged per check, how many records `dataforge clean` would
keep (and the one command that does it), the token lengths, and the gate's verdict with the checks that decide
it. Also the statistics behind the plots, counted the way the checks count (exact copies are not near
duplicates). All of it from a quality.tally.Tally: counters, not the frame."""

from __future__ import annotations

from typing import Any

from dataforge.quality.advice import CLEAN_FLAGS, clean_command
from dataforge.quality.tally import Tally


def _clean_outcome(tally: Tally, checks: list[dict], ctx: dict) -> dict[str, Any]:
    kept = tally.kept
    flags = list(dict.fromkeys(CLEAN_FLAGS[c["name"]].format(lang=ctx["lang"]) for c in checks
                               if c["flagged"] and CLEAN_FLAGS.get(c["name"])))
    paths = ctx["paths"]
    to_edit = {c["name"]: tally.checks[c["name"]].kept_by_clean for c in checks
               if c["name"] not in CLEAN_FLAGS and c["name"] != "invalid_records" and c["name"] in tally.checks}
    return {"records": kept, "share": round(kept / tally.records, 4) if tally.records else 0.0,
            "dropped": {k: v for k, v in tally.dropped.items() if v},
            # a command only when clean would change something: no "fix" for clean data
            "commands": [clean_command(p, flags) for p in paths] if flags or kept < tally.records else [],
            "still_flagged": {k: v for k, v in to_edit.items() if v}}


def build_summary(tally: Tally, checks: list[dict], failed: list[str], ctx: dict) -> dict[str, Any]:
    out: dict[str, Any] = {
        "records": tally.records, "valid": tally.valid,
        "flagged": {c["name"]: c["flagged"] for c in checks if c["status"] != "not_run"},
        "not_run": [c["name"] for c in checks if c["status"] == "not_run"],
        "after_clean": _clean_outcome(tally, checks, ctx),
        "gate": {"passed": not failed, "failed_checks": failed,
                 "deciding": [c["name"] for c in checks if c["gated"] and c["status"] in ("pass", "fail")]},
    }
    if "tokens" in tally.columns:
        out["tokens"] = tally.describe("tokens")
        out["tokens"]["max_seq_len"] = ctx.get("max_seq_len")
        if ctx.get("max_seq_len") and "truncated" in tally.columns:
            out["tokens"]["over_max_seq_len"] = tally.truncated
    return out


def stats(tally: Tally) -> dict[str, Any]:
    langs = sorted(tally.values.get("lang", {}).items(), key=lambda kv: (-kv[1], str(kv[0])))
    out: dict[str, Any] = {
        "languages": dict(langs),
        "near_duplicate_clusters": len(tally.near),
        "cluster_sizes": tally.sizes(tally.near),
        "exact_duplicate_groups": len(tally.exact),
        "exact_group_sizes": tally.sizes(tally.exact),
        "length_chars": {r: tally.describe(f"chars_{r}") for r in ("system", "user", "assistant")},
    }
    if "tokens" in tally.columns:
        out["tokens"] = tally.describe("tokens")
    calls = tally.values.get("tool_calls")
    if calls and sum(v * c for v, c in calls.items()):
        with_calls = sum(c for v, c in calls.items() if v > 0)
        out["tool_calls"] = {"records_with_calls": with_calls,
                             "share": round(with_calls / max(tally.valid, 1), 4),
                             "calls_per_record": tally.describe("tool_calls", positive=True)}
    return out
