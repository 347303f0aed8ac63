from __future__ import annotations

import pytest

from dataforge.errors import DataError
from dataforge.records import Record
from dataforge.run.end_of_turn import end_of_turn_ids
from dataforge.train.assistant_mask import ChatFormat
from dataforge.train.labels import check_labels, render_labels, spans

CHAT = [{"role": "user", "content": "Ankara'nın nüfusu kaç?"}, {"role": "assistant", "content": "Yaklaşık 5,8 milyon."},
        {"role": "user", "content": "Peki İzmir'in?"}, {"role": "assistant", "content": "Yaklaşık 4,5 milyon."}]


def ex(messages, line=1):
    return Record.model_validate({"messages": messages, "source": "data.jsonl", "line": line})


def fmt(tok):
    return ChatFormat(tok, end_of_turn_ids(tok, None))


def test_spans_are_runs_of_ones():
    assert spans([0, 1, 1, 0, 1]) == [(1, 3), (4, 5)]


def test_a_good_record_passes_and_only_assistant_tokens_carry_loss(tok):
    report = check_labels([ex(CHAT)], fmt(tok), 512)
    assert (report.records, report.truncated, report.problems) == (1, 0, [])
    shown = render_labels(fmt(tok), ex(CHAT), 512)
    assert "⟦Yaklaşık 5,8 milyon.<|im_end|>⟧" in shown and "⟦Yaklaşık 4,5 milyon.<|im_end|>⟧" in shown
    assert "⟦Ankara" not in shown and shown.startswith("data.jsonl:1:")


def test_a_record_without_trainable_tokens_fails(tok):
    with pytest.raises(DataError) as err:
        check_labels([ex(CHAT), ex(CHAT[:1], line=2)], fmt(tok), 512)
    lines = err.value.lines()
    assert lines[0] == "label-mask check failed on 1 of 2 records"
    assert lines[1].startswith("data.jsonl:2: messages: no token carries loss")


def test_a_template_that_ends_no_assistant_turn_fails(tok):
    # a template that closes user turns but writes the assistant's text bare: the model would never learn to stop
    tok.chat_template = ("{% for m in messages %}{% if m['role'] == 'assistant' %}"
                         "{{ '<|im_start|>assistant\n' + m['content'] + '\n' }}"
                         "{% else %}{{ '<|im_start|>user\n' + m['content'] + '<|im_end|>\n' }}{% endif %}"
                         "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
    with pytest.raises(DataError) as err:
        check_labels([ex(CHAT)], fmt(tok), 512)
    lines = err.value.lines()[1:]
    assert [line.split(": ")[1] for line in lines] == ["messages[1]", "messages[3]"]
    assert "end-of-turn/EOS token carries no loss" in lines[0]


def test_truncation_that_removes_every_assistant_token_fails(tok):
    long_prompt = [{"role": "user", "content": "Çok uzun bir soru " * 40}, {"role": "assistant", "content": "Evet."}]
    with pytest.raises(DataError) as err:
        check_labels([ex(CHAT), ex(long_prompt, line=7)], fmt(tok), 64)
    assert err.value.lines()[1].startswith("data.jsonl:7: messages: truncation at train.max_length=64 removes every "
                                           "assistant token")


def test_partial_truncation_is_counted_not_fatal(tok):
    long_answer = [{"role": "user", "content": "Anlat."}, {"role": "assistant", "content": "Uzun bir cevap. " * 40}]
    report = check_labels([ex(CHAT), ex(long_answer, 2)], fmt(tok), 120)
    assert report.truncated == 1 and report.records == 2
    assert "1 truncated at train.max_length=120" in report.summary(120)
    assert "✂" in render_labels(fmt(tok), ex(long_answer), 120)


def test_a_template_that_is_not_prefix_stable_names_the_record_and_turn(tok):
    # the turn count leaks into every turn: rendering a prefix gives other text than the whole conversation
    tok.chat_template = ("{% for m in messages %}{{ '<|im_start|>' + m['role'] + ' ' + messages|length|string + "
                         "'\n' + m['content'] + '<|im_end|>\n' }}{% endfor %}"
                         "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
    with pytest.raises(DataError) as err:
        check_labels([ex(CHAT, line=4)], fmt(tok), 512)
    assert err.value.lines()[1].startswith("data.jsonl:4: messages[1]: the conversation before this assistant turn")


def test_template_prefixes_give_the_same_mask_as_generation_markers(tok):
    from dataforge.train.assistant_mask import assistant_mask

    marked = tok.apply_chat_template(CHAT, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    f = fmt(tok)
    ids, mask = assistant_mask(tok, CHAT, set(f.stop_ids), f._ids)
    assert ids == list(marked["input_ids"]) and mask == list(marked["assistant_masks"]) and sum(mask) > 10
