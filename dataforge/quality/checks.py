"""The checks the report shows, by their stable names (DESIGN.md), and the feature that flags a record for each.

A suite's expectations name their check in `meta.check`; the gate's verdict for a check comes from those
expectations (through great-expectations). A check the suite does not gate is still reported, counted with the
expression below, as information (`"gated": false`).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Check:
    name: str
    flag: pl.Expr  # true for a record this check flags
    needs: str  # the feature column it reads (absent: check not applicable, e.g. truncation without tokenizer)
    what: str  # one line for the report


def _chars_out_of(lo: int, hi: int) -> pl.Expr:
    return pl.any_horizontal(*((pl.col(f"chars_{r}") < lo) | (pl.col(f"chars_{r}") > hi) for r in
                               ("user", "assistant")))


CHECKS: list[Check] = [
    Check("invalid_records", pl.col("invalid"), "invalid", "records that break the format's schema or rules"),
    Check("exact_duplicates", pl.col("exact_dup"), "exact_dup",
          "exact copies of an earlier record (after NFC and whitespace normalisation)"),
    Check("near_duplicates", pl.col("near_dup"), "near_dup",
          "records in a MinHash near-duplicate cluster with an earlier record (Jaccard ≥ 0.7 on word 3-grams)"),
    Check("language", ~pl.col("lang_ok"), "lang_ok", "records not in the expected language"),
    Check("pii_tckn", pl.col("pii_tckn") > 0, "pii_tckn", "Turkish national id numbers with a valid checksum"),
    Check("pii_iban", pl.col("pii_iban") > 0, "pii_iban", "TR IBANs with a valid mod-97 check"),
    Check("pii_phone", pl.col("pii_phone") > 0, "pii_phone", "phone numbers (phonenumbers, region TR)"),
    Check("pii_email", pl.col("pii_email") > 0, "pii_email", "e-mail addresses"),
    Check("mojibake", pl.col("mojibake"), "mojibake", "text decoded with the wrong code page (Ä± ÅŸ Ã¼, ý þ ð)"),
    Check("asciified", pl.col("asciified"), "asciified", "Turkish written without ç ğ ı ö ş ü İ"),
    Check("empty_or_whitespace", pl.col("empty_turns") > 0, "empty_turns", "turns that are empty or whitespace"),
    Check("length", _chars_out_of(1, 20_000), "chars_assistant", "user or assistant text outside length bounds"),
    Check("truncation", pl.col("truncated"), "truncated", "records longer than --max-seq-len tokens"),
    Check("repetition", pl.col("repetitive"), "repetitive", "Gopher-style repetition (repeated n-grams or lines)"),
    # tool calling: rejected records, counted by what is wrong with their calls (the fix differs per kind)
    Check("tool_undeclared_functions", pl.col("undeclared_functions") > 0, "undeclared_functions",
          "calls to functions that `tools` does not define"),
    Check("tool_schema_violations", pl.col("schema_violations") > 0, "schema_violations",
          "call arguments that are not JSON or break the function's parameter schema, and bad definitions"),
    Check("tool_unanswered_calls", pl.col("unanswered_calls") > 0, "unanswered_calls",
          "calls without a tool result before the next user turn, and results that answer no call"),
]
BY_NAME = {c.name: c for c in CHECKS}


def flagged_rows(df: pl.DataFrame, check: Check) -> list[int]:
    """Row numbers the check's own expression flags (nulls, i.e. rejected records, are not flagged)."""
    return df.filter(check.flag.fill_null(False))["row"].to_list()
