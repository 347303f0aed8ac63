"""Real tokenizers and chat templates (tests/train/families.py): the loss mask is exactly each assistant turn's
content and the end-of-turn token, with the model's own template and no overrides."""

from __future__ import annotations

import pytest

from dataforge.errors import DataError
from dataforge.records import Record
from dataforge.run.chat_format import probe
from dataforge.run.end_of_turn import end_of_turn_ids
from dataforge.train.assistant_mask import ChatFormat
from dataforge.train.labels import spans

SYSTEM = "Kısa ve doğru yanıt ver."
TURNS = [("İstanbul'un nüfusu ne kadar?", "Yaklaşık 15,7 milyon; Türkiye'nin en kalabalık şehri."),
         ("Peki Iğdır'ın?", "Iğdır'ın nüfusu yaklaşık 200 bin kişidir.")]
SLOW = pytest.mark.slow  # the 128k/152k-token vocabularies take ~15 s each to convert
# family: (end-of-turn token, what the template does with a system message, default system prompt)
EXPECTED = {
    "llama3": ("<|eot_id|>", "native", None),
    "llama3.1": ("<|eot_id|>", "native", None),
    "qwen2.5": ("<|im_end|>", "native", "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."),
    "mistral-v0.3": ("</s>", "dropped", None),
    "gemma2": ("<end_of_turn>", "rejected", None),
    "gemma3": ("<end_of_turn>", "native", None),
}
FAMILIES = [pytest.param(f, marks=() if f.startswith("gemma") else SLOW) for f in EXPECTED]


def record(system: bool, turns=TURNS) -> Record:
    messages = [{"role": "system", "content": SYSTEM}] if system else []
    for question, answer in turns:
        messages += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    return Record.model_validate({"messages": messages, "source": "chat.jsonl", "line": 3})


def chat_format(family_dir, family: str) -> ChatFormat:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(family_dir(family))
    return ChatFormat(tok, end_of_turn_ids(tok, None), probe(tok))


@pytest.mark.parametrize("family", FAMILIES)
def test_the_template_quirks_are_found_by_rendering(family_dir, family):
    fmt = chat_format(family_dir, family)
    eot, system, default = EXPECTED[family]
    assert fmt.tokenizer.convert_ids_to_tokens(fmt.stop_ids)[0] == eot or eot in \
        fmt.tokenizer.convert_ids_to_tokens(fmt.stop_ids)
    assert (fmt.quirks.system, fmt.quirks.default_system) == (system, default)


@pytest.mark.parametrize("system", [False, True], ids=["no-system", "system"])
@pytest.mark.parametrize("family", FAMILIES)
def test_loss_is_exactly_the_assistant_content_and_end_of_turn(family_dir, family, system):
    fmt = chat_format(family_dir, family)
    tok, eot = fmt.tokenizer, EXPECTED[family][0]
    ids, mask = fmt.encode(record(system))
    trained = [tok.decode(ids[a:b]) for a, b in spans(mask)]
    # Mistral's template writes " " + content: sentencepiece makes that space part of the first word's token
    assert [t.lstrip(" ") for t in trained] == [answer + eot for _, answer in TURNS]
    # token by token: each run of loss is the content's own tokens, then one end-of-turn token, and the token
    # before it closes the role header (never the header's text or a newline after the end of turn)
    eot_id = tok.convert_tokens_to_ids(eot)
    for (a, b), (_, answer) in zip(spans(mask), TURNS, strict=True):
        assert ids[b - 1] == eot_id and eot_id not in ids[a: b - 1]
        assert tok.decode(ids[a: b - 1]).strip() == answer
        assert b == len(ids) or mask[b] == 0
    assert sum(mask) == sum(b - a for a, b in spans(mask))
    if EXPECTED[family][1] != "native" and system:  # folded into the first user turn, never trained
        text = tok.decode(ids)
        assert f"{SYSTEM}\n\n{TURNS[0][0]}" in text and SYSTEM not in "".join(trained)


@SLOW
def test_qwen_default_system_prompt_is_kept_or_dropped(family_dir):
    fmt = chat_format(family_dir, "qwen2.5")
    kept = fmt.tokenizer.decode(fmt.encode(record(False))[0])
    assert kept.startswith("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud.")
    fmt.default_system = "drop"
    dropped = fmt.tokenizer.decode(fmt.encode(record(False))[0])
    assert dropped.startswith("<|im_start|>system\n<|im_end|>\n<|im_start|>user\nİstanbul")


def test_gemma_system_refused_names_the_record(family_dir):
    from dataforge.train.labels import check_labels

    fmt = chat_format(family_dir, "gemma2")
    fmt.system = "refuse"
    with pytest.raises(DataError) as err:
        check_labels([record(False), record(True)], fmt, 1024)
    assert err.value.lines()[1].startswith("chat.jsonl:3: messages: the chat template rejects the system message: "
                                           "set chat.system=fold")


@SLOW
def test_qwen3_multi_turn_is_not_prefix_stable_and_says_which_turn(family_dir):
    # Qwen3's template writes an empty <think></think> block into the last assistant turn only, so an earlier
    # turn renders differently once another follows
    fmt = chat_format(family_dir, "qwen3")
    ids, mask = fmt.encode(record(False, TURNS[:1]))
    assert fmt.tokenizer.decode([i for i, m in zip(ids, mask) if m]) == \
        f"<think>\n\n</think>\n\n{TURNS[0][1]}<|im_end|>"
    with pytest.raises(DataError) as err:
        fmt.encode(record(False))
    assert err.value.lines()[1].startswith("chat.jsonl:3: messages[1]: the conversation up to this assistant turn")


@pytest.mark.parametrize("family", ["llama3", "qwen2.5", "gemma2"])
def test_a_marked_training_template_gives_the_same_mask(family_dir, family):
    """TRL's {% generation %} variants of the same templates give the same mask (Llama 3), except for the
    newlines around the role header that they also train: Qwen2.5's "\n" after "<|im_start|>assistant" and
    after <|im_end|> (the issue's complaint), Gemma's "\n" after <end_of_turn>. Those are the only differences."""
    from tests.train.families import FAMILIES as SPEC
    from tests.train.families import template_text

    if family != "gemma2":
        pytest.importorskip("tiktoken")
    fmt = chat_format(family_dir, family)
    messages = fmt.messages(record(family != "gemma2"))[0]
    ids, mask = fmt.encode(record(family != "gemma2"))
    training = template_text(SPEC[family][1].replace(".jinja", "_training.jinja"))
    marked = fmt.tokenizer.apply_chat_template(messages, chat_template=training, tokenize=True, return_dict=True,
                                               return_assistant_tokens_mask=True)
    assert list(marked["input_ids"]) == ids
    extra = [i for i, (a, b) in enumerate(zip(marked["assistant_masks"], mask, strict=True)) if a != b]
    around = [fmt.tokenizer.decode(ids[i - 1: i + 1]) for i in extra]
    assert around == {"llama3": [], "qwen2.5": ["assistant\n", "<|im_end|>\n"] * 2,
                      "gemma2": ["<end_of_turn>\n"] * 2}[family]


def test_show_labels_says_the_system_text_was_folded(family_dir):
    from dataforge.train.labels import render_labels

    shown = render_labels(chat_format(family_dir, "gemma2"), record(True), 1024)
    assert shown.startswith("chat.jsonl:3 (the template has no system role: system text folded into the first "
                            "user turn, chat.system=fold):\n<bos><start_of_turn>user\nKısa ve doğru yanıt ver.\n\n")
    assert "⟦Yaklaşık 15,7 milyon; Türkiye'nin en kalabalık şehri.<end_of_turn>⟧\n" in shown


@SLOW
def test_show_labels_says_the_default_system_prompt_is_added(family_dir):
    from dataforge.train.labels import render_labels

    shown = render_labels(chat_format(family_dir, "qwen2.5"), record(False), 1024)
    assert shown.startswith("chat.jsonl:3 (no system message: the template adds its default 'You are Qwen, "
                            "created by Alibaba Cloud. You are a helpful assistant.', chat.default_system=keep):\n")
    assert "<|im_start|>assistant\n⟦Yaklaşık 15,7 milyon; Türkiye'nin en kalabalık şehri.<|im_end|>⟧\n" in shown
