"""Conversation rules for tool calling, shared by every format that can hold calls (chat, sharegpt,
prompt-completion).

Each problem is (message index, the field inside the message or None for the record, kind, message). The format's
`field()` turns the index into its own place (`messages[3]` or `conversations[2]`), so the line printed is
`path:line: messages[3].tool_calls[0].function.arguments: ...`.

Rules: every call is answered by exactly one tool message, after the call and before the next user turn; a tool
message answers an open call (by `tool_call_id`, or in order when the data has no ids, as TRL's examples); a called
function exists in `tools` when `tools` is given; arguments are a JSON object (or the JSON text of one) that
satisfies the function's parameter schema. jsonschema is imported only for records that declare parameters.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from dataforge.records import Record, ToolCall

Found = tuple[int | None, str, str, str]  # (message index or None for the record, field, kind, message)


def function_defs(tools: list[dict[str, Any]] | None) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """name -> parameter schema (None when not given) of OpenAI's `{"type": "function", "function": {...}}` and
    LLaMA-Factory's bare `{"name", "parameters"}` definitions, and the problems of the definitions."""
    defs: dict[str, Any] = {}
    problems: list[tuple[str, str, str]] = []
    for k, tool in enumerate(tools or []):
        fn = tool.get("function") if isinstance(tool.get("function"), dict) else tool
        name = fn.get("name")
        if not isinstance(name, str) or not name:
            problems.append((f"tools[{k}]", "bad_tool_definition", "a function definition needs a `name`: write "
                             '{"type": "function", "function": {"name": ..., "parameters": {...}}}'))
            continue
        params = fn.get("parameters")
        if params is not None:
            why = schema_problem(json.dumps(params, sort_keys=True))
            if why:
                problems.append((f"tools[{k}].parameters", "bad_tool_definition",
                                 f"not a valid JSON Schema ({why}): fix the parameters of {name!r}"))
                params = None
        if name in defs:
            problems.append((f"tools[{k}]", "bad_tool_definition", f"function {name!r} is defined twice: "
                             "keep one definition"))
        defs[name] = params
    return defs, problems


@lru_cache(maxsize=1024)
def schema_problem(schema_json: str) -> str | None:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(json.loads(schema_json))
    except SchemaError as exc:
        return exc.message
    return None


@lru_cache(maxsize=1024)
def _validator(schema_json: str):
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(schema_json))


def arguments_of(call: ToolCall) -> tuple[dict[str, Any] | None, str | None]:
    """(the arguments as an object, None) or (None, why they are not one)."""
    args = call.function.arguments
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except json.JSONDecodeError as exc:
            return None, f"not valid JSON ({exc.msg} at character {exc.pos})"
    if not isinstance(args, dict):
        return None, f"expected a JSON object of named arguments, got {type(args).__name__}"
    return args, None


def _argument_problems(call: ToolCall, defs: dict[str, Any], declared: bool) -> list[tuple[str, str, str]]:
    name = call.function.name
    if declared and name not in defs:
        known = ", ".join(sorted(defs)) or "none"
        return [("function.name", "undeclared_function", f"{name!r} is not defined in `tools` (defined: {known}): "
                 "add its definition or fix the name")]
    args, why = arguments_of(call)
    if why:
        return [("function.arguments", "bad_arguments", f"{why}: write the arguments as a JSON object, "
                 'e.g. {"iban": "..."}')]
    schema = defs.get(name)
    if schema is None:
        return []
    errors = sorted(_validator(json.dumps(schema, sort_keys=True)).iter_errors(args), key=lambda e: list(e.path))
    if not errors:
        return []
    err = errors[0]
    at = "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in err.path)
    return [("function.arguments", "arguments_schema", f"{err.message}{' at ' + at if at else ''}: the arguments "
             f"do not match the parameters of {name!r}; fix them or the schema")]


def tool_problems(rec: Record) -> list[Found]:
    """Every tool-calling problem of a record, in message order."""
    out: list[Found] = []
    defs, bad_defs = function_defs(rec.tools)
    out += [(None, f, k, m) for f, k, m in bad_defs]
    declared = rec.tools is not None
    open_calls: list[tuple[int, int, ToolCall]] = []  # (message index, call index, call), oldest first
    seen_ids: dict[str, tuple[int, int]] = {}
    answered: dict[str, int] = {}

    def close_all(before: str) -> None:
        for i, j, call in open_calls:
            out.append((i, f"tool_calls[{j}]" + (".id" if call.id else ""), "unanswered_call",
                        f"call {call.id or call.function.name!r} is not answered {before}: add a tool message "
                        "with its result, or remove the call"))
        open_calls.clear()

    for i, m in enumerate(rec.messages):
        if m.tool_calls is not None and m.role != "assistant":
            out.append((i, "tool_calls", "misplaced_tool_field", f"only assistant messages call tools, this one is "
                        f"{m.role}: move the calls to an assistant message"))
        if m.tool_call_id is not None and m.role != "tool":
            out.append((i, "tool_call_id", "misplaced_tool_field", f"only tool messages answer calls, this one is "
                        f"{m.role}: set role to tool or remove tool_call_id"))
        if m.name is not None and m.role != "tool":
            out.append((i, "name", "unknown_field", f"unknown field on a {m.role} message (`name` is kept only on "
                        "tool messages, TRL's shape): remove it"))
        if m.role == "user":
            close_all(f"before the next user turn (messages[{i}])")
        elif m.role == "assistant" and m.tool_calls:
            for j, call in enumerate(m.tool_calls):
                out += [(i, f"tool_calls[{j}].{f}", k, msg) for f, k, msg in _argument_problems(call, defs, declared)]
                if call.id is not None and call.id in seen_ids:
                    a, b = seen_ids[call.id]
                    out.append((i, f"tool_calls[{j}].id", "duplicate_call_id", f"call id {call.id!r} is already "
                                f"used by messages[{a}].tool_calls[{b}]: give every call its own id"))
                    continue
                if call.id is not None:
                    seen_ids[call.id] = (i, j)
                open_calls.append((i, j, call))
        elif m.role == "tool":
            out += _answer(i, m, open_calls, answered)
    close_all("before the conversation ends")
    return out


def _answer(i: int, m, open_calls: list, answered: dict[str, int]) -> list[Found]:
    """Close the call a tool message answers, or say why it answers none."""
    if m.tool_call_id is not None:
        match = next((n for n, (_, _, c) in enumerate(open_calls) if c.id == m.tool_call_id), None)
    else:  # TRL's shape: no ids, results in call order (by name when the message names the function)
        match = next((n for n, (_, _, c) in enumerate(open_calls) if m.name in (None, c.function.name)), None)
    if match is not None:
        _, _, call = open_calls.pop(match)
        if call.id is not None:
            answered[call.id] = i
        return []
    if m.tool_call_id is not None and m.tool_call_id in answered:
        return [(i, "tool_call_id", "unmatched_tool_result", f"call {m.tool_call_id!r} is already answered by "
                 f"messages[{answered[m.tool_call_id]}]: keep one result per call")]
    what = f"call {m.tool_call_id!r}" if m.tool_call_id is not None else "call"
    field = "tool_call_id" if m.tool_call_id is not None else "role"
    return [(i, field, "unmatched_tool_result", f"this tool message answers no open {what}: a tool result must "
             "follow the assistant message that calls it, before the next user turn; fix tool_call_id or move it")]


class ToolFormatError(ValueError):
    """A format's tool fields that cannot become a Record (e.g. a ShareGPT `function_call` value that is not
    JSON): raised by to_record, turned into problems by parse.py."""

    def __init__(self, problems: list[tuple[str, str, str]]):
        super().__init__("; ".join(f"{f}: {m}" for f, _, m in problems))
        self.problems = problems
