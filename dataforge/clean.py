"""`dataforge clean`: repair and filter records. Nothing is lost: every input record is either written to the
output or dropped by a named filter, and each drop goes to --drops with its reason; the summary checks that
the counts add up.

Order: rejected by validation → (fix mojibake) → normalise (NFC, whitespace) → (redact PII) → empty turn →
(language) → (exact and near duplicates, first kept). Repairs run before filters so that duplicates are judged
on the repaired text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from dataforge.errors import Problem
from dataforge.formats.registry import to_dict
from dataforge.io import AtomicWriter
from dataforge.records import Record, TextPart, has_tools
from dataforge.text.mojibake import fix_mojibake
from dataforge.text.normalize import normalize


@dataclass
class CleanSummary:
    """The one place that counts. `records` = `kept` + sum(`dropped`)."""

    records: int = 0
    kept: int = 0
    dropped: Counter = field(default_factory=Counter)
    changed: Counter = field(default_factory=Counter)

    @property
    def adds_up(self) -> bool:
        return self.records == self.kept + sum(self.dropped.values())

    def as_json(self) -> dict[str, Any]:
        return {"records": self.records, "kept": self.kept, "dropped": dict(sorted(self.dropped.items())),
                "changed": dict(sorted(self.changed.items())), "adds_up": self.adds_up}


def map_text(rec: Record, fn: Callable[[str], str], tool_data: Callable[[Any], Any] | None = None) -> Record:
    """A copy of `rec` with `fn` applied to every message text (text parts keep their structure). Tool results and
    call arguments are data, not prose: they change only through `tool_data` (a text -> text function that also
    takes argument objects), and stay untouched without it."""
    msgs = []
    for m in rec.messages:
        update: dict[str, Any] = {}
        text_fn = tool_data if m.role == "tool" else fn
        if isinstance(m.content, str) and text_fn is not None:
            update["content"] = text_fn(m.content)
        elif isinstance(m.content, list) and text_fn is not None:
            update["content"] = [TextPart(type="text", text=text_fn(p.text)) for p in m.content]
        if m.tool_calls and tool_data is not None:
            update["tool_calls"] = [c.model_copy(update={"function": c.function.model_copy(update={
                "arguments": tool_data(c.function.arguments)})}) for c in m.tool_calls]
        msgs.append(m.model_copy(update=update) if update else m)
    return rec.model_copy(update={"messages": msgs})


def _redact_tool_data(value: Any, shapes: bool = False) -> Any:
    from dataforge.quality.pii import mask, redact, redact_json_text, redact_value

    replace = mask if shapes else redact
    return redact_json_text(value, replace) if isinstance(value, str) else redact_value(value, replace)


def _repair(rec: Record, summary: CleanSummary, *, fix: bool, redact_pii: bool, shapes: bool = False) -> Record:
    """Text repairs, counted per kind when they changed something. Whitespace normalisation leaves tool results
    and arguments alone (they are data); mojibake repair reaches results, PII redaction results and arguments
    (`shapes`: with same-shaped stand-ins instead of placeholders, see clean_record)."""
    steps: list[tuple[str, Callable[[str], str], Callable[[Any], Any] | None]] = []
    if fix:
        steps.append(("mojibake_fixed", fix_mojibake, lambda v: fix_mojibake(v) if isinstance(v, str) else v))
    steps.append(("normalized", normalize, None))
    if redact_pii:
        from dataforge.quality.pii import redact

        steps.append(("pii_redacted", redact, lambda v: _redact_tool_data(v, shapes)))
    for name, fn, tool_fn in steps:
        new = map_text(rec, fn, tool_fn)
        if new.messages != rec.messages:
            summary.changed[name] += 1
        rec = new
    return rec


def _broken_calls(rec: Record) -> list[str]:
    """Tool-call problems a repair made (a placeholder no longer fits a `pattern` in the parameter schema): such a
    record is dropped with the reason rather than written out invalid."""
    if not has_tools(rec):
        return []
    from dataforge.formats.tool_calls import tool_problems

    return [f"messages[{i}].{f}: {m}" if i is not None else f"{f}: {m}" for i, f, _, m in tool_problems(rec)]


def clean_record(rec: Record, summary: CleanSummary, *, fix: bool, redact_pii: bool) -> tuple[Record, str | None, Any]:
    """One record through the repairs: (the record, the drop reason or None, its detail). Both engines call this.

    A placeholder such as [IBAN] in a tool argument can break the function's schema (a `pattern` on the IBAN field
    is usual in Turkish banking tools); the record is then redacted again with same-shaped stand-ins in its tool
    data (TR0000…, 00000000000, gizli@adres.invalid) and kept if that fits, counted as `pii_masked_in_tool_data`;
    only a record that fits neither way is dropped, never written out invalid."""
    new = _repair(rec, summary, fix=fix, redact_pii=redact_pii)
    why = _empty_turn(new)
    if why:
        return new, "empty_turn", why
    broken = _broken_calls(new)
    if broken and redact_pii:
        masked = _repair(rec, CleanSummary(), fix=fix, redact_pii=True, shapes=True)
        if not _empty_turn(masked) and not _broken_calls(masked):
            summary.changed["pii_masked_in_tool_data"] += 1
            return masked, None, None
    if broken:
        return new, "tool_call_broken_by_repair", broken
    return new, None, None


def _empty_turn(rec: Record) -> str | None:
    for i, m in enumerate(rec.messages):
        if m.role == "assistant" and m.tool_calls:
            continue  # a turn that calls tools may have no text
        if not m.text().strip():
            return f"messages[{i}] ({m.role}) is empty after cleaning"
    return None


def _calls_key(m) -> str:
    return orjson.dumps([c.model_dump() for c in m.tool_calls], option=orjson.OPT_SORT_KEYS).decode() \
        if m.tool_calls else ""


def _text(rec: Record) -> str:
    return "\n".join(m.text() for m in rec.messages)


def drop_line(reason: str, where: tuple[str | None, int | None], detail: Any, record: dict | None) -> bytes:
    """One line of --drops: where the record was, why it went, and the record itself when it was read."""
    line = {"file": where[0], "line": where[1], "reason": reason, "detail": detail}
    if record is not None:
        line["record"] = record
    return orjson.dumps(line) + b"\n"


def exact_key(rec: Record) -> str:
    """What makes two records exact duplicates: the conversation with roles and tool calls, after normalisation."""
    return "\x1e".join(f"{m.role}\x1f{m.text()}\x1f{_calls_key(m)}" for m in rec.messages)


def clean(path: str, output: str, *, fmt: str = "auto", dedup: bool = False, redact_pii: bool = False,
          fix_mojibake_: bool = False, lang: str | None = None, drops: str | None = None, allow_extra: bool = False,
          report: Callable[[Problem], None] | None = None) -> CleanSummary:
    from dataforge.quality.load import load

    loaded = load([path], fmt, allow_extra=allow_extra)
    out_fmt = loaded.files[0].format
    summary = CleanSummary(records=loaded.total)
    drop_w = AtomicWriter(drops) if drops else None

    def drop(reason: str, where: tuple[str | None, int | None], detail: Any, rec: Record | None = None) -> None:
        summary.dropped[reason] += 1
        if drop_w:
            drop_w.write(drop_line(reason, where, detail, None if rec is None else to_dict(rec, out_fmt)))

    for rej in loaded.rejected:
        if report:
            for p in rej.problems:
                report(p)
        reason = "empty_turn" if rej.blank_only else "invalid"  # blank turns are one named filter, read or not
        drop(reason, (rej.path, rej.line), [f"{p.field}: {p.message}" for p in rej.problems])
    kept: list[Record] = []
    for rec in loaded.records:
        rec, reason, detail = clean_record(rec, summary, fix=fix_mojibake_, redact_pii=redact_pii)
        if reason:
            drop(reason, (rec.source, rec.line), detail, rec)
        else:
            kept.append(rec)
    if lang:
        kept = _filter_language(kept, lang, drop)
    if dedup:
        kept = _filter_duplicates(kept, drop)
    out_w = AtomicWriter(output)
    ok = False
    try:
        for rec in kept:
            out_w.write(orjson.dumps(to_dict(rec, out_fmt)) + b"\n")
        summary.kept = len(kept)
        ok = True
    finally:
        for w in (out_w, drop_w):
            if w:
                w.commit() if ok else w.abort()
    return summary


def _filter_language(recs: list[Record], lang: str, drop: Callable) -> list[Record]:
    from dataforge.quality.language import detect_languages

    ok = {lang, "asciified"} if lang == "tr" else {lang}  # asciified Turkish is Turkish: `check` flags it
    kept = []
    for rec, (code, conf) in zip(recs, detect_languages([_text(r) for r in recs]), strict=True):
        if code in ok:
            kept.append(rec)
        else:
            drop("language", (rec.source, rec.line), {"lang": code, "confidence": conf}, rec)
    return kept


def _filter_duplicates(recs: list[Record], drop: Callable) -> list[Record]:
    from dataforge.quality.near_duplicates import cluster

    seen: dict[str, tuple] = {}
    kept = []
    for rec in recs:  # exact first: the key is the normalised conversation with roles
        key = exact_key(rec)
        if key in seen:
            drop("exact_duplicate", (rec.source, rec.line), {"duplicate_of": f"{seen[key][0]}:{seen[key][1]}"}, rec)
        else:
            seen[key] = (rec.source, rec.line)
            kept.append(rec)
    if not kept:
        return kept
    cl = cluster([_text(r) for r in kept])
    out = []
    for i, rec in enumerate(kept):
        first = int(cl.cluster[i])
        if first != i:
            orig = kept[first]
            drop("near_duplicate", (rec.source, rec.line), {"duplicate_of": f"{orig.source}:{orig.line}"}, rec)
        else:
            out.append(rec)
    return out
