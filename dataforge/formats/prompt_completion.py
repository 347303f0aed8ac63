"""Prompt-completion format as TRL has it: strings (standard) or message lists (conversational). Conversational
records hold tool calling as chat does (message fields and a `tools` list)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dataforge.formats import KEYS as FORMAT_KEYS
from dataforge.records import Message, Meta, Record, dump_message, dump_meta

NAME = "prompt-completion"
KEYS = FORMAT_KEYS[NAME]


class PromptCompletionRecord(BaseModel):
    """One prompt-completion record as it is written on disk."""

    model_config = ConfigDict(extra="forbid", title="prompt-completion")
    prompt: str | list[Message]
    completion: str | list[Message]
    tools: list[dict[str, Any]] | None = Field(None, description="Function definitions, as in the chat format.")
    meta: Meta | None = None


MODEL = PromptCompletionRecord


def to_record(obj: PromptCompletionRecord) -> Record:
    prompt = [Message(role="user", content=obj.prompt)] if isinstance(obj.prompt, str) else obj.prompt
    if isinstance(obj.completion, str):
        completion = [Message(role="assistant", content=obj.completion)]
    else:
        completion = obj.completion
    meta = (obj.meta or Meta(format=NAME)).model_copy(deep=True)
    if not isinstance(obj.prompt, str):
        meta.fields["conversational"] = True
    return Record(messages=[*prompt, *completion], tools=obj.tools, meta=meta)


def from_record(rec: Record) -> dict[str, Any]:
    meta = rec.meta.model_copy(deep=True)
    conversational = meta.fields.pop("conversational", False)
    msgs = rec.messages
    plain = len(msgs) == 2 and [m.role for m in msgs] == ["user", "assistant"]
    simple = all(isinstance(m.content, str) and set(dump_message(m)) == {"role", "content"} for m in msgs)
    if plain and not conversational and simple and rec.tools is None:
        out: dict[str, Any] = {"prompt": msgs[0].content, "completion": msgs[1].content}
    else:
        out = {"prompt": [dump_message(m) for m in msgs[:-1]], "completion": [dump_message(m) for m in msgs[-1:]]}
    if rec.tools is not None:
        out["tools"] = rec.tools
    dumped = dump_meta(meta)
    if dumped:
        out["meta"] = dumped
    return out


def field(index: int, attr: str, obj: PromptCompletionRecord | None = None) -> str:
    if obj is None or isinstance(obj.prompt, str):
        return "prompt" if index == 0 else "completion"
    n = len(obj.prompt)
    return f"prompt[{index}].{attr}" if index < n else f"completion[{index - n}].{attr}"
