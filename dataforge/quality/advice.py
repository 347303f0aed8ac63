"""Advice for a check that flagged records: what it found, why it matters for training and the command or the
lines that fix it, in the report's language. Also the suite's rule said in words ("at most 1% of records"),
so the great-expectations call itself can stay folded away in the report."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from dataforge.quality.advice_texts import CUSTOM, FIX, TEXTS
from dataforge.quality.tally import MAX_LINES

# check -> the `dataforge clean` option that repairs or drops what it flags ("" = plain clean drops it)
CLEAN_FLAGS = {"exact_duplicates": "--dedup", "near_duplicates": "--dedup", "pii_tckn": "--redact-pii",
               "pii_iban": "--redact-pii", "pii_phone": "--redact-pii", "pii_email": "--redact-pii",
               "mojibake": "--fix-mojibake", "language": "--lang {lang}", "empty_or_whitespace": ""}


def clean_command(path: str, flags: list[str]) -> str:
    """`dataforge clean PATH -o PATH.clean.jsonl FLAGS`: clean writes JSONL next to the input."""
    p = Path(path)
    stem = p.name[: -len(p.suffix)] if p.suffix in (".jsonl", ".json", ".parquet") else p.name
    out = str(p.with_name(stem + ".clean.jsonl"))
    return " ".join(["dataforge", "clean", shlex.quote(path), "-o", shlex.quote(out), *flags]).strip()


def where_text(where: dict[str, list], lang: str) -> str:
    """"a.jsonl lines 12, 40 and 3 more": flagged records by file, in input order. `where`: file -> [how many
    flagged lines, the first MAX_LINES of them] (quality.tally)."""
    t = FIX[lang]
    parts = []
    for file, (n, lines) in where.items():
        if not n:
            continue
        shown = ", ".join(str(x) for x in lines[:MAX_LINES])
        more = t["more"].format(k=n - MAX_LINES) if n > MAX_LINES else ""
        parts.append(t["lines"].format(file=file, lines=shown + more))
    return "; ".join(parts)


def advise(entry: dict, where: dict[str, list], ctx: dict) -> dict[str, Any] | None:
    """{"found", "why", "fix", "commands"} for a check that flagged records or did not run; None when clean."""
    lang, name = ctx["report_lang"], entry["name"]
    t = FIX[lang]
    if entry["status"] == "not_run":
        return {"found": "", "why": "", "fix": t["not_run"].format(reason=entry["reason"]), "commands": []}
    if not entry["flagged"]:
        return None
    found, why = TEXTS.get(name, CUSTOM)[lang]
    fmt = {"n": entry["flagged"], "lang": ctx["lang"], "max": ctx.get("max_seq_len"), "name": name}
    files = list(where) or ctx["paths"]
    at = where_text(where, lang)
    commands: list[str] = []
    if name == "invalid_records" or name.startswith("tool_"):  # tool-call problems are rejected records
        commands = [f"dataforge validate {shlex.quote(f)} --rejects rejects.jsonl" for f in files]
        fix = t["invalid"].format(cmd=" ; ".join(commands), where=at)
    elif name in CLEAN_FLAGS:
        flag = CLEAN_FLAGS[name].format(lang=ctx["lang"])
        commands = [clean_command(f, [flag] if flag else []) for f in files]
        fix = t["empty" if name == "empty_or_whitespace" else "run"].format(cmd=" ; ".join(commands), where=at)
    else:
        key = name if name in ("asciified", "truncation") else "edit"
        fix = t[key].format(where=at)
    return {"found": _singular(found.format(**fmt), entry["flagged"], lang), "why": why.format(**fmt), "fix": fix,
            "commands": commands}


_ONE = {"records are": "record is", "records have": "record has", "records contain": "record contains",
        "records repeat": "record repeats", "records break": "record breaks", "is exact copies": "is an exact copy",
        "is near copies": "is a near copy"}


def _singular(text: str, n: int, lang: str) -> str:
    """English needs "1 record is"; Turkish takes no plural after a number anyway."""
    if lang != "en" or n != 1:
        return text
    for many, one in _ONE.items():
        text = text.replace(many, one)
    return text


def _pct(share: float, lang: str) -> str:
    s = f"{share * 100:.2f}".rstrip("0").rstrip(".")
    return s.replace(".", ",") if lang == "tr" else s


def _num(x: Any) -> str:
    return "∞" if x is None else (str(int(x)) if float(x).is_integer() else str(x))


def _one_rule(typ: str, kw: dict, lang: str) -> str | None:
    mostly = kw.get("mostly")
    flag_only = (typ == "expect_column_values_to_be_in_set" and len(kw.get("value_set", [])) == 1) or (
        typ == "expect_column_values_to_be_between" and kw.get("min_value") == 0 and kw.get("max_value") == 0)
    if flag_only:
        if mostly is None or mostly >= 1:
            return "hiçbir kayıt işaretlenmemeli" if lang == "tr" else "no record may be flagged"
        p = _pct(1 - mostly, lang)
        return (f"işaretli kayıtların oranı en fazla %{p} olabilir" if lang == "tr" else
                f"at most {p}% of records may be flagged")
    if typ == "expect_column_values_to_be_between":
        lo, hi, col = _num(kw.get("min_value")), _num(kw.get("max_value")), kw.get("column")
        if lang == "tr":
            share = "her kayıtta" if mostly is None else f"kayıtların en az %{_pct(mostly, lang)} oranında"
            return f"{share} {col} {lo} ile {hi} arasında olmalı"
        share = "in every record" if mostly is None else f"in at least {_pct(mostly, lang)}% of records"
        return f"{col} from {lo} to {hi} {share}"
    return None


def rule_in_words(outs: list, lang: str) -> str | None:
    """The gate's threshold for one check in words ("Gate: at most 2% of records may be flagged"); None when
    the suite does not gate it or the rule has no plain reading (the report then shows the expectation)."""
    said = [r for o in outs if (r := _one_rule(o.type, o.kwargs, lang))]
    if not said:
        return None
    return ("Kapı: " if lang == "tr" else "Gate: ") + "; ".join(dict.fromkeys(said))
