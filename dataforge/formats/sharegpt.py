"""ShareGPT format: `{"conversations": [{"from": "human"|"gpt"|"system", "value"}, ...]}`, with LLaMA-Factory's
tool calling: `function_call` turns (value: the JSON text of `{"name", "arguments"}`, or of a list of them for
parallel calls), `observation` turns (the result; for parallel calls the JSON text of a list, one result per
call) and `tools` (the JSON text of the function list). The shape follows LLaMA-Factory's data/README.md
(Apache-2.0).

LLaMA-Factory has no call ids: on import each call gets `call_<message index>_<call index>`, deterministic, so
sharegpt -> chat -> sharegpt is exact. What only the chat form holds (other ids, arguments sent as a JSON string,
a tool message's `name`, absent content) travels in `meta.fields.tool_forms`, and the original JSON texts of
`tools` and of function_call/observation values in `meta.fields.sharegpt_json` when re-serialising would spell
them differently, so both round trips give back the input exactly.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dataforge.formats import KEYS as FORMAT_KEYS
from dataforge.formats.tool_calls import ToolFormatError
from dataforge.records import FunctionCall, Message, Meta, Record, ToolCall, dump_message, dump_meta

NAME = "sharegpt"
KEYS = FORMAT_KEYS[NAME]
TO_ROLE = {"system": "system", "human": "user", "gpt": "assistant"}
FROM_ROLE = {v: k for k, v in TO_ROLE.items()}


class ShareGPTTurn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: Literal["system", "human", "gpt", "function_call", "observation"] = Field(alias="from")
    value: str


class ShareGPTRecord(BaseModel):
    """One ShareGPT record as it is written on disk."""

    model_config = ConfigDict(extra="forbid", title="sharegpt")
    conversations: list[ShareGPTTurn]
    tools: str | None = Field(None, description="LLaMA-Factory: the JSON text of a list of function definitions.")
    meta: Meta | None = None


MODEL = ShareGPTRecord


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _loads(text: str, where: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ToolFormatError([(where, "bad_tool_json", f"{what} is not valid JSON ({exc.msg} at character "
                                f"{exc.pos}): write it as LLaMA-Factory does, e.g. {{\"name\": ..., \"arguments\": "
                                "{...}}")]) from None


def _calls(value: str, turn: int, at: int) -> list[ToolCall]:
    parsed = _loads(value, f"conversations[{turn}].value", "the function_call value")
    items = parsed if isinstance(parsed, list) else [parsed]
    calls = []
    for k, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or set(item) - {"name", "arguments"}:
            raise ToolFormatError([(f"conversations[{turn}].value", "bad_tool_json", "a function_call value must be "
                                    '{"name": ..., "arguments": {...}} or a list of them')])
        try:
            fn = FunctionCall.model_validate({"name": item["name"], "arguments": item.get("arguments", {})},
                                             strict=True)
        except ValidationError:
            raise ToolFormatError([(f"conversations[{turn}].value", "bad_arguments", "arguments must be a JSON "
                                    "object of named arguments")]) from None
        calls.append(ToolCall(id=f"call_{at}_{k}", type="function", function=fn))
    return calls


def _results(value: str, calls: int, turn: int) -> list[str]:
    """One tool message per call: a parallel call's observation is a JSON list with one result per call."""
    if calls <= 1:
        return [value]
    parsed = _loads(value, f"conversations[{turn}].value", "the observation of parallel calls")
    if not isinstance(parsed, list) or len(parsed) != calls:
        raise ToolFormatError([(f"conversations[{turn}].value", "unanswered_call", f"the turn before made {calls} "
                                f"calls: write the observation as a JSON list of {calls} results, one per call")])
    return [r if isinstance(r, str) else _dumps(r) for r in parsed]


def to_record(obj: ShareGPTRecord) -> Record:
    meta = (obj.meta or Meta(format=NAME)).model_copy(deep=True)
    originals = meta.fields.pop("sharegpt_json", {})
    forms = meta.fields.pop("tool_forms", {})
    msgs: list[Message] = []
    open_ids: list[str] = []
    for t, turn in enumerate(obj.conversations):
        if turn.from_ == "function_call":
            calls = _calls(turn.value, t, len(msgs))
            _remember(originals, str(t), turn.value)
            msgs.append(Message(role="assistant", content="", tool_calls=calls))
            open_ids = [c.id for c in calls]
        elif turn.from_ == "observation":
            results = _results(turn.value, len(open_ids), t)
            if len(open_ids) > 1:
                _remember(originals, str(t), turn.value)
            for k, result in enumerate(results):
                msgs.append(Message(role="tool", tool_call_id=open_ids[k] if k < len(open_ids) else None,
                                    content=result))
            open_ids = []
        else:
            msgs.append(Message(role=TO_ROLE[turn.from_], content=turn.value))
    for i, form in forms.items():  # the chat form of messages that sharegpt spells differently
        msgs[int(i)] = Message.model_validate(form, strict=True)
    tools = _loads(obj.tools, "tools", "tools") if obj.tools is not None else None
    if tools is not None:
        _remember(originals, "tools", obj.tools)
    if tools is not None and not (isinstance(tools, list) and all(isinstance(x, dict) for x in tools)):
        raise ToolFormatError([("tools", "bad_tool_definition", "tools must be the JSON text of a list of function "
                                "definitions")])
    if originals:
        meta.fields["sharegpt_json"] = originals
    return Record(messages=msgs, tools=tools, meta=meta)


def _remember(originals: dict[str, str], key: str, text: str) -> None:
    """Keep a JSON text that a fresh json.dumps would spell differently (spacing, key order, escapes)."""
    if _dumps(json.loads(text)) != text:
        originals[key] = text


def from_record(rec: Record) -> dict[str, Any]:
    meta = rec.meta.model_copy(deep=True)
    originals: dict[str, str] = meta.fields.pop("sharegpt_json", {})
    meta.fields.pop("tool_forms", None)
    forms: dict[str, Any] = {}
    turns: list[dict[str, str]] = []

    def spelled(key: str, value: Any) -> str:
        """The original JSON text when it still says the same, else a fresh one."""
        text = originals.get(key)
        if text is not None and json.loads(text) == value:
            return text
        return _dumps(value)

    msgs = rec.messages
    i = 0
    while i < len(msgs):
        m = msgs[i]
        if m.role == "assistant" and m.tool_calls:
            value = [_lf_call(c) for c in m.tool_calls]
            t = len(turns)
            turns.append({"from": "function_call", "value": spelled(str(t), value[0] if len(value) == 1 else value)})
            ids = [f"call_{i}_{k}" for k in range(len(m.tool_calls))]
            back = Message(role="assistant", content="", tool_calls=[
                ToolCall(id=ids[k], type="function", function=FunctionCall(name=c.function.name,
                                                                           arguments=value[k]["arguments"]))
                for k, c in enumerate(m.tool_calls)])
            # only the form differs (ids, arguments as text, no content): keep it. Text next to the calls has no
            # place in a function_call turn: nothing is kept, so convert sees the loss and names the record.
            spoken = bool(m.text())
            if dump_message(back) != dump_message(m) and not spoken:
                forms[str(i)] = dump_message(m)
            results = []
            j = i + 1
            while j < len(msgs) and msgs[j].role == "tool" and len(results) < len(m.tool_calls):
                results.append(msgs[j])
                back = Message(role="tool", tool_call_id=ids[len(results) - 1], content=msgs[j].text())
                if dump_message(back) != dump_message(msgs[j]) and not spoken:
                    forms[str(j)] = dump_message(msgs[j])
                j += 1
            if results:
                t = len(turns)
                texts = [r.text() for r in results]
                value_text = texts[0] if len(m.tool_calls) == 1 else spelled(str(t), [_maybe_json(x) for x in texts])
                turns.append({"from": "observation", "value": value_text})
            i = j
            continue
        role = "observation" if m.role == "tool" else FROM_ROLE[m.role]
        turns.append({"from": role, "value": m.text()})
        i += 1
    out: dict[str, Any] = {"conversations": turns}
    if rec.tools is not None:
        out["tools"] = spelled("tools", rec.tools)
    if forms:
        meta.fields["tool_forms"] = forms
    dumped = dump_meta(meta)
    if dumped:
        out["meta"] = dumped
    return out


def _lf_call(call: ToolCall) -> dict[str, Any]:
    args = call.function.arguments
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except json.JSONDecodeError:
            pass  # kept as text: the round trip check in convert names the record
    return {"name": call.function.name, "arguments": args}


def _maybe_json(text: str) -> Any:
    """A result inside a parallel observation's list: its JSON value when importing spells it back the same (so
    the list reads naturally), else the text itself (so " 0" or '{"a":1}' come back byte for byte)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text
    return value if not isinstance(value, str) and _dumps(value) == text else text


def field(index: int, attr: str, obj: Any = None) -> str:
    turn = index if obj is None else _turn_of(obj, index)
    if attr == "role":
        return f"conversations[{turn}].from"
    if attr.startswith("tool_calls["):  # the function_call's JSON text holds the calls: name the key in it
        call, _, rest = attr.partition("]")
        inner = rest.rpartition(".")[2] if "." in rest else ""
        inner = "" if inner == "id" else inner  # ShareGPT has no call ids: the call itself is meant
        parallel = obj is not None and turn < len(obj.conversations) and obj.conversations[turn].value.lstrip() \
            .startswith("[")
        return f"conversations[{turn}].value" + (f"[{call[len('tool_calls['):]}]" if parallel else "") + \
            (f".{inner}" if inner else "")
    return f"conversations[{turn}].value"


def _turn_of(obj: ShareGPTRecord, index: int) -> int:
    """The conversation turn that message `index` came from (a parallel observation is several messages)."""
    n = 0
    calls = 0
    for t, turn in enumerate(obj.conversations):
        count = 1
        if turn.from_ == "function_call":
            try:
                parsed = json.loads(turn.value)
                calls = len(parsed) if isinstance(parsed, list) else 1
            except json.JSONDecodeError:
                calls = 1
        elif turn.from_ == "observation":
            count = max(calls, 1)
        if index < n + count:
            return t
        n += count
    return index
