"""The slow, exact path: one raw record -> a Record, or every problem with its field and a fix."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from dataforge.formats.detection import format_of
from dataforge.formats.registry import FORMATS
from dataforge.formats.rules import BLANK_MESSAGE, is_blank, role_problems
from dataforge.formats.tool_calls import ToolFormatError, tool_problems
from dataforge.formats.unsupported import unsupported
from dataforge.records import Record, has_tools

# pydantic error types -> our stable error kinds (the --json summary counts these)
_KINDS = {"missing": "missing_field", "extra_forbidden": "unknown_field", "literal_error": "bad_value",
          "too_short": "bad_value", "too_long": "bad_value"}


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        part = '""' if part == "" else part  # an empty key must still show in `path:line: field: message`
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "record"


def _type_name(value: Any) -> str:
    return {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null",
            int: "number", float: "number"}.get(type(value), type(value).__name__)


_TYPE_TAGS = {"str", "int", "float", "bool", "dict", "list", "none"}


def _is_union_tag(part: object) -> bool:
    """pydantic names union branches in `loc` by their type, e.g. 'str' or 'list[TextPart]'."""
    return isinstance(part, str) and (part in _TYPE_TAGS or "[" in part)


MAX_DEPTH = 64  # records nest 4-6 levels; Python's recursion limit (1000) and orjson's (1024) are near ~985


def _too_deep(obj: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether `obj` nests deeper than `limit`, without recursion (a deep value must not crash the check)."""
    stack = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return False


def _show(value: Any) -> str:
    """A short, safe rendering of a received value: repr() of a deeply nested one recurses and can crash."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        text = repr(value)
        return text if len(text) <= 80 else text[:77] + "..."
    return f"a {_type_name(value)}"


PART = '{"type": "text", "text": "..."}'


def _model_problems(exc: ValidationError) -> list[tuple[str, str, str]]:
    """Turn pydantic errors into (field, kind, message), folding the branches of one union into one error.

    A content that is a list is judged as text parts only, and each bad part is named by its index
    (`messages[0].content[1].type`), instead of "expected a string or a list of text parts, got list"."""
    errors = exc.errors(include_url=False)
    out: dict[str, tuple[str, str, str]] = {}
    for err in errors:
        loc = list(err["loc"])
        # union branches appear as extra loc parts like 'str' or 'list[TextPart]': cut them off
        cut = next((i for i, p in enumerate(loc) if _is_union_tag(p)), None)
        part_error = cut is not None and "[" in str(loc[cut]) and len(loc) > cut + 1
        if cut is not None and isinstance(_input_at(errors, loc[:cut]), list):
            if not part_error:
                continue  # the str branch of a list content: the part errors say what is wrong
            loc = loc[:cut] + loc[cut + 1:]
            cut = None
        elif cut is not None:
            loc = loc[:cut]
        where = _loc(tuple(loc))
        kind = _KINDS.get(err["type"], "wrong_type" if err["type"].endswith("_type") else "bad_value")
        if err["type"] == "missing":
            msg = "missing: add it"
        elif err["type"] == "extra_forbidden" and len(loc) == 1:
            msg = "unknown field: remove it, or pass --allow-extra to keep it under meta"
        elif err["type"] == "extra_forbidden":
            msg = "unknown field: remove it (--allow-extra keeps only top-level fields)"
        elif cut is not None:
            msg = f"expected a string or a list of text parts, got {_type_name(err.get('input'))}"
            kind = "wrong_type"
        elif err["type"] == "literal_error" and loc[-1] == "type" and "content" in loc:
            msg = f"{_show(err.get('input'))} is not supported: only text parts {PART} can be trained"
            kind = "bad_value"
        elif err["type"] in ("model_type", "model_attributes_type") and "content" in loc:
            msg = f"expected a text part {PART}, got {_type_name(err.get('input'))}"
        elif err["type"] == "literal_error":
            msg = f"{err['msg'].replace('Input should be', 'must be')}, got {_show(err.get('input'))}"
        elif kind == "wrong_type":
            expected = err["type"].removesuffix("_type").replace("model", "object").replace("dict", "object")
            msg = f"expected {expected}, got {_type_name(err.get('input'))}"
        else:
            msg = err["msg"]
        out.setdefault(where, (where, kind, msg))
    return list(out.values())


def _input_at(errors: list[dict], loc: list) -> Any:
    """The value at `loc` (a union field), read from its str branch's error, which carries the whole input."""
    for err in errors:
        here = list(err["loc"])
        if here[:len(loc)] == loc and len(here) == len(loc) + 1 and here[-1] == "str":
            return err.get("input")
    return None


def parse_record(obj: Any, fmt: str, *, allow_extra: bool = False) -> tuple[Record | None,
                                                                             list[tuple[str, str, str]]]:
    """Validate one parsed JSON value as `fmt`: (Record, []) or (None, [(field, kind, message), ...])."""
    if not isinstance(obj, dict):
        return None, [("record", "not_object", f"expected a JSON object, got {_type_name(obj)}")]
    if _too_deep(obj):
        return None, [("record", "too_deep", f"nested more than {MAX_DEPTH} levels deep: no SFT record needs "
                                             "that; flatten the deep value or remove it")]
    not_sft = unsupported(obj)  # preference or multimodal data: say what it is, not which SFT rule it breaks
    if not_sft:
        return None, not_sft
    module = FORMATS[fmt]
    known = {f.alias or n for n, f in module.MODEL.model_fields.items()}
    extra = {k: obj[k] for k in obj if k not in known}
    problems: list[tuple[str, str, str]] = []
    if extra and not allow_extra:
        other = format_of(obj)
        hint = f" (this looks like a {other} record in a {fmt} file)" if other and other != fmt else ""
        problems += [(k or '""', "unknown_field", f"unknown field{' (an empty key)' if not k else ''}{hint}: "
                      "remove it, or pass --allow-extra to keep it under meta") for k in extra]
    clean = {k: v for k, v in obj.items() if k in known}
    try:
        parsed = module.MODEL.model_validate(clean, strict=True)
    except ValidationError as exc:
        return None, problems + _model_problems(exc)
    try:
        rec = module.to_record(parsed)
    except ToolFormatError as exc:
        return None, problems + exc.problems
    if extra and allow_extra:
        rec.meta.fields["extra"] = {**rec.meta.fields.get("extra", {}), **extra}  # under meta in every output
    roles = tuple("assistant_call" if m.role == "assistant" and m.tool_calls else m.role for m in rec.messages)
    problems += [(module.field(i, "role", parsed), kind, msg) for i, kind, msg in role_problems(roles)]
    for i, m in enumerate(rec.messages):
        if m.role == "assistant" and m.tool_calls:
            continue  # an assistant turn that calls tools may have empty or no content
        if m.content is None:
            problems.append((module.field(i, "content", parsed), "missing_field", "missing: add it (only an "
                             "assistant message with tool_calls may go without content)"))
        elif is_blank(m.text()):
            problems.append((module.field(i, "content", parsed), "empty_content", BLANK_MESSAGE))
    if has_tools(rec) or any(m.name is not None for m in rec.messages):
        problems += [(f if i is None else module.field(i, f, parsed), kind, msg)
                     for i, f, kind, msg in tool_problems(rec)]
    return (None, problems) if problems else (rec, [])
