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
    texts = [unicodedata.normalize("NFC", m.text()) for r in records for m in r.messages if m.text()]
    encoded = tok(texts, add_special_tokens=False)["input_ids"] if texts else []
    tokens = sum(len(ids) for ids in encoded)
    words = sum(len(WORD.findall(t)) for t in texts)
    chars = sum(len(t) for t in texts)
    partial = _partial_ids(tok, {i for ids in encoded for i in ids})
    byte_tokens = sum(1 for ids in encoded for i in ids if i in partial)
    broken = [t for t, ids in zip(texts, encoded, strict=True) if tok.decode(ids) != t]
    probe_back = tok.decode(tok(PROBE, add_special_tokens=False)["input_ids"])
    out = {"tokenizer": name, "texts": len(texts), "words": words, "tokens": tokens,
           "tokens_per_word": round(tokens / max(words, 1), 3), "chars_per_token": round(chars / max(tokens, 1), 3),
           "byte_or_unknown_share": round(byte_tokens / max(tokens, 1), 4),
           "roundtrip_ok": len(texts) - len(broken), "roundtrip_failed": len(broken),
           "roundtrip_examples": [t[:80] for t in broken[:3]],
           "turkish_letters_roundtrip": probe_back == PROBE,
           "max_length": max_length, "truncated": None, "truncated_share": None}
    if token_counts is not None and max_length:
        over = sum(1 for n in token_counts if n > max_length)
        out.update(truncated=over, truncated_share=round(over / max(len(token_counts), 1), 4))
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
