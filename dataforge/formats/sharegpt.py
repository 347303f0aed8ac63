"""ShareGPT format: `{"conversations": [{"from": "human"|"gpt"|"system", "value"}, ...]}`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dataforge.formats import KEYS as FORMAT_KEYS
from dataforge.records import Message, Meta, Record, dump_meta

NAME = "sharegpt"
KEYS = FORMAT_KEYS[NAME]
TO_ROLE = {"system": "system", "human": "user", "gpt": "assistant"}
FROM_ROLE = {v: k for k, v in TO_ROLE.items()}


class ShareGPTTurn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: Literal["system", "human", "gpt"] = Field(alias="from")
    value: str


class ShareGPTRecord(BaseModel):
    """One ShareGPT record as it is written on disk."""

    model_config = ConfigDict(extra="forbid", title="sharegpt")
    conversations: list[ShareGPTTurn]
    meta: Meta | None = None


MODEL = ShareGPTRecord


def to_record(obj: ShareGPTRecord) -> Record:
    msgs = [Message(role=TO_ROLE[t.from_], content=t.value) for t in obj.conversations]
    return Record(messages=msgs, meta=obj.meta or Meta(format=NAME))


def from_record(rec: Record) -> dict[str, Any]:
    out: dict[str, Any] = {
        "conversations": [{"from": FROM_ROLE[m.role], "value": m.text()} for m in rec.messages]
    }
    meta = dump_meta(rec.meta)
    if meta:
        out["meta"] = meta
    return out


def field(index: int, attr: str, obj: Any = None) -> str:
    return f"conversations[{index}].{'from' if attr == 'role' else 'value'}"
