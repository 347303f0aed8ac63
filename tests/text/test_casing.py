from dataforge.text.casing import tr_lower, tr_upper


def test_dotted_and_dotless_i_lower():
    assert tr_lower("İSTANBUL") == "istanbul"
    assert tr_lower("IĞDIR") == "ığdır"
    assert tr_lower("Işık ve İnci") == "ışık ve inci"
    assert "İ".lower() != "i"  # why the helper exists: Python gives "i" plus a combining dot


def test_dotted_and_dotless_i_upper():
    assert tr_upper("istanbul") == "İSTANBUL"
    assert tr_upper("ılık") == "ILIK"
    assert tr_upper("çiğ köfte") == "ÇİĞ KÖFTE"


def test_round_trip_keeps_turkish_letters():
    s = "Iğdır'da İki Işık"
    assert tr_upper(tr_lower(s)) == tr_upper(s) == "IĞDIR'DA İKİ IŞIK"
