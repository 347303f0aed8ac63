"""Chat format: `{"messages": [{"role", "content"}, ...]}` (OpenAI/TRL conversational)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from dataforge.formats import KEYS as FORMAT_KEYS
from dataforge.records import Message, Meta, Record, dump_meta

NAME = "chat"
KEYS = FORMAT_KEYS[NAME]


class ChatRecord(BaseModel):
    """One chat record as it is written on disk."""

    model_config = ConfigDict(extra="forbid", title="chat")
    messages: list[Message]
    meta: Meta | None = None


MODEL = ChatRecord


def to_record(obj: ChatRecord) -> Record:
    meta = obj.meta or Meta(format=NAME)
    return Record(messages=obj.messages, meta=meta)


def from_record(rec: Record) -> dict[str, Any]:
    out: dict[str, Any] = {"messages": [m.model_dump() for m in rec.messages]}
    meta = dump_meta(rec.meta)
    if meta:
        out["meta"] = meta
    return out


def field(index: int, attr: str, obj: Any = None) -> str:
    return f"messages[{index}].{attr}"
