"""Token ids and the assistant-only loss mask of a record, from the model's own chat template.

No `{% generation %}` markers are needed: each assistant turn is found by rendering the conversation before it
(with the generation prompt) and the conversation including it, and taking the token difference. The label check,
--show-labels and the trainer's dataset all encode through ChatFormat.encode, so TRL trains exactly the mask
that was checked and shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import TemplateError

from dataforge.errors import DataError, Problem
from dataforge.records import Record
from dataforge.run.chat_format import TemplateQuirks, conversation, template_tools
from dataforge.train.data import chat


@dataclass
class ChatFormat:
    """How records become token ids and a loss mask: the trained template, its end-of-turn ids, and what to do
    with system messages (run/chat_format.py). The label check, --show-labels and the trainer's dataset all
    encode through `encode`, so TRL trains exactly the mask that was checked and shown."""

    tokenizer: object
    stop_ids: list[int]
    quirks: TemplateQuirks = TemplateQuirks(system="native", default_system=None)
    system: str = "fold"
    default_system: str = "keep"

    def messages(self, example: Record) -> tuple[list[dict], str | None]:
        try:
            return conversation(chat(example), self.quirks, self.system, self.default_system)
        except ValueError as exc:
            raise DataError("a record cannot be rendered with the chat template",
                            [Problem(str(example.source), example.line, "messages", str(exc))]) from None

    def encode(self, example: Record, assistant_only: bool = True) -> tuple[list[int], list[int]]:
        """Token ids and the loss mask (1 = the token carries loss)."""
        messages, _ = self.messages(example)
        tools = template_tools(example)

        def ids_of(msgs: list[dict], add_generation_prompt: bool = False) -> list[int]:
            return self._ids(msgs, add_generation_prompt, tools)

        try:
            if not assistant_only:
                ids = ids_of(messages)
                return ids, [1] * len(ids)
            return assistant_mask(self.tokenizer, messages, set(self.stop_ids), ids_of)
        except _NotPrefix as exc:
            raise DataError("the chat template is not prefix-stable, so the assistant tokens cannot be found",
                            [Problem(str(example.source), example.line, f"messages[{exc.turn}]", str(exc))]) \
                from None
        except TemplateError as exc:
            raise DataError("the chat template cannot render a record",
                            [Problem(str(example.source), example.line, "messages", f"the template raised: "
                                     f"{exc}: fix the record, or set chat.template")]) from None

    def _ids(self, messages: list[dict], add_generation_prompt: bool = False, tools: list | None = None) -> list[int]:
        out = self.tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True,
                                                 add_generation_prompt=add_generation_prompt, tools=tools)
        return list(out["input_ids"])


class _NotPrefix(ValueError):
    def __init__(self, turn: int, what: str):
        super().__init__(what)
        self.turn = turn


def assistant_mask(tokenizer, messages: list[dict], stop_ids: set[int], ids_of) -> tuple[list[int], list[int]]:
    """The loss mask from the template itself, no {% generation %} markers needed.

    For each assistant turn i: P = the conversation before it rendered with the generation prompt (so P ends
    with the role header, e.g. "<|im_start|>assistant\\n"), Q = the conversation up to and including it. Q's
    tokens after P are the turn; they carry loss up to and including the last end-of-turn token in them, so what
    a template puts after that token ("\\n" after Qwen's <|im_end|>, Gemma's after <end_of_turn>) does not.
    Tool results are never assistant turns, so they carry no loss; an assistant turn that calls tools is one, so
    its call tokens do (the model learns when and how to call, not what the tools answer).
    P must begin Q and Q must begin the whole conversation (token for token): otherwise the template renders
    earlier turns differently depending on what follows, and no single mask is right.
    """
    full = ids_of(messages)
    mask = [0] * len(full)
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = ids_of(messages[:i], add_generation_prompt=True)
        upto = ids_of(messages[: i + 1])
        if upto[: len(before)] != before:
            raise _NotPrefix(i, "the conversation before this assistant turn, with the generation prompt, does not "
                             "begin the conversation including it (the template changes earlier text when a turn "
                             "follows): give a prefix-stable chat.template with chat.force=true")
        if full[: len(upto)] != upto:
            raise _NotPrefix(i, "the conversation up to this assistant turn does not begin the whole conversation "
                             "(the template renders it differently when more turns follow): give a prefix-stable "
                             "chat.template with chat.force=true")
        end = len(upto)
        last_stop = max((j for j in range(len(before), len(upto)) if upto[j] in stop_ids), default=None)
        if last_stop is not None:
            end = last_stop + 1
        for j in range(len(before), end):
            mask[j] = 1
    return full, mask
