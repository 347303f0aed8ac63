"""Instruction (alpaca) format, with LLaMA-Factory's optional `system` and `history`.

The user turn is `instruction` and `input` joined by a newline, as LLaMA-Factory builds it; `meta.fields.input`
keeps the split so alpaca -> chat -> alpaca gives the record back exactly.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from dataforge.formats import KEYS as FORMAT_KEYS
from dataforge.records import Message, Meta, Record, dump_meta

NAME = "alpaca"
KEYS = FORMAT_KEYS[NAME]

Pair = Annotated[list[str], Field(min_length=2, max_length=2, description="[user, assistant]")]


class AlpacaRecord(BaseModel):
    """One instruction record as it is written on disk."""

    model_config = ConfigDict(extra="forbid", title="alpaca")
    instruction: str
    input: str = ""
    output: str
    system: str | None = None
    history: list[Pair] | None = Field(None, description="Earlier turns as [user, assistant] pairs, oldest first.")
    meta: Meta | None = None


MODEL = AlpacaRecord


def to_record(obj: AlpacaRecord) -> Record:
    msgs: list[Message] = []
    if obj.system is not None:
        msgs.append(Message(role="system", content=obj.system))
    for user, assistant in obj.history or []:
        msgs += [Message(role="user", content=user), Message(role="assistant", content=assistant)]
    query = f"{obj.instruction}\n{obj.input}" if obj.input else obj.instruction
    msgs += [Message(role="user", content=query), Message(role="assistant", content=obj.output)]
    meta = (obj.meta or Meta(format=NAME)).model_copy(deep=True)
    if obj.input:
        meta.fields["input"] = obj.input
    return Record(messages=msgs, meta=meta)


def from_record(rec: Record) -> dict[str, Any]:
    msgs = list(rec.messages)
    out: dict[str, Any] = {}
    system = msgs.pop(0).text() if msgs and msgs[0].role == "system" else None
    user, answer = (msgs[-2].text(), msgs[-1].text()) if len(msgs) >= 2 else ("", "")
    meta = rec.meta.model_copy(deep=True)
    given_input = meta.fields.pop("input", "")
    if given_input and user.endswith("\n" + given_input):
        out["instruction"], out["input"] = user[: -len(given_input) - 1], given_input
    else:
        out["instruction"], out["input"] = user, ""
    out["output"] = answer
    if system is not None:
        out["system"] = system
    earlier = msgs[:-2]
    if earlier:
        out["history"] = [[earlier[i].text(), earlier[i + 1].text()] for i in range(0, len(earlier) - 1, 2)]
    dumped = dump_meta(meta)
    if dumped:
        out["meta"] = dumped
    return out


def field(index: int, attr: str, obj: AlpacaRecord | None = None) -> str:
    """Map a message index back to the alpaca field it came from."""
    offset = 1 if obj is not None and obj.system is not None else 0
    if offset and index == 0:
        return "system"
    pairs = len(obj.history or []) if obj is not None else 0
    turn = index - offset
    if turn < 2 * pairs:
        return f"history[{turn // 2}][{turn % 2}]"
    return "instruction" if turn == 2 * pairs else "output"
