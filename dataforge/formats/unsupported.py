"""Data that looks like SFT but is not: preference pairs (DPO/ORPO), KTO labels and multimodal records.

Without this, `--allow-extra` would tuck a KTO `label` or LLaMA-Factory's `images` under meta and the record
would train as plain SFT, silently. Each finder returns (field, kind, message) problems; parse.py puts them
first and stops there, so DPO data does not also get "the last message is from user: add one".
"""

from __future__ import annotations

from typing import Any

PREFERENCE = ("this is preference data: dataforge trains SFT; keep the chosen answer as the assistant turn "
              "(e.g. prompt + chosen -> messages) and drop the rejected one, or train it with a preference "
              "trainer such as TRL's DPOTrainer")
KTO = ("this is KTO preference data (a true/false label per completion): dataforge trains SFT; keep only the "
       "records labelled true and remove `label`, or train it with TRL's KTOTrainer")
MULTIMODAL = ("this is multimodal data: dataforge trains text-only SFT; remove the {what} (and any <image> "
              "placeholders in the text), or use a vision/audio fine-tuning tool")

MEDIA_KEYS = ("images", "videos", "audios", "image", "video", "audio")
TEXT_PART_TYPES = {"text"}
MEDIA_PART_TYPES = {"image", "image_url", "input_image", "video", "video_url", "audio", "input_audio", "audio_url",
                    "file"}


def preference(obj: dict[str, Any]) -> list[tuple[str, str, str]]:
    if "chosen" in obj and "rejected" in obj:
        return [("chosen", "preference_data", PREFERENCE)]
    if isinstance(obj.get("label"), bool) and ("completion" in obj or "messages" in obj or "output" in obj):
        return [("label", "preference_data", KTO)]
    return []


def media_keys(obj: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(k, "multimodal", MULTIMODAL.format(what=f"`{k}` field")) for k in MEDIA_KEYS if k in obj]


def media_parts(obj: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Image/audio/video content parts in chat messages, named by their exact place."""
    out = []
    messages = obj.get("messages")
    if not isinstance(messages, list):
        return out
    for i, m in enumerate(messages):
        content = m.get("content") if isinstance(m, dict) else None
        if not isinstance(content, list):
            continue
        for j, part in enumerate(content):
            kind = part.get("type") if isinstance(part, dict) else None
            if isinstance(kind, str) and kind in MEDIA_PART_TYPES:
                out.append((f"messages[{i}].content[{j}].type", "multimodal",
                            f"{kind!r} is not supported: " + MULTIMODAL.format(what=f"{kind} parts")))
    return out


def unsupported(obj: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Every reason this record is not text SFT data, or [] when it may be."""
    return preference(obj) + media_keys(obj) + media_parts(obj)


def whole_file(objects: list[Any]) -> str | None:
    """For format detection: a message when the sampled records are preference or multimodal data that no
    SFT format matches (e.g. DPO `prompt/chosen/rejected`), else None."""
    for obj in objects:
        if isinstance(obj, dict):
            found = unsupported(obj)
            if found:
                return found[0][2]
    return None
