"""Fast acceptance of valid JSONL lines with msgspec, without building Python strings for the text.

The fast path can only say "valid": anything it is not sure of goes to the slow path (pydantic + rules),
which gives the exact error. tests/formats/test_fast.py keeps the two in agreement.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from functools import lru_cache
from itertools import accumulate

import msgspec

from dataforge.formats.rules import role_problems

ROLES = frozenset({"system", "user", "assistant"})
SHAREGPT_ROLES = {"system": "system", "human": "user", "gpt": "assistant"}

# A JSON string that is surely not blank: after the quote and ASCII blanks, a character that is neither a
# blank, an escape, nor the first byte of a Unicode space (U+0085/U+00A0 start with C2, U+1680 with E1,
# U+2000-U+205F with E2, U+3000 with E3). Turkish letters (C3-C5 lead bytes) pass straight through.
_SURE_TEXT = re.compile(rb'"[ \t\r\n]*[^ \t\r\n\\"\x80-\xc2\xe1-\xe3]')


def _text_ok(raw: msgspec.Raw) -> bool:
    data = bytes(raw)
    if _SURE_TEXT.match(data):
        return True
    if not data.startswith(b'"'):
        return False  # content parts or a wrong type: the slow path decides
    return bool(msgspec.json.decode(data).strip())


class _Message(msgspec.Struct, forbid_unknown_fields=True):
    role: str
    content: msgspec.Raw


class _Chat(msgspec.Struct, forbid_unknown_fields=True):
    messages: list[_Message]


class _Turn(msgspec.Struct, forbid_unknown_fields=True, rename={"from_": "from"}):
    from_: str
    value: msgspec.Raw


class _ShareGPT(msgspec.Struct, forbid_unknown_fields=True):
    conversations: list[_Turn]


class _Alpaca(msgspec.Struct, forbid_unknown_fields=True):
    instruction: msgspec.Raw
    output: msgspec.Raw
    input: msgspec.Raw | None = None
    system: msgspec.Raw | None = None


class _PromptCompletion(msgspec.Struct, forbid_unknown_fields=True):
    prompt: msgspec.Raw
    completion: msgspec.Raw


@lru_cache(maxsize=4096)
def _roles_ok(roles: tuple[str, ...]) -> bool:
    return bool(roles) and ROLES.issuperset(roles) and not role_problems(roles)


def _unsure_key(key: bytes) -> re.Pattern[bytes]:
    """Finds a `key` whose value is not surely a non-blank string (the same test as _SURE_TEXT)."""
    return re.compile(rb'"' + key + rb'"\s*+:\s*+(?!"[ \t\r\n]*[^ \t\r\n\\"\x80-\xc2\xe1-\xe3])')


def _chat(line: bytes, decode=msgspec.json.Decoder(_Chat).decode) -> list[msgspec.Raw] | None:
    msgs = decode(line).messages
    return [m.content for m in msgs] if _roles_ok(tuple([m.role for m in msgs])) else None


def _sharegpt(line: bytes, decode=msgspec.json.Decoder(_ShareGPT).decode) -> list[msgspec.Raw] | None:
    turns = decode(line).conversations
    roles = tuple([SHAREGPT_ROLES.get(t.from_, "?") for t in turns])
    return [t.value for t in turns] if _roles_ok(roles) else None


def _alpaca(line: bytes, decode=msgspec.json.Decoder(_Alpaca).decode) -> list[msgspec.Raw] | None:
    r = decode(line)
    if r.input is not None and bytes(r.input)[:1] != b'"':  # input may be empty: only its type matters
        return None
    return [r.instruction, r.output] + ([r.system] if r.system is not None else [])


def _prompt_completion(line: bytes, decode=msgspec.json.Decoder(_PromptCompletion).decode) -> list | None:
    r = decode(line)
    return [r.prompt, r.completion]


# format -> (structure check returning the texts to test, key whose values are those texts or None)
CHECKS: dict[str, tuple[Callable[[bytes], list | None], bytes | None]] = {
    "chat": (_chat, b"content"), "sharegpt": (_sharegpt, b"value"),
    "alpaca": (_alpaca, None), "prompt-completion": (_prompt_completion, None),
}


def verdicts(fmt: str, data: bytes, lines: list[bytes], utf8_checked: bool) -> list[bool]:
    """For each line of `data` (as split on newlines): True when surely a valid `fmt` record, else False
    (blank and doubtful lines alike: the caller sends those to the slow path).

    Blank texts are found for the whole block at once: when no key is escaped (no backslash-u in the block) and
    each line has exactly one plain key per text, one regex pass over the block finds every doubtful text."""
    check, key = CHECKS[fmt]
    ok = [False] * len(lines)
    pending: list[tuple[int, list]] = []
    for i, line in enumerate(lines):
        if line[:1] != b"{" and not line.lstrip().startswith(b"{"):
            continue
        try:
            if not utf8_checked:
                line.decode()
            texts = check(line)
        except (msgspec.DecodeError, UnicodeDecodeError):
            continue
        if texts is not None:
            pending.append((i, texts))
    plain = key is not None and b"\\u" not in data
    quoted = b'"' + key + b'"' if key else b""
    for i, texts in pending:
        if plain and lines[i].count(quoted) == len(texts):
            ok[i] = True
        else:
            ok[i] = all(_text_ok(t) for t in texts)
    if plain:
        starts = list(accumulate((len(line) + 1 for line in lines), initial=0))
        texts_of = dict(pending)
        for hit in _UNSURE[key].finditer(data):
            i = bisect_right(starts, hit.start()) - 1
            if ok[i]:
                ok[i] = all(_text_ok(t) for t in texts_of[i])
    return ok


_UNSURE = {b"content": _unsure_key(b"content"), b"value": _unsure_key(b"value")}


def is_utf8(data: bytes) -> bool:
    """UTF-8 validity of a whole block without building a str (arrow validates several times faster)."""
    import pyarrow as pa

    try:
        pa.array([data], pa.binary()).cast(pa.string())
        return True
    except pa.ArrowInvalid:
        return False
