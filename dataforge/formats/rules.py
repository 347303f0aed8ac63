"""Conversation rules shared by every format: known roles, system first, alternation, assistant last, no blanks.

Rules work on plain role lists so the fast path (raw structs) and the slow path (Records) give one verdict.
Tool calling adds two roles to the list: `assistant_call` (an assistant message with tool calls) and `tool`. An
assistant turn may then be a chain `assistant_call, tool..., [assistant_call, tool...,] assistant`; a tool message
that follows no call is left to tool_calls.py ("answers no open call"), so it is reported once.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)
def role_problems(roles: tuple[str, ...]) -> tuple[tuple[int, str, str], ...]:
    """Problems of a role sequence as (message index, kind, message). Cached: real data has few distinct shapes."""
    out: list[tuple[int, str, str]] = []
    start = 1 if roles[:1] == ("system",) else 0
    for i, role in enumerate(roles):
        if role == "system" and i > 0:
            out.append((i, "system_not_first", f"system message at index {i}: only the first message may be "
                                               "system; move it to index 0 or merge it into the first one"))
    turns = _turns(roles)
    if not turns:
        out.append((0, "no_turns", "no user or assistant message: add a user message and an assistant answer"))
        return tuple(out)
    if turns[0][1] != "user":
        i = turns[0][0]
        out.append((i, "not_alternating", f"the conversation starts with {turns[0][1]} at index {i}: "
                                          "the first turn after an optional system message must be user"))
    for (i, prev), (j, role) in zip(turns, turns[1:]):
        if prev == role:
            out.append((j, "not_alternating", f"two {role} messages in a row at index {i} and {j}: user and "
                                              "assistant must alternate; merge them or add the missing turn"))
    last_i, last = turns[-1]
    if roles[-1] == "tool":  # the chain ends with a result: the answer to it is missing
        last_i, last = len(roles) - 1, "tool"
    if last != "assistant" and start <= last_i:
        out.append((last_i, "last_not_assistant", f"the last message (index {last_i}) is from {last}: a training "
                                                  "conversation must end with an assistant answer; add one"))
    return tuple(out)


def _turns(roles: tuple[str, ...]) -> list[tuple[int, str]]:
    """(index, user|assistant) of each turn; a tool-calling chain is one assistant turn at its first message."""
    turns: list[tuple[int, str]] = []
    prev = None
    for i, role in enumerate(roles):
        if role == "system":
            continue
        if role == "tool":
            if prev in ("assistant_call", "tool"):
                prev = role
            continue  # a stray result: tool_calls.py reports it
        if role in ("assistant", "assistant_call") and prev in ("tool", "assistant_call"):
            prev = role
            continue  # the chain goes on (a missing result is tool_calls.py's "unanswered call", said once)
        turns.append((i, "assistant" if role == "assistant_call" else role))
        prev = role
    return turns


def is_blank(text: str) -> bool:
    return not text.strip()


BLANK_MESSAGE = "empty or whitespace-only: write the text or drop the message"
