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


def test_report_examples_quote_no_personal_data(monkeypatch):
    import json

    from dataforge.evaluate import generation
    from dataforge.evaluate.examples import Example

    raw = ["10000000146", "TR33 0006 1005 1978 6457 8413 26", "ali.veli@example.com", "0532 123 45 67"]
    monkeypatch.setattr(generation, "generate", lambda *a, **k: [f"Tamam, IBAN {raw[1]} ve {raw[2]} kayıtlı."])
    ex = Example(messages=[], prompt=[{"role": "user", "content": f"TC kimlik numaram {raw[0]}"}],
                 reference=f"Sizi {raw[3]} numarasından arayacağız.", where="held.jsonl:1")
    shown = json.dumps(generation.generation_scores(None, None, [ex]).as_json(), ensure_ascii=False)
    assert not any(value in shown for value in raw)
    assert all(tag in shown for tag in ("[TCKN]", "[IBAN]", "[EPOSTA]", "[TELEFON]"))
