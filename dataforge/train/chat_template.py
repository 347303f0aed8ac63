"""Chat templates: the built-in ChatML template and choosing the template a run trains with.

The run trains with the model's own (inference) template: assistant_mask.py finds the assistant tokens by rendering it,
so no `{% generation %}` markers are needed. The built-in ChatML template still has them, and the tests check
that both ways give the same mask.
"""

from __future__ import annotations

from dataforge.errors import UsageError

CHATML = (
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'assistant' -%}"
    "{{ '<|im_start|>assistant\\n' }}{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}"
    "{{ '\\n' }}"
    "{%- else -%}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\\n' }}{%- endif -%}"
)
BUILTIN = {"chatml": CHATML}


def choose_template(tokenizer, template: str | None, force: bool) -> tuple[str, str]:
    """Set the tokenizer's training template and return (template, where it came from): the recipe's template
    when forced or when the tokenizer has none, else the tokenizer's own."""
    recipe_template = BUILTIN.get(template, template) if template else None
    own = tokenizer.chat_template if isinstance(tokenizer.chat_template, str) else None
    if recipe_template and (force or not own):
        chosen, origin = recipe_template, "recipe (chat.template)"
    elif own:
        chosen, origin = own, "tokenizer"
    else:
        raise UsageError("the tokenizer has no chat template: set chat.template=chatml or give a Jinja template")
    tokenizer.chat_template = chosen
    return chosen, origin
