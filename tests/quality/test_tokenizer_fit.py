"""`check --tokenizer A --tokenizer B`: how each tokenizer fits Turkish text, side by side."""

import pytest

from dataforge.records import Record
from tests.quality.helpers import SAMPLE


def word_level(words: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(vocab={"[UNK]": 0, **{w: i + 1 for i, w in enumerate(words)}},
                                     unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]")


def test_fit_counts_words_tokens_unknowns_round_trips_and_truncation():
    from dataforge.quality.tokenizer_fit import fit

    recs = [Record.model_validate({"messages": [{"role": "user", "content": "bir iki üç"},
                                                {"role": "assistant", "content": "bir iki"}]})]
    f = fit(recs, word_level(["bir", "iki"]), "words", token_counts=[7], max_length=5)
    assert (f["texts"], f["words"], f["tokens"]) == (2, 5, 5)
    assert (f["tokens_per_word"], f["chars_per_token"]) == (1.0, round(17 / 5, 3))
    assert f["byte_or_unknown_share"] == 0.2  # "üç" is [UNK]
    assert (f["roundtrip_ok"], f["roundtrip_failed"], f["roundtrip_examples"]) == (1, 1, ["bir iki üç"])
    assert f["turkish_letters_roundtrip"] is False
    assert (f["truncated"], f["truncated_share"]) == (1, 1.0)
    assert fit(recs, word_level(["bir"]), "w", None, None)["truncated_share"] is None  # not run, and says so


@pytest.mark.slow
def test_check_puts_several_tokenizers_side_by_side(tmp_path):
    from dataforge.quality.gate import run_gate
    from dataforge.train.tiny import build_tokenizer, texts_of

    tiny = tmp_path / "tiny"
    build_tokenizer(texts_of([str(SAMPLE / "chat_tr.jsonl")]), tiny)
    small = tmp_path / "small"
    build_tokenizer(texts_of([str(SAMPLE / "chat_tr.jsonl")]), small, vocab_size=400)
    res = run_gate([str(SAMPLE / "chat_tr.jsonl")], report_dir=str(tmp_path / "r"), tokenizer=str(tiny),
                   compare_tokenizers=[str(small)], max_seq_len=320, data_docs=False)
    big, little = res.summary["tokenizers"]
    assert (big["tokenizer"], little["tokenizer"]) == (str(tiny), str(small))
    # a 400-token vocabulary is nearly bytes: more tokens per word, more records over 320 tokens
    assert little["tokens_per_word"] > 2 * big["tokens_per_word"]
    assert little["truncated"] > big["truncated"] == 0
    assert big["roundtrip_failed"] == little["roundtrip_failed"] == 0 and big["turkish_letters_roundtrip"]
    assert "<h2>Tokenizer fit</h2>" in open(res.report_html, encoding="utf-8").read()


@pytest.mark.slow
def test_check_without_a_tokenizer_says_which_expectations_did_not_run(tmp_path, capsys):
    from dataforge.cli import main

    assert main(["check", str(SAMPLE / "chat_tr.jsonl"), "--report-dir", str(tmp_path), "--no-data-docs",
                 "--report-lang", "en"]) == 0
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if "truncation" in x)
    assert line.split()[:3] == ["not", "run", "truncation"] and "--tokenizer" in line


def test_fit_merged_from_parts_of_slices_is_fit_over_all_records():
    """An engine that counts block by block (engine/ray_tokens.py) merges parts: the figures must be fit's."""
    from dataforge.quality.tokenizer_fit import fit, merge, part

    texts = ["bir iki", "bir üç", "iki dört", "bir bir", "beş", "iki iki üç", "altı"]
    recs = [Record.model_validate({"messages": [{"role": "user", "content": t},
                                                {"role": "assistant", "content": "bir"}]}) for t in texts]
    counts = [3, 9, 4, 12, 2, 8, 1]
    tok = word_level(["bir", "iki"])
    whole = fit(recs, tok, "w", counts, 5)
    cuts = [(0, 2), (2, 2), (2, 6), (6, 7)]  # an empty block too
    merged = merge([part(recs[a:b], tok, counts[a:b], 5) for a, b in cuts], "w", 5)
    assert merged == whole
    # failed round trips sit in several parts: the first three in record order are quoted
    assert whole["roundtrip_examples"] == ["bir üç", "iki dört", "beş"] and whole["roundtrip_failed"] == 5
    assert (whole["truncated"], whole["truncated_share"]) == (3, round(3 / 7, 4))
