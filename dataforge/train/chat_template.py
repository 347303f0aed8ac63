"""Chat templates: the built-in ChatML template and choosing the template a run trains with.

The run trains with the model's own (inference) template: assistant_mask.py finds the assistant tokens by rendering it,
so no `{% generation %}` markers are needed. The built-in ChatML template still has them, and the tests check
that both ways give the same mask.
"""

from __future__ import annotations

from dataforge.errors import UsageError

# Tools in the Hermes/Qwen2.5 style: the definitions as JSON lines inside <tools> in the system turn, each call as
# <tool_call> JSON in the assistant turn (inside the generation markers: the model learns to call), results as a
# `tool` turn (no loss). Records without tools render exactly as before.
CHATML = (
    "{%- if tools -%}"
    "{{ '<|im_start|>system\\n' }}"
    "{%- if messages[0]['role'] == 'system' -%}{{ messages[0]['content'] + '\\n\\n' }}{%- endif -%}"
    "{{ '# Tools\\n\\nYou may call one or more functions. Function signatures are within <tools></tools>:\\n"
    "<tools>' }}"
    "{%- for tool in tools -%}{{ '\\n' }}{{ tool | tojson }}{%- endfor -%}"
    "{{ '\\n</tools>\\n\\nFor each call, return a JSON object with the function name and arguments within "
    "<tool_call></tool_call> tags.<|im_end|>\\n' }}"
    "{%- endif -%}"
    "{%- for message in messages -%}"
    "{%- if tools and loop.first and message['role'] == 'system' -%}"
    "{%- elif message['role'] == 'assistant' -%}"
    "{{ '<|im_start|>assistant\\n' }}{% generation %}{{ message['content'] }}"
    "{%- for call in message.tool_calls or [] -%}"
    "{%- if message['content'] or not loop.first -%}{{ '\\n' }}{%- endif -%}"
    "{{ '<tool_call>\\n' }}{{ {'name': call.function.name, 'arguments': call.function.arguments} | tojson }}"
    "{{ '\\n</tool_call>' }}"
    "{%- endfor -%}"
    "{{ '<|im_end|>' }}{% endgeneration %}"
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
