"""Swaps keep register and frequency and never coin a word (issue 13), on the shipped lexicon and real zemberek."""

from dataforge.augment.frequency import band, zipf
from dataforge.augment.lexicon import REGISTERS, Lexicon, load_registers
from dataforge.augment.swap_policy import SwapPolicy
from dataforge.augment.synonym import SynonymAugmenter


def test_registers_file_is_valid_and_covers_the_measured_archaic_swaps(shipped_lexicon):
    registers = load_registers()
    assert set(registers.values()) <= set(REGISTERS)
    for word in ("mana", "malumat", "mefhum", "muhteva", "hakikat"):
        assert registers[word] == "archaic", word
    assert shipped_lexicon.register("kitap") == "modern"  # not listed: modern


def test_never_into_archaic_and_never_across_registers(morphology, shipped_lexicon):
    policy = SwapPolicy(shipped_lexicon, morphology)
    assert not policy.allows("anlam", "mana", "Noun")
    assert not policy.allows("bilgi", "malumat", "Noun")
    assert not policy.allows("kavram", "mefhum", "Noun")
    assert not policy.allows("içerik", "muhteva", "Noun")
    assert not policy.allows("cümle", "tümce", "Noun")  # modern -> formal, and not in the frequency list
    assert policy.allows("şehir", "kent", "Noun")
    # Over the whole shipped lexicon: no allowed swap lands on an archaic word or changes register.
    allowed = [(lemma, syn) for (lemma, pos), syns in shipped_lexicon.table.items() for syn in syns
               if policy.allows(lemma, syn, pos)]
    assert len(allowed) > 150
    assert all(shipped_lexicon.register(s) != "archaic" for _, s in allowed)
    assert all(shipped_lexicon.register(a) == shipped_lexicon.register(s) for a, s in allowed)


def test_frequency_bands_come_from_wordfreq_and_verbs_are_probed_inflected(morphology, shipped_lexicon):
    assert band(zipf("bilgi")) == 5 and band(zipf("malumat")) == 0
    policy = SwapPolicy(shipped_lexicon, morphology)
    assert zipf("başlamak") < policy.lemma_zipf("başlamak", "Verb")  # the infinitive is rarer than başladı
    entry = policy.describe("şehir", "Noun")
    assert entry["register"] == "modern" and entry["band"] == 5


def test_derived_forms_are_not_coined(morphology):
    # gerçek ~ hakikat both modern in this test lexicon: only the derivation rule can stop the swap.
    aug = SynonymAugmenter(Lexicon({("gerçek", "Adj"): ["hakikat"], ("gerçek", "Noun"): ["hakikat"]}, "t"),
                           morphology, ratio=1.0)
    aug.policy.allows = lambda *a: True
    assert "hakikatleştirilecek" not in aug.choices("gerçekleştirilecek")
    assert aug.augment_texts(["Toplantı yarın gerçekleştirilecek."], [0]) == ["Toplantı yarın gerçekleştirilecek."]


def test_a_form_that_reads_as_another_word_is_refused(morphology):
    aug = SynonymAugmenter(Lexicon({("lezzet", "Noun"): ["tat"]}, "t"), morphology, ratio=1.0)
    aug.policy.allows = lambda *a: True
    assert aug.choices("lezzetli") == ()  # tat+lı reads as tatlı, "sweet"
    assert aug.choices("lezzeti") == ("tadı",)
