from dataforge.augment import filters as f
from dataforge.augment.run import judge


def test_exact_duplicate_ignores_whitespace_only_changes():
    assert not f.ExactDuplicate().keep("Bir  iki\nüç", "Bir iki üç")
    assert f.ExactDuplicate().keep("Bir iki üç", "Bir iki dört")


def test_length_ratio_bounds():
    flt = f.LengthRatio(0.5, 2.0)
    assert flt.keep("a" * 10, "b" * 20) and not flt.keep("a" * 10, "b" * 21) and not flt.keep("a" * 10, "b" * 4)


def test_numbers_urls_code_must_survive():
    src = "Fiyat 1.250 TL, ayrıntı https://ornek.com/a adresinde; `pip install x` komutunu çalıştır."
    assert f.SameNumbers().keep(src, src.replace("Fiyat", "Ücret"))
    assert not f.SameNumbers().keep(src, src.replace("1.250", "1250"))
    assert not f.SameUrls().keep(src, src.replace("ornek.com/a", "ornek.com/b"))
    assert not f.SameCode().keep(src, src.replace("pip install x", "pip install y"))


def test_entities_must_survive():
    src = "Bu yaz Ayşe ile Kapadokya'ya gittik. Orada balon turuna katıldık."
    assert f.SameEntities().keep(src, "Bu yaz Kapadokya'ya Ayşe ile gittik. Orada balon turuna katıldık.")
    assert not f.SameEntities().keep(src, "Bu yaz arkadaşımla Kapadokya'ya gittik. Orada balona bindik.")


def test_no_new_pii():
    src = "Bana e-posta ile ulaşabilirsiniz."
    assert f.NoNewPii().keep(src, "Bana e-postayla ulaşabilirsiniz.")
    assert not f.NoNewPii().keep(src, "Bana ali.veli@example.com adresinden ulaşabilirsiniz.")
    with_mail = "Adresim ali.veli@example.com, yazabilirsiniz."
    assert f.NoNewPii().keep(with_mail, "Adresim ali.veli@example.com, bana yazabilirsiniz.")


def test_near_duplicate_uses_the_quality_similarity():
    src = "Domatesleri küp küp doğrayıp biberlerle birlikte tavada yumuşayana kadar pişirin ve tuz ekleyin."
    one_word = src.replace("tavada", "tencerede")
    assert not f.NotNearDuplicate(0.5).keep(src, one_word)
    assert f.NotNearDuplicate(0.99).keep(src, one_word)


def test_still_turkish():
    src = "Kahve telvesi bahçede gübre olarak kullanılabilir mi, nasıl kullanılır?"
    assert f.StillTurkish().keep(src, "Kahve telvesi bahçede gübre yerine kullanılabilir mi, nasıl uygulanır?")
    assert not f.StillTurkish().keep(src, "Can coffee grounds be used as fertiliser in the garden, and how?")


def test_first_failing_filter_names_the_reason():
    chain = f.default_filters()
    src = "Toplantı saat 14.30'da başlayacak, lütfen zamanında gelin."
    assert judge(chain, src, src) == "exact_duplicate"
    assert judge(chain, src, src.replace("14.30", "15.30")) == "numbers_changed"


def test_a_capitalised_word_at_a_line_start_is_no_name():
    src = "Şehir: yaz tatilinde İzmir'e gideceğim\nİlgi alanı: tarih"
    assert f.SameEntities().keep(src, "Kent: yaz tatilinde İzmir'e gideceğim\nAlaka alanı: tarih")
    assert not f.SameEntities().keep(src, "Kent: yaz tatilinde Ankara'ya gideceğim\nAlaka alanı: tarih")
