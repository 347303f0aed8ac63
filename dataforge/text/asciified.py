"""Turkish letters and "asciified" Turkish: Turkish typed without ç ğ ı ö ş ü İ (old keyboards, SMS habits).
Models trained on it learn to drop the letters, so the check flags it instead of calling it another language."""

from __future__ import annotations

import re

TURKISH_LETTERS = frozenset("çğıöşüÇĞİÖŞÜ")
_LETTERS = re.compile(r"[^\W\d_]")
_WORDS = re.compile(r"[^\W\d_]+")

# Real Turkish has one of ç ğ ı ö ş ü in about every eighth letter, so 50 letters without any happen by chance
# less than once in 500 texts (0.88^50). Shorter texts ("Bana bir elma ver") are legitimately letter-free.
# The letters are counted over *distinct* words: "merhaba" typed 18 times is 7 letters of evidence, not 126
# (the argument needs independent letters; a repeated word is one draw), and is the repetition check's business.
MIN_LETTERS = 50
# Frequent words whose correct spelling needs a Turkish letter: two different ones in asciified form flag even
# a shorter text ("cok guzel, tesekkur ederim"). No English word may be here ("gun" was: "The gun..." is
# English, not asciified "gün").
MARKERS = frozenset(
    "cok icin degil sey seyi buyuk kucuk guzel oldugu oldugunu tesekkur tesekkurler simdi gunu bugun "
    "dusun dusunce soyle soyledi ogren ogrenci uzgunum lutfen nasilsin acik ozel gerceklestir ornegin ornek "
    "onemli cunku boylece sonuc disari icinde uzerinde dogru yanlis turkce turkiye baska kisi kisiler calis "
    "calisma yapilir bicimde hizli yavas".split()
)
MIN_LETTERS_WITH_MARKERS = 20


def letter_count(text: str) -> int:
    return len(_LETTERS.findall(text))


def distinct_letter_count(text: str) -> int:
    """Letters of the text's distinct words (case-folded the Turkish way): the evidence MIN_LETTERS weighs."""
    from dataforge.text.casing import tr_lower

    return sum(map(len, set(_WORDS.findall(tr_lower(text)))))


def turkish_letter_ratio(text: str) -> float:
    """Share of letters that are Turkish-specific (ç ğ ı ö ş ü and capitals); 0.0 for text without letters."""
    letters = letter_count(text)
    if not letters:
        return 0.0
    return sum(1 for c in text if c in TURKISH_LETTERS) / letters


def marker_count(text: str) -> int:
    """Distinct marker words in the text ("cok cok" is one)."""
    from dataforge.text.casing import tr_lower

    return len(MARKERS.intersection(_WORDS.findall(tr_lower(text))))


def looks_asciified(text: str, turkish_like: bool) -> bool:
    """True for Turkish text long enough to be sure that has no Turkish letter at all. `turkish_like` says the
    language model saw Turkish in it (asciified text confuses models, so the caller passes a lenient signal)."""
    if any(c in TURKISH_LETTERS for c in text):
        return False
    letters = distinct_letter_count(text)
    if letters >= MIN_LETTERS and turkish_like:
        return True
    return letters >= MIN_LETTERS_WITH_MARKERS and marker_count(text) >= 2
