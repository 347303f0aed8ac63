"""An Ollama Modelfile whose TEMPLATE follows the model's own chat template and whose stops end generation.

The endless-generation bug: Ollama stops only at the tokens it is told about. A ChatML model ends its turn with
<|im_end|>, a Llama 3 model with <|eot_id|>; if those are not `stop` parameters (and EOS too), the model runs on
into a made-up next turn. So the stops are: EOS, the text that closes an assistant turn, and the special tokens
that open a user turn.

The TEMPLATE is derived, not guessed from the model name: the HF chat template (Jinja) is rendered with sentinel
messages, which yields each role's prefix and suffix; then the Go template is built from them, and the derivation
is checked by re-assembling a multi-turn conversation and comparing it with the Jinja rendering. Templates that do
not decompose into per-role wrappers (Llama 2/Mistral [INST] with the system prompt folded into the first user
turn) fail that check: the Modelfile then has no TEMPLATE, and Ollama falls back to the chat template stored in
the GGUF metadata (the report says so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from dataforge.errors import UsageError
from dataforge.run.end_of_turn import GENERATION_STOPS

S, U1, A1, U2 = "\x01SYSTEM\x01", "\x01USER1\x01", "\x01ASSISTANT1\x01", "\x01USER2\x01"


@dataclass
class Wrappers:
    system: tuple[str, str] | None
    user: tuple[str, str]
    assistant: tuple[str, str]
    bos: str = ""


def _render(tok, messages: list[dict], gen: bool) -> str:
    return tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen)


def _between(text: str, a: str, b: str) -> str:
    return text[text.index(a) + len(a):text.index(b)]


def derive_wrappers(tok) -> Wrappers:
    """Role prefixes/suffixes of the chat template; UsageError when the template does not decompose."""
    if not getattr(tok, "chat_template", None):
        raise UsageError("tokenizer has no chat_template: set one in tokenizer_config.json before --ollama")
    conv = [{"role": "user", "content": U1}, {"role": "assistant", "content": A1}, {"role": "user", "content": U2}]
    try:
        one = _render(tok, conv[:1], False)
        full = _render(tok, conv, True)
    except Exception as exc:  # a template may reject what it does not expect: report it in one line
        raise UsageError(f"chat template cannot render a plain user/assistant conversation: {exc}") from None
    head = one[:one.index(U1)]
    bos = tok.bos_token if tok.bos_token and head.startswith(tok.bos_token) else ""
    user = (head[len(bos):], one[one.index(U1) + len(U1):])
    if not _between(full, U1, A1).startswith(user[1]) or not _between(full, A1, U2).endswith(user[0]):
        raise UsageError("chat template: the user turn is not a fixed prefix/suffix around its content")
    assistant = (_between(full, U1, A1)[len(user[1]):], _between(full, A1, U2)[:-len(user[0]) or None])
    system = None
    try:
        with_sys = _render(tok, [{"role": "system", "content": S}] + conv[:1], False)
        between = _between(with_sys, S, U1)
        if between.endswith(user[0]):
            system = (with_sys[len(bos):with_sys.index(S)], between[:len(between) - len(user[0])])
    except Exception:  # templates that refuse a system role: leave system messages out of the TEMPLATE
        system = None
    w = Wrappers(system, user, assistant, bos)
    check = [{"role": "system", "content": "Sen yardımsever bir asistansın."}] if system else []
    check += [{"role": "user", "content": "Merhaba!"}, {"role": "assistant", "content": "Merhaba, buyrun."},
              {"role": "user", "content": "Nasılsın?"}]
    if bos + assemble(w, check) != _render(tok, check, True):
        raise UsageError("chat template: re-assembling a conversation from per-role wrappers does not match it")
    return w


def assemble(w: Wrappers, messages: list[dict]) -> str:
    """What the generated Go template renders, in Python (used to check the derivation)."""
    out = []
    for m in messages:
        pre, suf = {"system": w.system, "user": w.user, "assistant": w.assistant}[m["role"]]
        out.append(pre + m["content"] + suf)
    if messages and messages[-1]["role"] != "assistant":
        out.append(w.assistant[0])
    return "".join(out)


def go_template(w: Wrappers) -> str:
    """The Ollama TEMPLATE (Go text/template over .Messages), on one line: no `{{-` trimming after a literal,
    because it would also eat the newline that ends a role suffix such as "<|im_end|>\n".
    BOS is left out: llama.cpp adds it itself."""
    def lit(s: str) -> str:
        return s.replace("{{", '{{ "{{" }}')

    branches = [(role, pair) for role, pair in (("system", w.system), ("user", w.user)) if pair]
    out = "{{- range $i, $_ := .Messages }}{{ $last := eq (len (slice $.Messages $i)) 1 }}"
    for n, (role, (pre, suf)) in enumerate(branches):
        out += f'{{{{ {"if" if n == 0 else "else if"} eq .Role "{role}" }}}}{lit(pre)}{{{{ .Content }}}}{lit(suf)}'
    pre, suf = w.assistant
    out += f'{{{{ else if eq .Role "assistant" }}}}{lit(pre)}{{{{ .Content }}}}{{{{ if not $last }}}}{lit(suf)}'
    out += "{{ end }}{{ end }}"
    out += f'{{{{ if and $last (ne .Role "assistant") }}}}{lit(pre)}{{{{ end }}}}{{{{ end }}}}'
    return out


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
    return {"path": str(out), "stops": stops, "template": template is not None, "note": note}
