"""Chat templates: the built-in ChatML template and choosing the template a run trains with.

TRL's `assistant_only_loss` needs `{% generation %}` markers around what the assistant says. The end-of-turn
token sits inside the markers so that the model is trained to stop (see labels.py, which checks it).
"""

from __future__ import annotations

import re

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


def has_generation_markers(template: str) -> bool:
    return re.search(r"\{%-?\s*generation\s*-?%\}", template) is not None


def choose_template(tokenizer, template: str | None, force: bool, assistant_only_loss: bool) -> tuple[str, str]:
    """Set the tokenizer's training template and return (template, where it came from).

    Order: the recipe's template when forced or when the tokenizer has none; else the tokenizer's own; if that has
    no generation markers and the loss is assistant-only, TRL's training variant of it (known families only).
    """
    recipe_template = BUILTIN.get(template, template) if template else None
    own = tokenizer.chat_template if isinstance(tokenizer.chat_template, str) else None
    if recipe_template and (force or not own):
        chosen, origin = recipe_template, "recipe (chat.template)"
    elif own:
        chosen, origin = own, "tokenizer"
    else:
        raise UsageError("the tokenizer has no chat template: set chat.template=chatml or give a Jinja template")
    if assistant_only_loss and not has_generation_markers(chosen):
        from trl.chat_template_utils import get_training_chat_template

        try:
            patched = get_training_chat_template(tokenizer) if origin == "tokenizer" else None
        except ValueError:
            patched = None
        if not patched:
            raise UsageError(f"the chat template ({origin}) has no {{% generation %}} markers, so the assistant "
                             "tokens cannot be found: set chat.template=chatml and chat.force=true, give a template "
                             "with markers, or set train.assistant_only_loss=false")
        chosen, origin = patched, f"{origin}, with TRL's generation markers"
    tokenizer.chat_template = chosen
    return chosen, origin
