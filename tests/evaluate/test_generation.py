"""Metric plumbing on fixed strings (fast): chrF credits Turkish suffix variants, ROUGE-L keeps Turkish letters."""

from dataforge.evaluate.generation import TurkishWordTokenizer, score, turkish_lower


def test_turkish_tokenizer_keeps_letters_and_dotted_i():
    assert TurkishWordTokenizer().tokenize("İstanbul'da IŞIK çok güzel!") == ["istanbul", "da", "ışık", "çok", "güzel"]
    assert turkish_lower("ILIK İçecek") == "ılık içecek"


def test_identical_text_scores_100():
    chrf, bleu, rouge = score(["Evlerimizden çıktık ve yürüdük."], ["Evlerimizden çıktık ve yürüdük."])
    assert round(chrf, 6) == 100 and round(bleu, 6) == 100 and round(rouge, 6) == 100


def test_chrf_gives_partial_credit_for_suffix_variants_where_words_miss():
    chrf, bleu, rouge = score(["evlerimizde kaldık"], ["evlerimizden çıktık"])
    assert chrf > 30 and rouge == 0.0 and bleu < 5


def test_stop_ids_include_end_of_turn(tiny_base):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from dataforge.evaluate.generation import stop_ids

    tok = AutoTokenizer.from_pretrained(tiny_base)
    model = AutoModelForCausalLM.from_pretrained(tiny_base)
    assert stop_ids(model, tok) == [tok.convert_tokens_to_ids("<|im_end|>")]
    tok.add_special_tokens({"additional_special_tokens": ["<|eot_id|>"]})
    tok.eos_token = "<|endoftext|>"
    assert stop_ids(model, tok) == [tok.convert_tokens_to_ids(t) for t in ("<|im_end|>", "<|endoftext|>", "<|eot_id|>")]
