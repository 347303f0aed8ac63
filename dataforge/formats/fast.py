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
from typing import Literal

import msgspec

from dataforge.formats.rules import role_problems

SHAREGPT_ROLES = {"system": "system", "human": "user", "gpt": "assistant"}

# The start of a JSON string (after its quote) that is surely not blank: ASCII blanks, literal or escaped, then
# a character that is surely not one: neither a blank or control character, nor the first byte of a Unicode space
# (U+0085/U+00A0 start with C2, U+1680 with E1, U+2000-U+205F with E2, U+3000 with E3), nor an escape that may be
# one. Escapes that are surely not blank: \" \\ \/ and \uXXXX outside the ranges holding Unicode spaces
# (U+0000-U+0020, U+0080-U+00A0, U+16xx, U+20xx, U+30xx) and surrogates (U+D800-U+DFFF). Turkish letters pass
# straight through, raw (C3-C5 lead bytes) or escaped (\u00e7, \u011f, \u0130, ...).
_HEX = rb"[0-9a-fA-F]"
_SURE_ESCAPE = (rb'\\(?:["\\/]|u(?:00(?:2[1-9a-fA-F]|[3-7]' + _HEX + rb"|[aA][1-9a-fA-F]|[b-fB-F]" + _HEX + rb")"
                rb"|0[1-9a-fA-F]" + _HEX * 2 + rb"|1[0-57-9a-fA-F]" + _HEX * 2 + rb"|[23][1-9a-fA-F]" + _HEX * 2
                + rb"|[4-9a-cA-C]" + _HEX * 3 + rb"|[dD][0-7]" + _HEX * 2 + rb"|[eEfF]" + _HEX * 3 + rb"))")
_SURE_START = rb'(?:[ \t\r\n]|\\[nrt])*+(?:[^\x00-\x20\\"\x80-\xc2\xe1-\xe3]|' + _SURE_ESCAPE + rb")"
_SURE_TEXT = re.compile(rb'"' + _SURE_START)


def _text_ok(raw: msgspec.Raw) -> bool:
    data = bytes(raw)
    if _SURE_TEXT.match(data):
        return True
    if not data.startswith(b'"'):
        return False  # content parts or a wrong type: the slow path decides
    return bool(msgspec.json.decode(data).strip())


# Roles as Literals: msgspec checks them in C and hands back interned strings, which hash fast.
# gc=False: these structs hold no cycles, so the collector need not track the 200k a block makes.
class _Message(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    role: Literal["system", "user", "assistant"]
    content: msgspec.Raw


class _Chat(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    messages: list[_Message]


class _Turn(msgspec.Struct, forbid_unknown_fields=True, gc=False, rename={"from_": "from"}):
    from_: Literal["system", "human", "gpt"]
    value: msgspec.Raw


class _ShareGPT(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    conversations: list[_Turn]


class _Alpaca(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    instruction: msgspec.Raw
    output: msgspec.Raw
    input: msgspec.Raw = msgspec.Raw()  # empty Raw: the field is absent (Raw | None is not a valid type)
    system: msgspec.Raw = msgspec.Raw()
    history: list[tuple[msgspec.Raw, msgspec.Raw]] = []


class _PromptCompletion(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    prompt: msgspec.Raw
    completion: msgspec.Raw


@lru_cache(maxsize=4096)
def _roles_ok(roles: tuple[str, ...]) -> bool:
    return bool(roles) and not role_problems(roles)


@lru_cache(maxsize=4096)
def _sharegpt_roles_ok(names: tuple[str, ...]) -> bool:
    return _roles_ok(tuple(SHAREGPT_ROLES[n] for n in names))


def _unsure_key(key: bytes) -> re.Pattern[bytes]:
    """Finds a `key` whose value is not surely a non-blank string (the same test as _SURE_TEXT)."""
    return re.compile(rb'"' + key + rb'"\s*+:\s*+(?!"' + _SURE_START + rb")")


# Per format: sure(line) -> whether the line is surely a structurally valid record, and texts(line) -> its texts.
# Chat and ShareGPT texts are judged per block (see verdicts); alpaca and prompt-completion judge theirs in sure().
_decode_chat = msgspec.json.Decoder(_Chat).decode
_decode_sharegpt = msgspec.json.Decoder(_ShareGPT).decode
_decode_alpaca = msgspec.json.Decoder(_Alpaca).decode
_decode_pc = msgspec.json.Decoder(_PromptCompletion).decode


def _chat_shapes(records: list[_Chat]) -> list[tuple[str, ...]]:
    return [tuple([m.role for m in r.messages]) for r in records]


def _sharegpt_shapes(records: list[_ShareGPT]) -> list[tuple[str, ...]]:
    return [tuple([t.from_ for t in r.conversations]) for r in records]


# format -> (decoder, role sequences of decoded records, whether a role sequence is right)
_SHAPED: dict[str, tuple[Callable, Callable[[list], list[tuple[str, ...]]], Callable[[tuple[str, ...]], bool]]] = {
    "chat": (_decode_chat, _chat_shapes, _roles_ok),
    "sharegpt": (_decode_sharegpt, _sharegpt_shapes, _sharegpt_roles_ok),
}


def _shaped(fmt: str) -> Callable[[bytes], bool]:
    decode, shapes, roles_ok = _SHAPED[fmt]
    return lambda line: roles_ok(shapes([decode(line)])[0])


def _chat_texts(line: bytes) -> list[msgspec.Raw]:
    return [m.content for m in _decode_chat(line).messages]


def _sharegpt_texts(line: bytes) -> list[msgspec.Raw]:
    return [t.value for t in _decode_sharegpt(line).conversations]


def _alpaca_record_texts(r: _Alpaca) -> list[msgspec.Raw]:
    texts = [r.instruction, r.output, *(t for pair in r.history for t in pair)]
    return texts + [r.system] if bytes(r.system) else texts


def _alpaca_texts(line: bytes) -> list[msgspec.Raw]:
    return _alpaca_record_texts(_decode_alpaca(line))


def _alpaca_sure(line: bytes) -> bool:
    r = _decode_alpaca(line)
    # input may be empty or absent: only its type matters
    return bytes(r.input)[:1] in (b"", b'"') and all(_text_ok(t) for t in _alpaca_record_texts(r))


def _pc_texts(line: bytes) -> list[msgspec.Raw]:
    r = _decode_pc(line)
    return [r.prompt, r.completion]


def _pc_sure(line: bytes) -> bool:
    return all(_text_ok(t) for t in _pc_texts(line))


# format -> (sure, texts, key whose values are the texts, or None when sure() already judged them)
CHECKS: dict[str, tuple[Callable[[bytes], bool], Callable[[bytes], list], bytes | None]] = {
    "chat": (_shaped("chat"), _chat_texts, b"content"), "sharegpt": (_shaped("sharegpt"), _sharegpt_texts, b"value"),
    "alpaca": (_alpaca_sure, _alpaca_texts, None), "prompt-completion": (_pc_sure, _pc_texts, None),
}


def verdicts(fmt: str, data: bytes, lines: list[bytes], utf8_checked: bool) -> list[bool]:
    """For each line of `data` (as split on newlines): True when surely a valid `fmt` record, else False
    (blank and doubtful lines alike: the caller sends those to the slow path).

    Chat and ShareGPT texts are judged for the whole block at once: one regex pass finds every literal key whose
    value is not surely a non-blank string, another (only when the block has a backslash-u) every key spelled with
    escapes, and only the lines they hit are looked at text by text. A `"content"` inside a string can only add a
    false alarm (that line is then checked), and duplicate keys are no trap: msgspec, like the exact path, keeps
    the last value, and the pass flags every doubtful one."""
    sure, texts_of, key = CHECKS[fmt]
    ok = _all_shaped(fmt, lines) if utf8_checked else None
    if ok is None:
        ok = [False] * len(lines)
        for i, line in enumerate(lines):
            try:
                if not utf8_checked:
                    line.decode()
                ok[i] = sure(line)
            except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):  # deep nesting: the slow path says so
                continue
    if key is None:
        return ok
    hits = [hit.start() for hit in _UNSURE[key].finditer(data)]
    if _ESCAPE.search(data):  # a key spelled with backslash-u escapes hides from that regex: its line is looked at
        hits += [hit.start() for hit in _ESCAPED_KEY.finditer(data)]
    if hits:
        starts = list(accumulate((len(line) + 1 for line in lines), initial=0))
        for i in {bisect_right(starts, at) - 1 for at in hits}:
            try:
                ok[i] = ok[i] and all(_text_ok(t) for t in texts_of(lines[i]))
            except (msgspec.DecodeError, RecursionError):
                ok[i] = False
    return ok


def _all_shaped(fmt: str, lines: list[bytes]) -> list[bool] | None:
    """The common case in one go: [True] * lines when every line decodes and every role sequence is right;
    otherwise None, and the caller looks line by line. map() runs the decoder without a Python frame per line,
    which is most of the per-line cost."""
    if fmt not in _SHAPED:
        return None
    decode, shapes, roles_ok = _SHAPED[fmt]
    try:
        records = list(map(decode, lines))  # a blank or bad line raises: the line-by-line loop then finds it
    except (msgspec.DecodeError, RecursionError):
        return None
    return [True] * len(lines) if all(map(roles_ok, set(shapes(records)))) else None


_UNSURE = {b"content": _unsure_key(b"content"), b"value": _unsure_key(b"value")}
_ESCAPE = re.compile(rb"\\u")  # a compiled search is ~4x faster than `in` for this two-byte needle
# A key spelled with at least one backslash-u escape: a string of letters and escapes followed by a colon. Field
# names are lowercase letters, so any other key fails msgspec's forbid_unknown_fields before this matters.
_ESCAPED_KEY = re.compile(rb'"[a-z]*+\\u' + _HEX * 4 + rb'(?:[a-z]|\\u' + _HEX * 4 + rb')*+"\s*+:')


def is_utf8(data: bytes, arrow: bool = True) -> bool:
    """UTF-8 validity of a whole block. With `arrow`, without building a str (about 3x faster than decoding, but
    importing pyarrow costs 0.06-0.13 s, so small files just decode). The array is built from buffers (`pa.array`
    would import pandas) and checked by `validate(full=True)`, which needs no pyarrow.compute (30 ms more)."""
    if data.isascii():  # ASCII is UTF-8 (JSON written with escapes, as Python's json.dumps does by default)
        return True
    if not arrow:
        try:
            data.decode()
            return True
        except UnicodeDecodeError:
            return False
    import struct

    import pyarrow as pa

    offsets = pa.py_buffer(struct.pack("<qq", 0, len(data)))
    block = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        block.validate(full=True)
        return True
    except pa.ArrowInvalid:
        return False
