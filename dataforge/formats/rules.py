"""Conversation rules shared by every format: known roles, system first, alternation, assistant last, no blanks.

Rules work on plain role lists so the fast path (raw structs) and the slow path (Records) give one verdict.
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
    turns = [(i, r) for i, r in enumerate(roles) if r != "system"]
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
    if last != "assistant" and start <= last_i:
        out.append((last_i, "last_not_assistant", f"the last message (index {last_i}) is from {last}: a training "
                                                  "conversation must end with an assistant answer; add one"))
    return tuple(out)


def is_blank(text: str) -> bool:
    return not text.strip()


BLANK_MESSAGE = "empty or whitespace-only: write the text or drop the message"
