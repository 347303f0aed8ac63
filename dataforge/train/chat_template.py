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
# End-of-turn tokens of common template families, tried in order when the recipe names none.
KNOWN_END_OF_TURN = ("<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>", "<|endoftext|>", "</s>")


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


def end_of_turn_ids(tokenizer, name: str | None) -> list[int]:
    """Token ids that may end an assistant turn; the label-mask check requires one of them to carry loss."""
    vocab = tokenizer.get_vocab()
    if name:
        if name not in vocab:
            raise UsageError(f"chat.end_of_turn: {name!r} is not a token of the tokenizer")
        return [vocab[name]]
    ids = [vocab[t] for t in KNOWN_END_OF_TURN if t in vocab and t in tokenizer.all_special_tokens
           and t != tokenizer.pad_token]  # padding is never a stop token, even when it is called <|endoftext|>
    if tokenizer.eos_token_id is not None:
        ids.append(tokenizer.eos_token_id)
    return sorted(set(ids))
