from collections import Counter

from dataforge.augment import protect


def test_protected_spans_cover_code_urls_mail_and_quotes():
    text = 'Bak: `x = 1`, https://ornek.com/a?b=1 ve ali@ornek.com; "alıntı burada" ama Ankara\'da değil.'
    spans = [text[a:b] for a, b in protect.protected_spans(text)]
    assert spans == ["`x = 1`", "https://ornek.com/a?b=1", "ali@ornek.com", '"alıntı burada"']


def test_words_outside_skip_protected_spans_and_digit_glued_words():
    text = "İlk `kod` 3ncü A4 kâğıt, Ankara'da \"söz\" bitti."
    assert [w for _, _, w in protect.words_outside(text)] == ["İlk", "kâğıt", "Ankara'da", "bitti"]


def test_numbers_outside_code_and_urls():
    text = "Saat 14.30'da 2 kişi; `port 8080` ve https://a.com/3 sayılmaz."
    assert protect.numbers(text) == Counter({"14.30": 1, "2": 1})


def test_fenced_code_is_one_span():
    text = "Örnek:\n```python\nprint(`x`)\n```\nbitti"
    assert protect.code(text) == Counter({"```python\nprint(`x`)\n```": 1})
