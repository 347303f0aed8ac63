"""Fast acceptance of valid JSONL lines with msgspec, without building Python strings for the text.

The fast path can only say "valid": anything it is not sure of goes to the slow path (pydantic + rules),
which gives the exact error. tests/formats/test_fast.py keeps the two in agreement.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable

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


def _chat(line: bytes, decode=msgspec.json.Decoder(_Chat).decode) -> bool:
    msgs = decode(line).messages
    return _roles_ok(tuple([m.role for m in msgs])) and all(_text_ok(m.content) for m in msgs)


def _sharegpt(line: bytes, decode=msgspec.json.Decoder(_ShareGPT).decode) -> bool:
    turns = decode(line).conversations
    roles = tuple([SHAREGPT_ROLES.get(t.from_, "?") for t in turns])
    return _roles_ok(roles) and all(_text_ok(t.value) for t in turns)


def _alpaca(line: bytes, decode=msgspec.json.Decoder(_Alpaca).decode) -> bool:
    r = decode(line)
    # input may be empty, so only its type is checked; everything unsure goes to the slow path
    input_ok = r.input is None or bytes(r.input)[:1] == b'"'
    return _text_ok(r.instruction) and _text_ok(r.output) and input_ok and (r.system is None or _text_ok(r.system))


def _prompt_completion(line: bytes, decode=msgspec.json.Decoder(_PromptCompletion).decode) -> bool:
    r = decode(line)
    return _text_ok(r.prompt) and _text_ok(r.completion)


ACCEPTORS: dict[str, Callable[[bytes], bool]] = {
    "chat": _chat, "sharegpt": _sharegpt, "alpaca": _alpaca, "prompt-completion": _prompt_completion,
}


def accepts(fmt: str) -> Callable[[bytes], bool]:
    """A function line -> True when the line is surely a valid record of `fmt` (False: ask the slow path)."""
    check = ACCEPTORS[fmt]

    def accept(line: bytes) -> bool:
        try:
            line.decode()  # msgspec does not look inside raw strings, so UTF-8 is checked here
            return check(line)
        except (msgspec.DecodeError, UnicodeDecodeError):
            return False

    return accept
