import random

import pytest
from stdnum import iban as std_iban
from stdnum.tr import tckimlik

from dataforge.quality.pii import find_pii, is_tckn, is_tr_iban, redact


def _valid_tckn(rng: random.Random) -> str:
    base = str(rng.randint(100_000_000, 999_999_999))
    return base + tckimlik.calc_check_digits(base)


def test_tckn_checksum_agrees_with_python_stdnum():
    rng = random.Random(0)
    for _ in range(3000):
        s = str(rng.randint(10**10, 10**11 - 1))
        assert is_tckn(s) == tckimlik.is_valid(s), s
    for _ in range(200):
        assert is_tckn(_valid_tckn(rng))


def test_eleven_digits_with_a_wrong_checksum_are_not_tckn():
    good = _valid_tckn(random.Random(1))
    bad10 = good[:9] + str((int(good[9]) + 1) % 10) + good[10]
    bad11 = good[:10] + str((int(good[10]) + 1) % 10)
    for s in (bad10, bad11, "12345678901"):
        assert not is_tckn(s)
        assert [h.kind for h in find_pii(f"Sipariş no {s} kargoda.")] == []
    # first digit 0: never a TCKN (0 + ten digits is how Turkish landlines are written, so it may be a phone)
    assert not is_tckn("0" + good[1:])
    assert "tckn" not in [h.kind for h in find_pii(f"No: 0{good[1:]}")]
    assert [(h.kind, h.text) for h in find_pii(f"TC kimlik: {good}.")] == [("tckn", good)]


def test_iban_mod97():
    good = "TR330006100519786457841326"
    assert std_iban.is_valid(good) and is_tr_iban(good)
    assert not is_tr_iban("TR340006100519786457841326")  # check digits off by one
    grouped = "TR33 0006 1005 1978 6457 8413 26"
    assert [(h.kind, h.text) for h in find_pii(f"IBAN: {grouped}")] == [("iban", grouped)]
    assert find_pii("IBAN: TR34 0006 1005 1978 6457 8413 26") == []


@pytest.mark.parametrize("text,phone", [("Beni 0532 412 45 67 numarasından ara.", "0532 412 45 67"),
                                        ("Santral: +90 (212) 555 12 34", "+90 (212) 555 12 34")])
def test_phone_numbers(text, phone):
    assert [(h.kind, h.text) for h in find_pii(text)] == [("phone", phone)]


@pytest.mark.parametrize("text", ["2024 yılında 12.05.2024 tarihinde", "Fiyat 1.250,00 TL", "Sayfa 123-456"])
def test_numbers_that_are_not_phones(text):
    assert find_pii(text) == []


def test_email_and_redaction():
    tckn = _valid_tckn(random.Random(2))
    text = (f"Ad: Ayşe, TCKN {tckn}, e-posta ayse.yilmaz@ornek.com.tr, tel 0532 412 45 67, "
            "IBAN TR330006100519786457841326.")
    assert sorted(h.kind for h in find_pii(text)) == ["email", "iban", "phone", "tckn"]
    assert redact(text) == "Ad: Ayşe, TCKN [TCKN], e-posta [EPOSTA], tel [TELEFON], IBAN [IBAN]."
    assert redact("Temiz bir cümle.") == "Temiz bir cümle."


def test_mask_keeps_each_hits_shape_and_the_stand_ins_are_no_longer_personal_data():
    from dataforge.quality.pii import find_pii, mask

    text = ("TCKN 10000000146, IBAN TR33 0006 1005 1978 6457 8413 26, tel +90 532 123 45 67, "
            "e-posta ali.veli@example.com")
    masked = mask(text)
    assert masked == ("TCKN 00000000000, IBAN TR00 0000 0000 0000 0000 0000 00, tel +00 000 000 00 00, "
                      "e-posta gizli@adres.invalid")
    assert len(find_pii(text)) == 4 and find_pii(masked) == []
