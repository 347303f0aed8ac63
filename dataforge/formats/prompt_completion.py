"""Prompt-completion format as TRL has it: strings (standard) or message lists (conversational)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from dataforge.formats import KEYS as FORMAT_KEYS
from dataforge.records import Message, Meta, Record, dump_meta

NAME = "prompt-completion"
KEYS = FORMAT_KEYS[NAME]


class PromptCompletionRecord(BaseModel):
    """One prompt-completion record as it is written on disk."""

    model_config = ConfigDict(extra="forbid", title="prompt-completion")
    prompt: str | list[Message]
    completion: str | list[Message]
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
    return Record(messages=[*prompt, *completion], meta=meta)


def from_record(rec: Record) -> dict[str, Any]:
    meta = rec.meta.model_copy(deep=True)
    conversational = meta.fields.pop("conversational", False)
    msgs = rec.messages
    plain = len(msgs) == 2 and [m.role for m in msgs] == ["user", "assistant"]
    if plain and not conversational and all(isinstance(m.content, str) for m in msgs):
        out: dict[str, Any] = {"prompt": msgs[0].content, "completion": msgs[1].content}
    else:
        out = {"prompt": [m.model_dump() for m in msgs[:-1]], "completion": [m.model_dump() for m in msgs[-1:]]}
    dumped = dump_meta(meta)
    if dumped:
        out["meta"] = dumped
    return out


def field(index: int, attr: str, obj: PromptCompletionRecord | None = None) -> str:
    if obj is None or isinstance(obj.prompt, str):
        return "prompt" if index == 0 else "completion"
    n = len(obj.prompt)
    return f"prompt[{index}].{attr}" if index < n else f"completion[{index - n}].{attr}"
