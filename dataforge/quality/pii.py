"""Personal data in Turkish text: TCKN (national id), TR IBAN, phone numbers, e-mail addresses.

Candidates come from regular expressions; each is then validated the way the reference libraries do (TCKN
checksum as in python-stdnum's `tr.tckimlik`, IBAN mod-97, phone numbers through `phonenumbers` with region TR),
so an 11-digit order number with a wrong checksum is not a TCKN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("tckn", "iban", "phone", "email")
PLACEHOLDERS = {"tckn": "[TCKN]", "iban": "[IBAN]", "phone": "[TELEFON]", "email": "[EPOSTA]"}

_TCKN = re.compile(r"(?<!\d)[1-9]\d{10}(?!\d)")
# TR IBAN: "TR", 2 check digits, 22 digits; printed plain or in groups of four.
_IBAN = re.compile(r"(?<![A-Za-z0-9])TR\d{2}(?: ?\d{4}){5} ?\d{2}(?!\d)", re.IGNORECASE)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
# Cheap pre-filter before asking phonenumbers: at least 10 digits with usual separators in between.
_PHONE_HINT = re.compile(r"\+?\d[\d \-().]{8,}\d")


@dataclass(frozen=True)
class PiiHit:
    kind: str  # one of KINDS
    start: int
    end: int
    text: str


def is_tckn(digits: str) -> bool:
    """The official TCKN checksum: 11 digits, first not 0; digit 10 = (7 * odd-position sum - even-position
    sum) mod 10 over the first nine; digit 11 = sum of the first ten mod 10."""
    if len(digits) != 11 or not digits.isdigit() or digits[0] == "0":
        return False
    d = [int(c) for c in digits]
    if (7 * sum(d[0:9:2]) - sum(d[1:8:2])) % 10 != d[9]:
        return False
    return sum(d[:10]) % 10 == d[10]


def is_tr_iban(text: str) -> bool:
    """TR IBAN: 26 characters after removing spaces, ISO 13616 mod-97 check equals 1."""
    s = text.replace(" ", "").upper()
    if len(s) != 26 or not s.startswith("TR") or not s[2:].isdigit():
        return False
    moved = s[4:] + s[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def _phones(text: str) -> list[PiiHit]:
    if not _PHONE_HINT.search(text):
        return []
    import phonenumbers

    hits = []
    for m in phonenumbers.PhoneNumberMatcher(text, "TR", leniency=phonenumbers.Leniency.VALID):
        hits.append(PiiHit("phone", m.start, m.end, m.raw_string))
    return hits


def find_pii(text: str) -> list[PiiHit]:
    """Every validated PII hit in `text`, sorted by position; overlapping hits keep the more specific kind
    (IBAN and TCKN before phone), so one number is never counted twice."""
    hits: list[PiiHit] = []
    for m in _IBAN.finditer(text):
        if is_tr_iban(m.group()):
            hits.append(PiiHit("iban", m.start(), m.end(), m.group()))
    for m in _TCKN.finditer(text):
        if is_tckn(m.group()):
            hits.append(PiiHit("tckn", m.start(), m.end(), m.group()))
    for m in _EMAIL.finditer(text):
        if not m.group().lower().endswith(".invalid"):  # RFC 2606's reserved TLD: never a real address (MASKED_EMAIL)
            hits.append(PiiHit("email", m.start(), m.end(), m.group()))
    hits.extend(_phones(text))
    kept: list[PiiHit] = []
    for h in hits:  # earlier kinds win on overlap
        if not any(h.start < k.end and k.start < h.end for k in kept):
            kept.append(h)
    return sorted(kept, key=lambda h: h.start)


def redact(text: str) -> str:
    """`text` with each PII hit replaced by its placeholder: [TCKN], [IBAN], [TELEFON], [EPOSTA]."""
    hits = find_pii(text)
    for h in reversed(hits):
        text = text[: h.start] + PLACEHOLDERS[h.kind] + text[h.end :]
    return text


MASKED_EMAIL = "gizli@adres.invalid"


def _shape(h: PiiHit) -> str:
    """A stand-in with the hit's shape that is no longer personal data: digits become 0 (a TCKN starting with 0 and an
    all-zero IBAN fail their checksums, a zeroed phone number is no number), separators and the TR prefix stay."""
    if h.kind == "email":
        return MASKED_EMAIL
    return h.text[:2] + re.sub(r"\d", "0", h.text[2:]) if h.kind == "iban" else re.sub(r"\d", "0", h.text)


def mask(text: str) -> str:
    """`text` with each PII hit replaced by a stand-in of the same shape (`_shape`): for tool arguments whose schema
    has a `pattern` or `format` that a placeholder like [IBAN] would break."""
    hits = find_pii(text)
    for h in reversed(hits):
        text = text[: h.start] + _shape(h) + text[h.end :]
    return text


def redact_value(value, replace=redact):
    """A JSON value with PII replaced (`replace`: redact, or mask) in every string, and in every number whose
    digits are PII (redact: it becomes the placeholder string; mask: the number 0): the structure stays, so tool
    arguments and results stay valid JSON."""
    if isinstance(value, str):
        return replace(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        text = str(value)
        new = replace(text)
        return value if new == text else (type(value)(0) if replace is mask else new)
    if isinstance(value, list):
        return [redact_value(v, replace) for v in value]
    if isinstance(value, dict):
        return {k: redact_value(v, replace) for k, v in value.items()}
    return value


def redact_json_text(text: str, replace=redact) -> str:
    """Redact a text that may hold JSON (a tool result, OpenAI's string arguments): JSON is redacted value by value
    and written back (only when something changed, so clean text keeps its spelling); other text as text."""
    import json

    try:
        value = json.loads(text)
    except ValueError:
        return replace(text)
    if not isinstance(value, (dict, list)):
        return replace(text)
    new = redact_value(value, replace)
    return text if new == value else json.dumps(new, ensure_ascii=False)


EXCERPT_CHARS = 160


def redact_excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str:
    """The one owner of excerpts shown in reports and summaries (quality report, and any stage that quotes a
    record): PII replaced by placeholders, whitespace flattened to one line, cut to `limit` characters.

    Redaction runs on the whole text before the cut, so a number split by the cut cannot slip through half
    recognised. Every excerpt goes through here, whatever check flagged the record: a record flagged for
    mojibake can hold an IBAN too."""
    if not text:
        return ""
    flat = " ".join(redact(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
