"""Turkish morphology through zemberek-python: analyse a word form, and generate a form from a lemma + morphemes.

zemberek loads in about 10 s and analyses slowly, so there is one instance per process (`get_morphology`) and
every analysis is cached by word form: a corpus repeats its word forms far more often than it has distinct ones.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from dataforge.errors import MissingDependency


@dataclass(frozen=True)
class Parse:
    """One analysis of a word form: the dictionary lemma, its primary POS (zemberek short form: Noun, Verb, Adj,
    Adv, ...), whether it is a proper noun or abbreviation, and the morpheme sequence after the root."""

    lemma: str
    pos: str
    proper: bool
    morphemes: tuple[Any, ...]  # zemberek Morpheme objects, root POS morpheme first

    @property
    def morpheme_ids(self) -> tuple[str, ...]:
        return tuple(m.id_ for m in self.morphemes)


class Morphology:
    """A loaded zemberek TurkishMorphology with a word-form cache for analysis and generation."""

    def __init__(self) -> None:
        try:
            with warnings.catch_warnings():  # zemberek imports pkg_resources, which warns on import
                warnings.simplefilter("ignore")
                from zemberek import TurkishMorphology
                from zemberek.core.turkish import SecondaryPos
        except ImportError as exc:
            raise MissingDependency("zemberek-python (with setuptools<81)", "augment") from exc
        logging.getLogger("zemberek").setLevel(logging.WARNING)
        self.zemberek = TurkishMorphology.create_with_defaults()
        self._not_common = {SecondaryPos.ProperNoun, SecondaryPos.Abbreviation}
        self._items: dict[tuple[str, str], list[Any]] = {}
        for item in self.zemberek.lexicon:
            self._items.setdefault((item.lemma, item.primary_pos.short_form), []).append(item)
        self._parses: dict[str, tuple[Parse, ...]] = {}
        self._generated: dict[tuple[str, str, tuple[str, ...]], str | None] = {}

    def parses(self, word: str) -> tuple[Parse, ...]:
        """All analyses of one word form (no sentence context), cached by the exact form."""
        got = self._parses.get(word)
        if got is None:
            if word.isalpha():
                # A plain word needs none of zemberek's per-call tokenising (its ANTLR lexer costs ~10% of the
                # time); apostrophes, digits and punctuation take the full path.
                results = self.zemberek.analyzer.analyze(self.zemberek.normalize_for_analysis(word))
                results = () if len(results) == 1 and results[0].item.is_unknown() else results
            else:
                results = self.zemberek.analyze_without_cache(word=word).analysis_results
            got = tuple(
                Parse(a.item.lemma, a.item.primary_pos.short_form, a.item.secondary_pos in self._not_common,
                      tuple(a.get_morphemes()))
                for a in results
            )
            self._parses[word] = got
        return got

    def items(self, lemma: str, pos: str) -> list[Any]:
        """zemberek's dictionary items for a lemma and POS (homographs: several, lowest index first)."""
        return sorted(self._items.get((lemma, pos), []), key=lambda item: item.index)

    def generate(self, lemma: str, pos: str, morphemes: tuple[Any, ...]) -> str | None:
        """The one surface form of `lemma` (of `pos`) carrying `morphemes`, or None when zemberek cannot build it
        or builds several different forms (then we do not know which one is right)."""
        key = (lemma, pos, tuple(m.id_ for m in morphemes))
        if key in self._generated:
            return self._generated[key]
        # Homographs (ad_Noun, ad_Noun_1) inflect differently; the lowest-index item is the common word, the one
        # the lexicon's verify_lexicon.py checks too.
        items = self.items(lemma, pos)[:1]
        surfaces = {r.surface for item in items for r in self.zemberek.word_generator.generate(item=item,
                                                                                              morphemes=morphemes)}
        out = surfaces.pop() if len(surfaces) == 1 else None
        self._generated[key] = out
        return out

    def sentence_parses(self, sentence: str) -> list[tuple[str, Parse | None]]:
        """The naive path (the benchmark's baseline): analyse and disambiguate a whole sentence, no cache."""
        result = []
        for word_analysis in self.zemberek.analyze_and_disambiguate(sentence):
            best = word_analysis.best_analysis
            word = word_analysis.word_analysis.inp
            if best is None or best.item.is_unknown():
                result.append((word, None))
                continue
            result.append((word, Parse(best.item.lemma, best.item.primary_pos.short_form,
                                       best.item.secondary_pos in self._not_common, tuple(best.get_morphemes()))))
        return result


@lru_cache(maxsize=1)
def get_morphology() -> Morphology:
    """The process-wide zemberek instance (loading it twice costs another 10 s and ~1 GiB)."""
    return Morphology()
