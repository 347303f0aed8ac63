"""What a chat template does with system messages, and the conversation as it is rendered for training.

Two quirks of real templates, found by rendering probes once per template (not by knowing model names):
- no system role: Gemma's template raises "System role not supported"; Mistral v0.3's renders the system text only
  in front of the *last* user turn of a prompt, so a training render (ending with the assistant) drops it.
  Default `chat.system=fold`: the system text goes in front of the first user turn, separated by a blank line
  (what Gemma's model card recommends). `refuse`: such records are an error naming each one.
- a default system prompt (Qwen2.5: "You are Qwen, created by Alibaba Cloud..."): added to every record that has
  no system message. `chat.default_system=keep` (default: inference adds it too) or `drop` (such records get an
  empty system message, so the default text is not rendered).

Tool calling: `template_messages` and `template_tools` give a record as chat templates take it (transformers'
convention: calls with `arguments` as an object, `tool` messages, `tools=` a list of `{"type": "function",
"function": {...}}`). A template that does not render them (most templates without tool support drop `tools` and
`tool_calls` silently) is found by rendering a probe: `TemplateQuirks.tools`.

check (quality/tokens.py) and train both render through `conversation()`, so they count the same tokens.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

SYSTEM_PROBE = "SYSTEM-PROBE-7f3a"
USER_PROBE = "USER-PROBE-7f3a"
ASSISTANT_PROBE = "ASSISTANT-PROBE-7f3a"
TOOL_PROBE = "tool_probe_7f3a"  # a function name, an argument value and a result that must all show in a render
ARGUMENT_PROBE = "ARGUMENT-PROBE-7f3a"
RESULT_PROBE = "RESULT-PROBE-7f3a"


@dataclass(frozen=True)
class TemplateQuirks:
    system: str  # "native", "rejected" (the template raises) or "dropped" (rendered without it)
    default_system: str | None  # the text the template adds when a record has no system message
    tools: bool = True  # the template renders tool definitions, calls and results


def render(tokenizer, messages: list[dict], add_generation_prompt: bool = False, tools: list | None = None) -> str:
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt,
                                         tools=tools)


def template_messages(rec) -> list[dict]:
    """A Record's messages as chat templates take them: plain strings, calls with their arguments as an object."""
    out = []
    for m in rec.messages:
        d: dict[str, Any] = {"role": m.role, "content": m.text()}
        if m.tool_calls:
            d["tool_calls"] = [_call(c) for c in m.tool_calls]
        if m.tool_call_id is not None:
            d["tool_call_id"] = m.tool_call_id
        if m.name is not None:
            d["name"] = m.name
        out.append(d)
    return out


def _call(call) -> dict:
    args = call.function.arguments
    if isinstance(args, str):  # valid records hold the JSON text of an object here (validate checks it)
        args = json.loads(args)
    out: dict[str, Any] = {"type": "function", "function": {"name": call.function.name, "arguments": args}}
    if call.id is not None:
        out["id"] = call.id
    return out


def template_tools(rec) -> list[dict] | None:
    """The record's function definitions as transformers passes them to templates: LLaMA-Factory's bare
    `{"name", "parameters"}` definitions are wrapped as `{"type": "function", "function": {...}}`."""
    if rec.tools is None:
        return None
    return [t if isinstance(t.get("function"), dict) else {"type": "function", "function": t} for t in rec.tools]


def renders_tools(tokenizer) -> bool:
    """Whether the template shows a tool definition, a call's name and arguments, and a tool result."""
    tools = [{"type": "function", "function": {"name": TOOL_PROBE, "description": "probe", "parameters": {
        "type": "object", "properties": {"x": {"type": "string"}}}}}]
    messages = [{"role": "user", "content": USER_PROBE},
                {"role": "assistant", "content": "", "tool_calls": [
                    {"id": "a1b2c3d4e", "type": "function", "function": {"name": TOOL_PROBE,
                                                                      "arguments": {"x": ARGUMENT_PROBE}}}]},
                {"role": "tool", "tool_call_id": "a1b2c3d4e", "name": TOOL_PROBE, "content": RESULT_PROBE},
                {"role": "assistant", "content": ASSISTANT_PROBE}]
    try:
        text = render(tokenizer, messages, tools=tools)
    except Exception:  # noqa: BLE001  any failure (a raise_exception, a missing key) means: no tool support
        return False
    return TOOL_PROBE in text and ARGUMENT_PROBE in text and RESULT_PROBE in text


def probe(tokenizer) -> TemplateQuirks:
    """How the tokenizer's current chat template treats system messages."""
    from jinja2 import TemplateError

    user = {"role": "user", "content": USER_PROBE}
    answer = {"role": "assistant", "content": ASSISTANT_PROBE}
    try:
        with_system = render(tokenizer, [{"role": "system", "content": SYSTEM_PROBE}, user, answer])
        system = "native" if SYSTEM_PROBE in with_system else "dropped"
    except TemplateError:
        with_system, system = None, "rejected"
    default = None
    if system == "native":
        # rendered with a system text S, the conversation is A + S + B; without one it is A + D + B when the
        # template puts a default D in the same place (an empty D: only a fixed header, e.g. Llama 3.1's date)
        head, _, tail = with_system.partition(SYSTEM_PROBE)
        without = render(tokenizer, [user, answer])
        if without.startswith(head) and without.endswith(tail) and len(without) > len(head) + len(tail):
            default = without[len(head): len(without) - len(tail)]
    return TemplateQuirks(system=system, default_system=default, tools=renders_tools(tokenizer))


def conversation(messages: list[dict], quirks: TemplateQuirks, system: str = "fold",
                 default_system: str = "keep") -> tuple[list[dict], str | None]:
    """The messages as they are rendered, and what was changed ("folded", "default-dropped") or None.

    Raises ValueError (the caller names the record) when the template has no system role and system=refuse."""
    has_system = bool(messages) and messages[0]["role"] == "system"
    if has_system and quirks.system != "native":
        if system == "refuse":
            raise ValueError(f"the chat template {'rejects' if quirks.system == 'rejected' else 'drops'} the "
                             "system message: set chat.system=fold (the system text goes in front of the first "
                             "user turn) or remove it from the record")
        rest = [dict(m) for m in messages[1:]]
        first_user = next((m for m in rest if m["role"] == "user"), None)
        if first_user is None:
            raise ValueError("a system message with no user turn to fold it into: add a user turn")
        first_user["content"] = f"{messages[0]['content']}\n\n{first_user['content']}"
        return rest, "folded"
    if not has_system and quirks.default_system and default_system == "drop":
        return [{"role": "system", "content": ""}, *messages], "default-dropped"
    return messages, None
