"""Which synonym may replace a word: the swap keeps the word's register and frequency, and never coins a word.

Measured on the demo output before this policy: `gerçekleştirilecek` -> `hakikatleştirilecek` (zemberek analyses
it, no Turkish reader would write it), and modern words swapped for archaic ones (tümce, mana, malumat, mefhum,
muhteva). The rules:

- register: the synonym has the word's register (lexicon/registers_tr.tsv) and is never `archaic`;
- frequency: the synonym's lemma is in wordfreq's Turkish list (Zipf >= 3) and its band is at most
  `MAX_BAND_GAP` from the word's (a swap between a word used 100 times per million and one used once per million
  changes how the text reads, even when the meaning is the same);
- derivation: when the word carries a derivational suffix (gerçek+leş+tir+il+ecek), the new surface form must
  itself be in the frequency list. Inflection is productive (any noun takes -lerimizden), derivation is not
  (gerçekleşmek is a word, hakikatleşmek is not), and the list is the only evidence we have that a derived form
  exists.
"""

from __future__ import annotations

from dataforge.augment.frequency import SEEN, band, zipf
from dataforge.augment.lexicon import Lexicon
from dataforge.augment.morphology import Morphology, Parse
from dataforge.text.casing import tr_lower

MAX_BAND_GAP = 1  # one band = a factor of 10 in frequency; two bands apart reads as another voice
VERB_PROBES = ("geldi", "geliyor", "gelen")  # verbs are listed as infinitives, which corpora rarely show


class SwapPolicy:
    def __init__(self, lexicon: Lexicon, morphology: Morphology):
        self.lexicon = lexicon
        self.morphology = morphology
        self._zipf: dict[tuple[str, str], float] = {}
        self._probes = [p.morphemes for w in VERB_PROBES for p in morphology.parses(w) if p.lemma == "gelmek"]

    def lemma_zipf(self, lemma: str, pos: str) -> float:
        """How common a lemma is: its own form, and for verbs the most common of a few inflected forms
        (past, progressive, participle), since the infinitive is rare in running text."""
        key = (lemma, pos)
        if key not in self._zipf:
            forms = [lemma]
            if pos == "Verb":
                forms += [self.morphology.generate(lemma, pos, m) for m in self._probes]
            self._zipf[key] = max(zipf(tr_lower(f)) for f in forms if f)
        return self._zipf[key]

    def describe(self, lemma: str, pos: str) -> dict[str, object]:
        """A lexicon entry's register and frequency band, as the swap decision sees them."""
        z = self.lemma_zipf(lemma, pos)
        return {"register": self.lexicon.register(lemma), "zipf": round(z, 2), "band": band(z)}

    def allows(self, lemma: str, synonym: str, pos: str) -> bool:
        """May `synonym` replace `lemma` (same POS)? Same register, never archaic, a seen and close frequency."""
        register = self.lexicon.register(synonym)
        if register == "archaic" or register != self.lexicon.register(lemma):
            return False
        have, new = band(self.lemma_zipf(lemma, pos)), band(self.lemma_zipf(synonym, pos))
        return new > 0 and (have == 0 or abs(have - new) <= MAX_BAND_GAP)

    @staticmethod
    def derived(parses: tuple[Parse, ...]) -> bool:
        """Does any reading carry a derivational suffix (after the root's own POS morpheme)?"""
        return any(m.derivational_ for p in parses for m in p.morphemes[1:])

    def surface_ok(self, parses: tuple[Parse, ...], surface: str) -> bool:
        """A derived form is produced only when the frequency list has seen it."""
        return not self.derived(parses) or zipf(tr_lower(surface)) >= SEEN
