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


@pytest.mark.slow
def test_a_tokenizer_without_a_limit_shows_truncation_as_not_run(tmp_path):
    """No --max-seq-len and a tokenizer whose model_max_length is HF's 'no limit' (1e30): the truncation rule
    cannot run; it is listed, visibly not run, with the option that makes it run. Token lengths still show."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from dataforge.quality.gate import run_gate

    tok = Tokenizer(models.WordLevel(vocab={"[UNK]": 0}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]").save_pretrained(tmp_path / "tok")
    res = run_gate([str(SAMPLE / "chat_tr.jsonl")], report_dir=str(tmp_path / "r"), tokenizer=str(tmp_path / "tok"),
                   data_docs=False, report_lang="en")
    trunc = next(c for c in res.summary["checks"] if c["name"] == "truncation")
    assert trunc["status"] == "not_run" and trunc["passed"] is None
    assert trunc["reason"] == "the tokenizer sets no usable model_max_length: pass --max-seq-len N"
    assert trunc["advice"]["fix"] == "Not run: the tokenizer sets no usable model_max_length: pass --max-seq-len N."
    assert res.summary["summary"]["not_run"] == ["truncation"]
    assert res.summary["summary"]["tokens"]["min"] > 0 and res.summary["summary"]["tokens"]["max_seq_len"] is None
    assert res.passed  # nothing that ran failed; the missing check is said, not hidden


@pytest.mark.slow
def test_summary_gives_the_token_distribution_and_how_many_are_too_long(tmp_path, tokenizer_dir):
    from dataforge.quality.gate import run_gate

    res = run_gate([str(SAMPLE / "chat_tr.jsonl")], report_dir=str(tmp_path / "r"), tokenizer=tokenizer_dir,
                   max_seq_len=60, data_docs=False, report_lang="en")
    tk = res.summary["summary"]["tokens"]
    assert tk["max_seq_len"] == 60 and tk["over_max_seq_len"] == next(
        c["flagged"] for c in res.summary["checks"] if c["name"] == "truncation") > 0
    assert tk["min"] <= tk["median"] <= tk["p95"] <= tk["max"]
    html = open(res.report_html, encoding="utf-8").read()
    assert "tokens per record (chat template)" in html and f"&gt; 60: {tk['over_max_seq_len']}" in html


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
