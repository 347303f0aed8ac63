"""What a chat template does with system messages, found by rendering: the real templates of Qwen2.5, Llama 3/3.1,
Mistral v0.3 and Gemma-2/3 (tests/train/families.py finds them) on a word-level tokenizer: rendering needs no
real vocabulary."""

from __future__ import annotations

import copy

import pytest

from dataforge.run.chat_format import TemplateQuirks, conversation, probe
from tests.train.families import template_text

MESSAGES = [{"role": "system", "content": "Kısa yaz."}, {"role": "user", "content": "Merhaba"},
            {"role": "assistant", "content": "Selam"}]


@pytest.fixture(scope="module")
def words():
    pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(vocab={"[UNK]": 0, "<s>": 1, "</s>": 2}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", bos_token="<s>", eos_token="</s>")


@pytest.fixture
def with_template(words):
    def make(name: str):
        tok = copy.deepcopy(words)
        tok.chat_template = template_text(name)
        return tok

    return make


# the templates that render tool definitions, calls and results (Mistral v0.3's wants 9-character call ids: the
# probe uses one); Llama-3 and the Gemmas have no tool support, and Gemma rejects the tool role
TOOL_TEMPLATES = {"qwen2_5.jinja", "llama3_1.jinja", "mistral_v0.3.jinja"}


@pytest.mark.parametrize(("template", "system", "default"), [
    ("qwen2_5.jinja", "native", "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."),
    ("llama3_1.jinja", "native", None),  # its date header is always there, with an empty system text
    ("llama3.jinja", "native", None),
    ("mistral_v0.3.jinja", "dropped", None),  # the system text goes before the last user turn of a prompt only
    ("gemma.jinja", "rejected", None),  # "System role not supported"
    ("gemma3.jinja", "native", None),
])
def test_probe_finds_what_the_template_does(with_template, template, system, default):
    quirks = probe(with_template(template))
    assert quirks == TemplateQuirks(system=system, default_system=default, tools=quirks.tools)
    assert quirks.tools == (template in TOOL_TEMPLATES)


def test_fold_puts_the_system_text_before_the_first_user_turn():
    quirks = TemplateQuirks(system="rejected", default_system=None)
    folded, change = conversation(MESSAGES, quirks)
    assert change == "folded" and folded == [{"role": "user", "content": "Kısa yaz.\n\nMerhaba"},
                                             {"role": "assistant", "content": "Selam"}]
    assert MESSAGES[1]["content"] == "Merhaba"  # the record itself is not changed
    with pytest.raises(ValueError, match="rejects the system message: set chat.system=fold"):
        conversation(MESSAGES, quirks, system="refuse")


def test_a_default_system_prompt_is_kept_or_replaced_by_an_empty_one():
    quirks = TemplateQuirks(system="native", default_system="You are Qwen")
    assert conversation(MESSAGES[1:], quirks) == (MESSAGES[1:], None)
    assert conversation(MESSAGES[1:], quirks, default_system="drop") == \
        ([{"role": "system", "content": ""}, *MESSAGES[1:]], "default-dropped")
    assert conversation(MESSAGES, quirks, default_system="drop") == (MESSAGES, None)  # it has its own
