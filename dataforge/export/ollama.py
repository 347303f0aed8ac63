"""An Ollama Modelfile whose TEMPLATE renders what the model's own chat template renders, and whose stops end
generation.

The endless-generation bug: Ollama stops only at the tokens it is told about. A ChatML model ends its turn with
<|im_end|>, a Llama 3 model with <|eot_id|>; if those are not `stop` parameters (and EOS too), the model runs on
into a made-up next turn. So the stops are: EOS, the text that closes an assistant turn, and the special tokens
that open a user turn.

The TEMPLATE is derived, not looked up by model name: the HF chat template (Jinja) is rendered with sentinel
messages, which yields each role's prefix and suffix, the generation prompt, and how the template places a system
message. The shapes seen in the families supported (Llama-3/3.1/3.2, Qwen2/2.5/3, Mistral v0.3, Gemma-2/3,
ChatML/SmolLM2):
- a system turn of its own (ChatML, Llama 3), perhaps with a default text when the conversation has none
  (Qwen2.5's "You are Qwen...", SmolLM2's, Llama 3.1's empty system turn with its knowledge-cutoff lines);
- the system text folded into the first user turn (Gemma-3) or the last one (Mistral v0.3), joined by "\\n\\n";
- no system role at all (Gemma-2 raises): the TEMPLATE folds it into the first user turn as Gemma-3 does.
The derivation is checked by re-assembling several conversations (with and without a system message,
multi-turn, Turkish) and comparing them with the Jinja rendering; a template that fails the check gets no
TEMPLATE (Ollama then falls back to the GGUF's chat template; the report says so). Known limits: templates that
`trim` message content (Llama 3, Gemma, Mistral's assistant turns) differ for content with leading or trailing
whitespace; Llama 3.2's "Today Date" is fixed at export time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from dataforge.errors import UsageError
from dataforge.export.inference_template import renders_bos
from dataforge.run.end_of_turn import GENERATION_STOPS

S, U1, A1, U2 = "\x01SYSTEM\x01", "\x01USER1\x01", "\x01ASSISTANT1\x01", "\x01USER2\x01"
FOLD_SEPARATOR = "\n\n"  # Gemma-3's and Mistral v0.3's own separator between folded system text and the user's


@dataclass
class Wrappers:
    user: tuple[str, str]
    assistant: tuple[str, str]
    generation: str = ""                       # what add_generation_prompt appends
    system: tuple[str, str] | None = None      # a system turn of its own; None: folded into a user turn
    default_system: str | None = None          # the system turn's text when the conversation has none
    fold: str | None = None                    # "first" | "last": the user turn that takes the system text
    system_supported: bool = True              # False: the template rejects a system message (Gemma-2)
    bos: str = ""                              # BOS text the template writes first: the runtime adds it


def _render(tok, messages: list[dict], gen: bool) -> str:
    return tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen)


def _between(text: str, a: str, b: str) -> str:
    return text[text.index(a) + len(a):text.index(b)]


def _msg(role: str, content: str) -> dict:
    return {"role": role, "content": content}


def derive_wrappers(tok) -> Wrappers:
    """The template's shape; UsageError when it does not decompose into per-role wrappers."""
    template = getattr(tok, "chat_template", None)
    if not template:
        raise UsageError("tokenizer has no chat_template: set one in tokenizer_config.json before --ollama")
    u1, a1, u2 = _msg("user", U1), _msg("assistant", A1), _msg("user", U2)
    try:
        one, gen1 = _render(tok, [u1], False), _render(tok, [u1], True)
        answered, full = _render(tok, [u1, a1], False), _render(tok, [u1, a1, u2], False)
    except Exception as exc:  # a template may reject what it does not expect: report it in one line
        raise UsageError(f"chat template cannot render a plain user/assistant conversation: {exc}") from None
    if not gen1.startswith(one):
        raise UsageError("chat template: the generation prompt is not appended to the conversation")
    bos = tok.bos_token if tok.bos_token and renders_bos(template) and one.startswith(tok.bos_token) else ""
    head, user_suf = one[len(bos):one.index(U1)], one[one.index(U1) + len(U1):]
    asst_suf = answered[answered.index(A1) + len(A1):]
    mid, tail = _between(full, U1, A1), _between(full, A1, U2)
    if not mid.startswith(user_suf) or not tail.startswith(asst_suf) or not head.endswith(tail[len(asst_suf):]):
        raise UsageError("chat template: the user turn is not a fixed prefix/suffix around its content")
    user_pre = tail[len(asst_suf):]
    w = Wrappers(user=(user_pre, user_suf), assistant=(mid[len(user_suf):], asst_suf),
                 generation=gen1[len(one):], bos=bos)
    _derive_system(tok, w, default_block=head[:len(head) - len(user_pre)])
    for conv in CHECKS:
        if w.bos + assemble(w, conv) != _render(tok, _expected(w, conv), True):
            raise UsageError("chat template: re-assembling a conversation from per-role wrappers does not match it")
    return w


def _derive_system(tok, w: Wrappers, default_block: str) -> None:
    s = _msg("system", S)
    try:
        with_sys = _render(tok, [s, _msg("user", U1)], False)[len(w.bos):]
        multi = _render(tok, [s, _msg("user", U1), _msg("assistant", A1), _msg("user", U2)], False)
    except Exception:  # Gemma-2: "System role not supported": fold it into the first user turn, as Gemma-3 does
        w.system_supported, w.fold = False, "first"
        return
    before, after = with_sys[:with_sys.index(S)], _between(with_sys, S, U1)
    if before == w.user[0] and after == FOLD_SEPARATOR:
        w.fold = "first" if S + FOLD_SEPARATOR + U1 in multi else "last"
    elif after.endswith(w.user[0]):
        pre, suf = before, after[:len(after) - len(w.user[0])]
        w.system = (pre, suf)
        if default_block:
            if not (default_block.startswith(pre) and default_block.endswith(suf)):
                raise UsageError("chat template: the default system turn differs from a given one's wrappers")
            w.default_system = default_block[len(pre):len(default_block) - len(suf)]
    else:
        raise UsageError("chat template: a system message is neither a turn of its own nor part of a user turn")


def _system_text(messages: list[dict]) -> str | None:
    texts = [m["content"] for m in messages if m["role"] == "system"]
    return texts[-1] if texts else None


def _fold_target(w: Wrappers, messages: list[dict]) -> int | None:
    users = [i for i, m in enumerate(messages) if m["role"] == "user"]
    if not users or w.fold is None:
        return None
    return users[0] if w.fold == "first" else users[-1]


def _expected(w: Wrappers, messages: list[dict]) -> list[dict]:
    """What the HF template is given for a conversation: unchanged, or with the system text folded by hand when
    the template rejects a system role (the TEMPLATE folds it the same way)."""
    if w.system_supported or _system_text(messages) is None:
        return messages
    rest = [m for m in messages if m["role"] != "system"]
    target = _fold_target(w, rest)
    return [_msg(m["role"], _system_text(messages) + FOLD_SEPARATOR + m["content"]) if i == target else m
            for i, m in enumerate(rest)]


def assemble(w: Wrappers, messages: list[dict]) -> str:
    """What the generated Go template renders, in Python (used to check the derivation)."""
    system = _system_text(messages)
    rest = [m for m in messages if m["role"] != "system"]
    out = []
    if w.system and system is not None:
        out.append(w.system[0] + system + w.system[1])
    elif w.system and w.default_system is not None:
        out.append(w.system[0] + w.default_system + w.system[1])
    target = _fold_target(w, rest) if system is not None else None
    for i, m in enumerate(rest):
        pre, suf = w.user if m["role"] == "user" else w.assistant
        content = system + FOLD_SEPARATOR + m["content"] if i == target else m["content"]
        last_answer = i == len(rest) - 1 and m["role"] == "assistant"  # Ollama: a prefill to continue
        out.append(pre + content + ("" if last_answer else suf))
    if rest and rest[-1]["role"] != "assistant":
        out.append(w.generation)
    return "".join(out)


def go_template(w: Wrappers) -> str:
    """The Ollama TEMPLATE (Go text/template over .Messages), on one line: no `{{-` trimming after a literal,
    because it would also eat the newline that ends a role suffix such as "<|im_end|>\\n". BOS is left out: the
    GGUF's add_bos_token makes the runtime add it (see inference_template.py)."""
    def lit(s: str) -> str:
        return s.replace("{{", '{{ "{{" }}')

    out = ('{{- $system := "" }}{{- $has := false }}{{- $first := -1 }}{{- $lastUser := -1 }}'
           '{{- range $i, $m := .Messages }}{{ if eq $m.Role "system" }}{{ $system = $m.Content }}{{ $has = true }}'
           '{{ else if eq $m.Role "user" }}{{ if lt $first 0 }}{{ $first = $i }}{{ end }}{{ $lastUser = $i }}'
           '{{ end }}{{ end }}')
    if w.system:
        pre, suf = (lit(x) for x in w.system)
        out += f"{{{{ if $has }}}}{pre}{{{{ $system }}}}{suf}"
        if w.default_system is not None:
            out += f"{{{{ else }}}}{pre}{lit(w.default_system)}{suf}"
        out += "{{ end }}"
    target = {"first": "$first", "last": "$lastUser"}.get(w.fold or "")
    fold = f"{{{{ if and $has (eq $i {target}) }}}}{{{{ $system }}}}{lit(FOLD_SEPARATOR)}{{{{ end }}}}" if target \
        else ""
    (upre, usuf), (apre, asuf) = w.user, w.assistant
    out += ('{{- range $i, $m := .Messages }}{{ $last := eq (len (slice $.Messages $i)) 1 }}'
            f'{{{{ if eq $m.Role "user" }}}}{lit(upre)}{fold}{{{{ $m.Content }}}}{lit(usuf)}'
            f'{{{{ else if eq $m.Role "assistant" }}}}{lit(apre)}{{{{ $m.Content }}}}'
            f'{{{{ if not $last }}}}{lit(asuf)}{{{{ end }}}}{{{{ end }}}}'
            f'{{{{ if and $last (ne $m.Role "assistant") }}}}{lit(w.generation)}{{{{ end }}}}{{{{ end }}}}')
    return out


# conversations the derivation must reproduce exactly: system or not, one turn or several, Turkish text
CHECKS = [
    [_msg("user", "Merhaba!")],
    [_msg("system", "Sen yardımsever bir asistansın."), _msg("user", "Türkiye'nin başkenti neresidir?")],
    [_msg("system", "Kısa cevap ver."), _msg("user", "Merhaba!"), _msg("assistant", "Merhaba, buyrun."),
     _msg("user", "Nasılsın?")],
    [_msg("user", "İstanbul'da kaç ilçe var?"), _msg("assistant", "İstanbul'da 39 ilçe vardır."),
     _msg("user", "En kalabalığı hangisi? Işık, ğ, ş, ü, ö, ç.")],
]

_MARKER = re.compile(r"<\|[^<>|]+\|>|<[a-z_/][^<>\s]*>|\[/?[A-Z_]+\]")


def stop_tokens(tok, w: Wrappers | None) -> list[str]:
    """EOS, the end-of-turn text of an assistant turn, and markers that open a user turn."""
    stops: list[str] = []
    if w:
        stops += _MARKER.findall(w.assistant[1]) + _MARKER.findall(w.user[0])
    stops.append(tok.eos_token)
    specials = set(getattr(tok, "all_special_tokens", None) or []) | set(tok.get_added_vocab())
    stops += [t for t in GENERATION_STOPS if t in specials]
    return list(dict.fromkeys(s for s in stops if s))


def write_modelfile(tok, gguf_path: Path, out: Path) -> dict:
    """OUT/Modelfile next to the GGUF (FROM is relative, so the folder can be moved as a whole)."""
    try:
        w = derive_wrappers(tok)
        template, note = go_template(w), None
    except UsageError as exc:
        w, template, note = None, None, f"no TEMPLATE: {exc}; Ollama uses the GGUF's chat template"
    stops = stop_tokens(tok, w)
    lines = [f"# written by dataforge export; create with: ollama create NAME -f {out.name}",
             f"FROM ./{Path(gguf_path).name}"]
    if template:
        lines.append(f'TEMPLATE """{template}"""')
    if note:
        lines.append(f"# {note}")
    lines += [f'PARAMETER stop "{s}"' for s in stops]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"path": str(out), "stops": stops, "template": template is not None, "note": note,
            "system": None if w is None else ("own turn" if w.system else f"folded into the {w.fold} user turn")}
