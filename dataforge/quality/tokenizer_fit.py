"""How well a tokenizer fits Turkish text: `dataforge check --tokenizer A --tokenizer B` puts them side by side.

Per tokenizer, over every message text of the valid records:
- tokens per word and characters per token (a vocabulary that knows Turkish needs fewer tokens per word, so more
  of each record fits in max_length and training is cheaper);
- byte share: tokens that are byte-fallback pieces (<0xC4>), the unknown token, or a piece that is only part of a
  character (a byte-level BPE splitting "ğ" into two bytes);
- round trip: decode(encode(x)) gives back the NFC text, for the data and for the Turkish letters (İ ı Ğ ğ Ş ş Ç
  ç Ö ö Ü ü), which some normalisers lowercase or decompose;
- truncated: the share of records longer than max_length after the chat template (the count the gate makes).
"""

from __future__ import annotations

import html
import re
import unicodedata

from dataforge.records import Record

TURKISH_LETTERS = "İ ı Ğ ğ Ş ş Ç ç Ö ö Ü ü Â â Î î Û û"
PROBE = f"{TURKISH_LETTERS} — İstanbul'da ılık bir sabah; IĞDIR, Şişli, Çağlayan, Öğretmenevi, Üsküdar."
WORD = re.compile(r"\w+", re.UNICODE)
BYTE_PIECE = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")


def fit(records: list[Record], tok, name: str, token_counts: list[int] | None,
        max_length: int | None) -> dict:
    """The fit figures of one tokenizer (see the module docstring); `token_counts` per record after the chat
    template, from the gate, or None when not counted."""
    return merge([part(records, tok, token_counts, max_length)], name, max_length)


def part(records: list[Record], tok, token_counts: list[int] | None, max_length: int | None) -> dict:
    """The figures of `fit` over some of the records, as sums and counts: `merge` of the parts of consecutive
    slices of the records (in order) equals `fit` over all of them, exactly (an engine counts block by block).
    Whether an id is a partial piece depends on the id alone, so byte tokens add up across parts too."""
    texts = [unicodedata.normalize("NFC", m.text()) for r in records for m in r.messages if m.text()]
    encoded = tok(texts, add_special_tokens=False)["input_ids"] if texts else []
    partial = _partial_ids(tok, {i for ids in encoded for i in ids})
    broken = [t for t, ids in zip(texts, encoded, strict=True) if tok.decode(ids) != t]
    out = {"texts": len(texts), "words": sum(len(WORD.findall(t)) for t in texts),
           "tokens": sum(len(ids) for ids in encoded), "chars": sum(len(t) for t in texts),
           "byte_tokens": sum(1 for ids in encoded for i in ids if i in partial),
           "roundtrip_failed": len(broken), "roundtrip_examples": [t[:80] for t in broken[:3]],
           "turkish_letters_roundtrip": tok.decode(tok(PROBE, add_special_tokens=False)["input_ids"]) == PROBE,
           "counted": None, "truncated": None}
    if token_counts is not None and max_length:
        out.update(counted=len(token_counts), truncated=sum(1 for n in token_counts if n > max_length))
    return out


def merge(parts: list[dict], name: str, max_length: int | None) -> dict:
    """One tokenizer's fit figures from the parts of its records, in input order (see `part`)."""
    total = {k: sum(p[k] for p in parts) for k in ("texts", "words", "tokens", "chars", "byte_tokens",
                                                     "roundtrip_failed")}
    tokens = total["tokens"]
    out = {"tokenizer": name, "texts": total["texts"], "words": total["words"], "tokens": tokens,
           "tokens_per_word": round(tokens / max(total["words"], 1), 3),
           "chars_per_token": round(total["chars"] / max(tokens, 1), 3),
           "byte_or_unknown_share": round(total["byte_tokens"] / max(tokens, 1), 4),
           "roundtrip_ok": total["texts"] - total["roundtrip_failed"], "roundtrip_failed": total["roundtrip_failed"],
           "roundtrip_examples": [t for p in parts for t in p["roundtrip_examples"]][:3],
           # the probe is the same text for every part: any part's answer is the tokenizer's
           "turkish_letters_roundtrip": all(p["turkish_letters_roundtrip"] for p in parts),
           "max_length": max_length, "truncated": None, "truncated_share": None}
    if parts and all(p["counted"] is not None for p in parts):
        over, counted = sum(p["truncated"] for p in parts), sum(p["counted"] for p in parts)
        out.update(truncated=over, truncated_share=round(over / max(counted, 1), 4))
    return out


def _partial_ids(tok, ids: set[int]) -> set[int]:
    """Ids among `ids` that are a byte-fallback piece, the unknown token, or decode to part of a character."""
    unk = getattr(tok, "unk_token_id", None)
    pieces = dict(zip(ids, tok.convert_ids_to_tokens(list(ids)), strict=True))
    return {i for i in ids if i == unk or BYTE_PIECE.match(pieces[i] or "") or "\ufffd" in tok.decode([i])}


def table_html(fits: list[dict]) -> str:
    """The side-by-side table for report.html."""
    if not fits:
        return ""
    rows = [("tokens per word", "tokens_per_word"), ("characters per token", "chars_per_token"),
            ("byte-fallback / unknown share", "byte_or_unknown_share"), ("round trip failed (texts)",
                                                                        "roundtrip_failed"),
            ("Turkish letters round trip", "turkish_letters_roundtrip"), ("truncated share", "truncated_share")]
    head = "".join(f"<th>{html.escape(f['tokenizer'])}</th>" for f in fits)
    body = "".join(f"<tr><td>{label}</td>" + "".join(f"<td>{_cell(f, key)}</td>" for f in fits) + "</tr>"
                   for label, key in rows)
    return (f"<h2>Tokenizer fit</h2><table><thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>")


def _cell(f: dict, key: str) -> str:
    value = f.get(key)
    if key == "truncated_share" and value is None:
        return "not run (no max length)"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    return html.escape(str(value))
