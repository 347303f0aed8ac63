import pytest

from dataforge.text.mojibake import fix_mojibake, has_mojibake

CLEAN = "Işık, iğne, şeker ve gümüş; Çağrı ÖZGÜR “tırnak” – çizgi"


@pytest.mark.parametrize("broken", [
    CLEAN.encode("utf-8").decode("cp1252", errors="ignore"),  # UTF-8 read as cp1252: Ä± ÅŸ Ã¼
    CLEAN.encode("utf-8").decode("latin-1"),  # UTF-8 read as latin-1 (C1 controls)
    CLEAN.encode("cp1254").decode("latin-1"),  # Windows Turkish read as latin-1: ý þ ð Ý
])
def test_both_families_are_found(broken):
    assert has_mojibake(broken)


def test_repairs_give_back_the_text():
    assert fix_mojibake(CLEAN.encode("utf-8").decode("latin-1")) == CLEAN
    assert fix_mojibake(CLEAN.encode("cp1254").decode("latin-1")) == CLEAN
    assert fix_mojibake("Ä°stanbul'da gÃ¼zel bir gÃ¼n") == "İstanbul'da güzel bir gün"


@pytest.mark.parametrize("ok", [CLEAN, "Äpfel und Åland", "hâlâ kâr ediyor", "Straße €5", "naïve café"])
def test_clean_text_is_not_flagged_and_not_changed(ok):
    assert not has_mojibake(ok)
    assert fix_mojibake(ok) == ok
