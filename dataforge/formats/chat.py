"""Chat format: `{"messages": [{"role", "content"}, ...]}` (OpenAI/TRL conversational), with OpenAI's tool
calling: assistant `tool_calls`, `tool` messages and a `tools` list of function definitions (TRL's `tools` column)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dataforge.formats import KEYS as FORMAT_KEYS
from dataforge.records import Message, Meta, Record, dump_message, dump_meta

NAME = "chat"
KEYS = FORMAT_KEYS[NAME]


class ChatRecord(BaseModel):
    """One chat record as it is written on disk."""

    model_config = ConfigDict(extra="forbid", title="chat")
    messages: list[Message]
    tools: list[dict[str, Any]] | None = Field(None, description="Function definitions (JSON Schema), as "
                                               'OpenAI sends them: [{"type": "function", "function": {...}}]')
    meta: Meta | None = None


MODEL = ChatRecord


def to_record(obj: ChatRecord) -> Record:
    meta = obj.meta or Meta(format=NAME)
    return Record(messages=obj.messages, tools=obj.tools, meta=meta)


def from_record(rec: Record) -> dict[str, Any]:
    out: dict[str, Any] = {"messages": [dump_message(m) for m in rec.messages]}
    if rec.tools is not None:
        out["tools"] = rec.tools
    meta = dump_meta(rec.meta)
    if meta:
        out["meta"] = meta
    return out


def field(index: int, attr: str, obj: Any = None) -> str:
    return f"messages[{index}].{attr}"
