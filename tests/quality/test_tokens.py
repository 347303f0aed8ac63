"""Token counts and truncation with a tokenizer built here (offline), chat template applied."""

import json

import pytest

from tests.quality.helpers import SAMPLE

TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} <|end|>\n{% endfor %}")


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"[UNK]": 0, "<|user|>": 1, "<|assistant|>": 2, "<|system|>": 3, "<|end|>": 4}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()  # one token per whitespace-separated word
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", model_max_length=4096)
    fast.chat_template = TEMPLATE
    out = tmp_path_factory.mktemp("tok")
    fast.save_pretrained(out)
    return str(out)


@pytest.mark.slow
def test_token_counts_follow_the_chat_template_and_truncation_is_gated(tmp_path, tokenizer_dir):
    from dataforge.quality.gate import run_gate

    src = tmp_path / "two.jsonl"
    recs = [{"messages": [{"role": "user", "content": "bir iki üç"}, {"role": "assistant", "content": "dört beş"}]},
            {"messages": [{"role": "user", "content": "kısa"}, {"role": "assistant",
                                                               "content": " ".join(["uzun"] * 40)}]}]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs))
    res = run_gate([str(src)], report_dir=str(tmp_path / "r"), tokenizer=tokenizer_dir, max_seq_len=20,
                   suite="generic_sft", data_docs=False)
    # record 1: "<|user|> bir iki üç <|end|>" + "<|assistant|> dört beş <|end|>" = 5 + 4 tokens
    assert res.summary["stats"]["tokens"]["min"] == 9
    assert res.summary["stats"]["tokens"]["max"] == 3 + 42
    trunc = next(c for c in res.summary["checks"] if c["name"] == "truncation")
    assert trunc["flagged"] == 1 and trunc["passed"] is False and trunc["examples"][0]["line"] == 2
    assert not res.passed
    html = open(res.report_html, encoding="utf-8").read()
    assert "Token length CDF" in html


@pytest.mark.slow
def test_sample_data_fits_the_default_max_len(tmp_path, tokenizer_dir):
    from dataforge.quality.gate import run_gate

    res = run_gate([str(SAMPLE / "chat_tr.jsonl")], report_dir=str(tmp_path / "r"), tokenizer=tokenizer_dir,
                   data_docs=False)
    assert res.summary["max_seq_len"] == 4096  # the tokenizer's model_max_length
    assert res.passed


def test_a_template_without_a_system_role_counts_the_folded_text_and_names_bad_records(tokenizer_dir):
    from transformers import AutoTokenizer

    from dataforge.errors import DataError
    from dataforge.quality.tokens import token_counts
    from dataforge.records import Record

    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    # Gemma's way: a system message raises, and so do turns that do not alternate
    tok.chat_template = ("{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
                         "{% endif %}{% for m in messages %}{% if (m['role'] == 'user') != (loop.index0 % 2 == 0) %}"
                         "{{ raise_exception('Conversation roles must alternate') }}{% endif %}" + TEMPLATE[23:])
    rec = Record.model_validate({"messages": [{"role": "system", "content": "kısa yaz"},
                                              {"role": "user", "content": "bir iki"},
                                              {"role": "assistant", "content": "üç"}]})
    # "<|user|> kısa yaz\n\nbir iki <|end|>" + "<|assistant|> üç <|end|>": 6 + 3 tokens (the split ignores "\n\n")
    assert token_counts([rec], tok) == [9]
    bad = Record.model_validate({"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"},
                                              {"role": "assistant", "content": "c"}], "source": "x.jsonl",
                                 "line": 5})
    with pytest.raises(DataError) as err:
        token_counts([bad], tok)
    assert err.value.lines()[1] == "x.jsonl:5: messages: Conversation roles must alternate"
