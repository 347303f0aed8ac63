"""The one internal record: a conversation plus `meta`. Every format converts to and from it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["system", "user", "assistant"]


class TextPart(BaseModel):
    """OpenAI-style content part. Only text parts exist in SFT text data."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["text"]
    text: str


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    content: str | list[TextPart] = Field(description="A string, or OpenAI-style text parts.")

    def text(self) -> str:
        """The content as one string (parts joined without a separator, as OpenAI renders them)."""
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
    meta: Meta = Field(default_factory=Meta)
    source: str | None = Field(None, exclude=True)
    line: int | None = Field(None, exclude=True)



def dump_meta(meta: Meta) -> dict[str, Any]:
    """Meta as written into a file: empty parts left out, so plain records stay plain and round trips give back
    the input exactly. `format` stays in memory only: no round trip needs it, and it would clutter every record."""
    return meta.model_dump(exclude_none=True, exclude_defaults=True, exclude={"format"})
