import polars as pl

from dataforge.quality.near_duplicates import word_hashes
from dataforge.quality.repetition import repetition

NORMAL = ("Önce bir tavada biraz tereyağı ısıtılır. İnce doğranmış sivri biberler yumuşayana kadar kavrulur, ardından "
          "kabukları soyulup küp küp doğranmış domatesler eklenir. Domatesler suyunu çekip koyulaşınca yumurtalar "
          "kırılır ve isteğe göre hafifçe karıştırılır. Tuz ve pul biber en sonda eklenir; menemen sıcakken, yanında "
          "taze ekmekle servis edilir ve afiyetle yenir.")
LOOP = "Bu cevap kendini tekrar ediyor ve bitmiyor. " * 12
LINES = "\n".join(["- madde bir iki üç dört beş altı yedi sekiz dokuz on"] * 8)


def _rep(texts):
    return repetition(pl.Series(texts), *word_hashes(texts))


def test_repetitive_texts_are_flagged_normal_ones_are_not():
    r = _rep([NORMAL, LOOP, LINES, "Evet. Evet. Evet."])
    assert r["repetitive"].to_list() == [False, True, True, False]  # the last is too short to judge
    assert r["rep_dup5gram"][0] == 0.0 and r["rep_dup5gram"][1] > 0.9
    assert r["rep_dup_lines"][2] == 7 / 8


def test_a_short_loop_of_one_word_is_repetition_a_short_sentence_is_not():
    short = "Menemen için domates, biber, yumurta ve biraz tereyağı yeter; tuzu en sonda ekle."  # 13 words
    r = _rep([" ".join(["merhaba"] * 18), short, "tamam tamam tamam tamam tamam tamam tamam tamam tamam"])
    assert r["repetitive"].to_list() == [True, False, False]  # the last has 9 words: too short to judge
