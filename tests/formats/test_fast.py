"""The fast path may only accept what the exact path accepts; on plain valid data it should accept everything."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from dataforge.formats.fast import verdicts
from dataforge.parse import parse_record
from tests.conftest import SAMPLE

BLANKS = [" ", "\t", "\n", "\u00a0", "\u3000", "\u2028", "\u0085", "\x1c", "\u200a", ""]
texts = st.one_of(
    st.text(max_size=12),
    st.lists(st.sampled_from(BLANKS), max_size=4).map("".join),  # blank in many spellings
    st.sampled_from(["İstanbul", "ğ", "çay", "a", "\u00a0x", "\u3000y"]),
)
contents = st.one_of(texts, st.integers(), st.none(), st.lists(st.fixed_dictionaries({"type": st.just("text"),
                                                                                        "text": texts}), max_size=2))
roles = st.sampled_from(["system", "user", "assistant", "bot", "human", "gpt"])
messages = st.lists(st.fixed_dictionaries({"role": roles, "content": contents}), max_size=5)
chats = st.one_of(st.builds(lambda m: {"messages": m}, messages),
                  st.builds(lambda m, x: {"messages": m, "x": x}, messages, st.integers()))
sharegpts = st.builds(lambda m: {"conversations": [{"from": d["role"], "value": d["content"]} for d in m]}, messages)


def encode(obj, ascii_only: bool, spaced: bool) -> bytes:
    sep = (", ", ": ") if spaced else (",", ":")
    return json.dumps(obj, ensure_ascii=ascii_only, separators=sep).encode()


def agree(fmt: str, lines: list[bytes]) -> None:
    data = b"\n".join(lines) + b"\n"
    for line, sure in zip(lines, verdicts(fmt, data, lines, utf8_checked=True)):
        if sure:
            rec, problems = parse_record(json.loads(line), fmt)
            assert rec is not None, (line, problems)


@settings(max_examples=400, deadline=None)
@given(st.lists(chats, min_size=1, max_size=6), st.booleans(), st.booleans())
def test_fast_chat_never_accepts_what_the_exact_path_rejects(records, ascii_only, spaced):
    agree("chat", [encode(r, ascii_only, spaced) for r in records])


@settings(max_examples=200, deadline=None)
@given(st.lists(sharegpts, min_size=1, max_size=6), st.booleans())
def test_fast_sharegpt_never_accepts_what_the_exact_path_rejects(records, ascii_only):
    agree("sharegpt", [encode(r, ascii_only, True) for r in records])


def test_escaped_or_duplicate_keys_do_not_fool_the_block_check():
    lines = [b'{"messages":[{"role":"user","\\u0063ontent":" "},{"role":"assistant","content":"a"}]}',
             b'{"messages":[{"role":"user","content":"a","content":" "},{"role":"assistant","content":"b"}]}']
    assert verdicts("chat", b"\n".join(lines), lines, True) == [False, False]


def test_escaped_keys_are_found_among_escaped_texts():
    lines = [json.dumps({"messages": [{"role": "user", "content": "Çay mı içelim?"},
                                      {"role": "assistant", "content": "İstanbul'da güzel bir gün."}]}).encode(),
             b'{"messages":[{"role":"user","content":"\\u00e7ay","\\u0063ontent":"\\u00a0"},'
             b'{"role":"assistant","content":"\\u0130yi"}]}',
             b'{"messages":[{"role":"user","c\\u006fntent":"\\n"},{"role":"assistant","content":"ok"}]}']
    assert b"\\u00c7ay" in lines[0]  # json.dumps escapes by default: every Turkish letter is a backslash-u
    assert verdicts("chat", b"\n".join(lines) + b"\n", lines, True) == [True, False, False]


def test_no_escape_of_a_space_or_surrogate_counts_as_surely_not_blank():
    from dataforge.formats.fast import _SURE_TEXT

    sure = [c for c in range(0x10000) for spelled in (b'"\\u%04x' % c, b'"\\u%04X' % c) if _SURE_TEXT.match(spelled)]
    assert not [hex(c) for c in sure if chr(c).isspace() or 0xD800 <= c <= 0xDFFF]
    assert {0xE7, 0x11F, 0x130, 0x131, 0x15F, 0xF6, 0xFC, 0xC7, 0xDC, 0xD6, 0x15E, 0x11E} <= set(sure)


def test_sample_data_is_accepted_by_the_fast_path():
    for name, fmt in [("chat_tr.jsonl", "chat"), ("sharegpt_tr.jsonl", "sharegpt"),
                      ("instructions_tr.jsonl", "alpaca"), ("prompt_completion_tr.jsonl", "prompt-completion")]:
        data = (SAMPLE / name).read_bytes()
        lines = data.split(b"\n")[:-1]
        assert all(verdicts(fmt, data, lines, utf8_checked=False)), name
