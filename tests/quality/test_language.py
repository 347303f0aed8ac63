import pytest

from dataforge.quality.language import detect_languages
from dataforge.text.asciified import looks_asciified, turkish_letter_ratio

TURKISH = "Kahve telvesini bahçede kullanabilir miyim? Evet, kurutulmuş telve toprağın yapısını iyileştirir."
ASCIIFIED = ("Kahve telvesini bahcede kullanabilir miyim? Evet, kurutulmus telve topragin yapisini iyilestirir "
             "ama cok fazla koyarsan suyun gecmesini engeller.")
ENGLISH = "Please send me the quarterly report before the meeting on Thursday, and remember to back up your files."
AZERBAIJANI = "Salam, bu gün hava çox gözəldir, mən evdəyəm və kitab oxuyuram."


@pytest.mark.parametrize("backend", ["default", "lingua"])
def test_turkish_english_azerbaijani_and_asciified(backend):
    got = [lang for lang, _ in detect_languages([TURKISH, ENGLISH, AZERBAIJANI, ASCIIFIED], backend)]
    assert got == ["tr", "en", "az", "asciified"]


def test_short_turkish_without_special_letters_is_turkish_not_asciified():
    assert not looks_asciified("Bana bir elma ver.", turkish_like=True)
    lang, _ = detect_languages(["Bana bir elma ver."])[0]
    assert lang == "tr"


def test_english_stays_english_even_long_and_letter_free():
    long_english = " ".join([ENGLISH] * 3)
    assert detect_languages([long_english])[0][0] == "en"
    assert not looks_asciified(long_english, turkish_like=False)


def test_no_letters_is_unknown_and_confidence_is_a_probability():
    (lang0, p0), (lang1, p1) = detect_languages(["12345 !!", TURKISH])
    assert (lang0, p0) == ("unknown", 0.0)
    assert lang1 == "tr" and 0.5 < p1 <= 1.0


def test_langdetect_backend_is_seeded():
    a = detect_languages([TURKISH, ENGLISH], "langdetect")
    b = detect_languages([TURKISH, ENGLISH], "langdetect")
    assert a == b and [x for x, _ in a] == ["tr", "en"]


def test_turkish_letter_ratio():
    assert turkish_letter_ratio("çğı") == 1.0
    assert turkish_letter_ratio("abc") == 0.0
    assert 0.05 < turkish_letter_ratio(TURKISH) < 0.3


# Its first 60 characters are settings in English, so the short read is unsure (it says "en" at about 0.34).
TECHNICAL = ("Model: LoRA r=16, alpha=32, dropout=0.05, lr 2e-4, batch 8; öğrenme oranı düşük tutuldu ve eğitim üç "
             "epoch sürdü, kayıp düzenli azaldı.")


def test_an_unsure_short_read_reads_on_and_a_sure_one_stops(monkeypatch):
    from dataforge.quality import language

    real = language._backend("default")
    assert real.top(language._one_line(TECHNICAL, language.SHORT_CHARS))[0] == "en"
    reads = []

    def top(flat):
        reads.append(len(flat) - 1)  # without the "\n"
        return real.top(flat)

    monkeypatch.setattr(language, "_backend", lambda backend: language._Backend(top, real.rank))
    assert detect_languages([TECHNICAL])[0][0] == "tr"
    assert reads == [language.SHORT_CHARS, language.MAX_CHARS]
    reads.clear()
    plain = ("Bugün hava çok güzel, öğleden sonra çocuklarla birlikte parka gidip biraz yürüyüş yapacağız ve "
             "dondurma yiyeceğiz.")
    assert detect_languages([plain])[0][0] == "tr"
    assert reads == [language.SHORT_CHARS]
