"""The one internal record: a conversation plus `meta`. Every format converts to and from it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["system", "user", "assistant", "tool"]


class TextPart(BaseModel):
    """OpenAI-style content part. Only text parts exist in SFT text data."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["text"]
    text: str


class FunctionCall(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    arguments: dict[str, Any] | str = Field(
        description="A JSON object, or the JSON text of one (OpenAI sends a string).")


class ToolCall(BaseModel):
    """One call in an assistant message, OpenAI's shape. TRL's examples leave out `id` and `type`."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(None, description="Answered by the tool message with this `tool_call_id`.")
    type: Literal["function"] = "function"
    function: FunctionCall


class Message(BaseModel):
    """A turn. Optional fields are written back only when the source had them (see dump_message), so every
    format's round trip gives back its input exactly."""

    model_config = ConfigDict(extra="forbid")
    role: Role
    content: str | list[TextPart] | None = Field(
        None, description="A string, or OpenAI-style text parts; may be empty or absent on an assistant turn "
                          "that calls tools.")
    tool_calls: list[ToolCall] | None = Field(None, description="Function calls of an assistant turn.")
    tool_call_id: str | None = Field(None, description="The call a tool message answers.")
    name: str | None = Field(None, description="The function a tool message answers (TRL's shape, no ids).")

    def text(self) -> str:
        """The content as one string (parts joined without a separator, as OpenAI renders them)."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text for p in self.content)


class Augmentation(BaseModel):
    """Provenance of an augmented record: which method made it from which source record."""

    model_config = ConfigDict(extra="forbid")
    method: str
    source_id: str
    params: dict[str, Any] = {}
    seed: int | None = None


class Meta(BaseModel):
    """dataforge's own bookkeeping. Serialised into output files as the optional `meta` field."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(None, description="Stable record id (source file stem and line when not given).")
    format: str | None = Field(None, description="The format the record was read from (in memory only).")
    fields: dict[str, Any] = Field(
        default_factory=dict,
        description="Original format fields needed for a lossless round trip (e.g. alpaca `input`, extra fields).",
    )
    augmentation: Augmentation | None = None


class Record(BaseModel):
    """A conversation (`messages`) plus `meta`. `source`/`line` say where it was read; they are not written out."""

    model_config = ConfigDict(extra="forbid")
    messages: list[Message]
    tools: list[dict[str, Any]] | None = Field(None, description="Function definitions (JSON Schema) the "
                                                                "conversation may call.")
    meta: Meta = Field(default_factory=Meta)
    source: str | None = Field(None, exclude=True)
    line: int | None = Field(None, exclude=True)


def dump_message(m: Message) -> dict[str, Any]:
    """A message as written into a file: the fields the source had (or the code set), nothing added."""
    return m.model_dump(exclude_unset=True)


def has_tools(rec: Record) -> bool:
    """Whether the record holds anything of tool calling: definitions, calls or tool results."""
    return rec.tools is not None or any(m.tool_calls is not None or m.role == "tool" for m in rec.messages)


def dump_meta(meta: Meta) -> dict[str, Any]:
    """Meta as written into a file: empty parts left out, so plain records stay plain and round trips give back
    the input exactly. `format` stays in memory only: no round trip needs it, and it would clutter every record."""
    return meta.model_dump(exclude_none=True, exclude_defaults=True, exclude={"format"})
