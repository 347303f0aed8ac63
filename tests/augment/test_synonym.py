import re

import pytest

from dataforge.augment.lexicon import Lexicon
from dataforge.augment.protect import words_outside
from dataforge.augment.synonym import SynonymAugmenter


def make(morphology, table, ratio=1.0):
    return SynonymAugmenter(Lexicon(table, "test"), morphology, ratio=ratio)


def test_suffixes_and_vowel_harmony_follow_the_new_stem(morphology):
    aug = make(morphology, {("kitap", "Noun"): ["defter"]})
    assert aug.augment_texts(["Kitaplarımızdan birini okudum."], [1]) == ["Defterlerimizden birini okudum."]
    assert aug.choices("kitabı") == ("defteri",)  # consonant softening of the old stem is undone too


def test_verbs_keep_tense_and_person(morphology):
    aug = make(morphology, {("cevaplamak", "Verb"): ["yanıtlamak"]})
    assert aug.augment_texts(["Soruları cevapladılar."], [3]) == ["Soruları yanıtladılar."]


def test_protected_spans_proper_nouns_and_numbers_stay(morphology):
    table = {("kitap", "Noun"): ["defter"], ("ankara", "Noun"): ["başkent"], ("kod", "Noun"): ["şifre"]}
    aug = make(morphology, table)
    text = ('Ankara\'da 3 kitap aldım: "kitap listesi" ve `kitap = 1` kodu, https://ornek.com/kitap sayfası.')
    out = aug.augment_texts([text], [5])[0]
    assert out == text.replace("3 kitap", "3 defter")


def test_all_caps_words_and_ambiguous_lemmas_are_skipped(morphology):
    aug = make(morphology, {("kitap", "Noun"): ["defter"], ("soru", "Noun"): ["sual"]})
    assert aug.choices("KİTAP") and aug.augment_texts(["KİTAP"], [0]) == ["KİTAP"]
    assert aug.choices("sorunun") == ()  # soru+nun or sorun+un: two lemmas, no context, no swap


def test_same_seed_same_output_and_ratio_bounds_the_changes(morphology, shipped_lexicon):
    aug = SynonymAugmenter(shipped_lexicon, morphology, ratio=0.1)
    text = ("Bu soruların cevabı basit değil; sebepleri anlamak için örnekleri dikkatle incelemek, "
            "sonuçları düşünmek ve fikirleri tartışmak gerekir.")
    once = aug.augment_texts([text] * 3, [7, 7, 8])
    assert once[0] == once[1]
    changed = [a for a, b in zip(text.split(), once[0].split(), strict=True) if a != b]
    assert 1 <= len(changed) <= 2  # ceil(0.1 * 18 words) = 2 at most


def sentences_from_sample(limit=400):
    from tiny_models import sample_texts

    out = []
    for text in sample_texts():
        out += [s for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 4]
    return out[:limit]


@pytest.mark.slow
def test_every_substituted_word_reanalyses_to_a_listed_synonym(morphology, shipped_lexicon):
    """Over 200+ real sentences: each swapped word parses back to a synonym (same POS) of the original lemma."""
    sents = sentences_from_sample()
    assert len(sents) >= 200
    aug = SynonymAugmenter(shipped_lexicon, morphology, ratio=0.3)
    outs = aug.augment_texts(sents, list(range(len(sents))))
    swaps = 0
    for before, after in zip(sents, outs, strict=True):
        old, new = words_outside(before), words_outside(after)
        assert len(old) == len(new)
        for (_, _, a), (_, _, b) in zip(old, new, strict=True):
            if a == b:
                continue
            swaps += 1
            src = {(p.lemma, p.pos) for p in morphology.parses(a)}
            allowed = {(s, pos) for lemma, pos in src for s in shipped_lexicon.synonyms(lemma, pos)}
            got = {(p.lemma, p.pos) for p in morphology.parses(b)}
            assert got & allowed, f"{a} -> {b}: re-analyses to {got}, expected one of {allowed}"
    assert swaps >= 100, swaps


@pytest.mark.slow
def test_kenet_is_an_optional_extra_merged_after_the_shipped_lexicon(morphology, shipped_lexicon):
    pytest.importorskip("WordNet.WordNet", reason="KeNet (GPL-3.0) is the optional extra dataforge[kenet]")
    from dataforge.augment.lexicon import load

    merged = load("shipped+kenet")
    assert merged.name == "synonyms_tr.tsv+kenet" and len(merged) > 10 * len(shipped_lexicon)
    assert merged.synonyms("soru", "Noun")[0] == shipped_lexicon.synonyms("soru", "Noun")[0]
    assert "süratli" in merged.synonyms("hızlı", "Adj")
    aug = SynonymAugmenter(merged, morphology, ratio=1.0)
    assert "Suallerimizi" not in aug.augment_texts(["Sorularımızı sorduk."], [0])[0]  # sual is archaic
