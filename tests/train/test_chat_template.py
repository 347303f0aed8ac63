from __future__ import annotations

import copy

import pytest

from dataforge.errors import UsageError
from dataforge.run.end_of_turn import end_of_turn_ids
from dataforge.train.chat_template import CHATML, choose_template

PLAIN = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}")


@pytest.fixture
def bare(tiny_tokenizer):
    t = copy.deepcopy(tiny_tokenizer)
    t.chat_template = None
    return t


def test_the_recipe_template_is_used_when_the_tokenizer_has_none(bare):
    template, origin = choose_template(bare, "chatml", force=False)
    assert template == CHATML and origin == "recipe (chat.template)" and bare.chat_template == CHATML


def test_the_tokenizer_template_wins_unless_forced(tiny_tokenizer):
    t = copy.deepcopy(tiny_tokenizer)
    own = t.chat_template
    assert choose_template(t, PLAIN, force=False) == (own, "tokenizer")
    assert choose_template(t, PLAIN, force=True)[0] == PLAIN


def test_no_template_anywhere_is_a_usage_error(bare):
    with pytest.raises(UsageError, match="set chat.template=chatml"):
        choose_template(bare, None, force=False)


def test_a_template_without_generation_markers_is_used_as_it_is(bare):
    assert choose_template(bare, PLAIN, force=False) == (PLAIN, "recipe (chat.template)")


def test_end_of_turn_is_the_template_stop_token_not_padding(tiny_tokenizer):
    assert tiny_tokenizer.convert_ids_to_tokens(end_of_turn_ids(tiny_tokenizer, None)) == ["<|im_end|>"]
    with pytest.raises(UsageError, match="is not a token"):
        end_of_turn_ids(tiny_tokenizer, "<eot>")

