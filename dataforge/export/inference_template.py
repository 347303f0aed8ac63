"""The chat template a served model needs, from the one it trained with.

Training may use a template with TRL's `{% generation %}` ... `{% endgeneration %}` markers (they tell TRL which
tokens carry loss). An inference engine has no use for them, and some (llama.cpp's Jinja engine, Ollama's
template conversion) cannot parse them, so the merged tokenizer and the GGUF get the template without them: the
same text otherwise, rendering the same prompts (tests/export/test_inference_template.py checks it).

BOS: a template that writes `bos_token` itself (Llama 3, Mistral, Gemma) relies on the runtime adding no second
one when tokenizing, and llama.cpp/Ollama add BOS exactly when the GGUF's add_bos_token says so. So the GGUF says
add_bos_token=true for those templates and the Ollama TEMPLATE leaves BOS out; for templates that do not write it
(ChatML: Qwen, SmolLM2, whose bos_token happens to be <|im_start|>) add_bos_token=false and the TEMPLATE keeps
every token, including a first <|im_start|>.
"""

from __future__ import annotations

import re

_TAG = re.compile(r"\{%(-?)\s*(?:end)?generation\s*(-?)%\}")
_BOS = re.compile(r"\bbos_token\b")


def has_generation_markers(template: str | None) -> bool:
    return bool(template) and _TAG.search(template) is not None


def inference_template(template: str | None) -> str | None:
    """`template` without generation tags; a tag's whitespace control is kept as an empty Jinja comment."""
    if not template:
        return template
    return _TAG.sub(lambda m: f"{{#{m.group(1)} {m.group(2)}#}}" if m.group(1) or m.group(2) else "", template)


def renders_bos(template: str | None) -> bool:
    """Whether the template writes the BOS token text itself (then the runtime must add BOS, not the TEMPLATE)."""
    return bool(template) and _BOS.search(template) is not None
