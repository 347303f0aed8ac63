"""`--method synonym`: swap word stems for synonyms of the same POS, keeping every suffix and vowel harmony right.

kitaplarımızdan -> zemberek: kitap:Noun + A3pl + P1pl + Abl -> lexicon: kitap ~ defter -> zemberek generates
defter + A3pl + P1pl + Abl = defterlerimizden. A word is only swapped when
- all its analyses (without sentence context) share one lemma, and none is a proper noun or abbreviation;
- every analysis regenerates to the same surface form for the synonym (so the ambiguity does not matter), and
- that surface form re-analyses to the synonym's lemma with the same morphemes.
Everything about a word form is decided once and cached, so a corpus costs one zemberek call per distinct form.

nlpaug supplies the word-augmenter contract: how many words to change (`aug_p` share, `aug_min`, `aug_max`),
the skip hooks that narrow the candidates (`pre_skip_aug`, `skip_aug`) and the pick (`_get_aug_idxes`). We supply
tokenisation (protected spans stay verbatim), morphology, and a seeded random source per text.
"""

from __future__ import annotations

import random
from typing import Any

from dataforge.augment.lexicon import Lexicon
from dataforge.augment.morphology import Morphology
from dataforge.augment.protect import words_outside
from dataforge.augment.swap_policy import SwapPolicy
from dataforge.augment.task import is_named
from dataforge.errors import MissingDependency
from dataforge.text.casing import tr_lower, tr_upper


def _word_augmenter_base() -> type:
    try:
        from nlpaug.augmenter.word.word_augmenter import WordAugmenter
    except ImportError:
        raise MissingDependency("nlpaug", "augment") from None
    return WordAugmenter


def tr_capitalize(word: str) -> str:
    """Capitalise with Turkish dotted/dotless i (i -> İ, ı -> I), which str.capitalize gets wrong."""
    return tr_upper(word[:1]) + word[1:]


_FOLD = str.maketrans("âîû", "aiu")


def _stem_prefixes(lexicon: Lexicon, morphology: Morphology) -> set[str]:
    """Prefixes every inflected form of a lexicon root starts with: the root minus its last letter (kitap ->
    kitab-, başla -> başlı-), minus two letters for roots that drop their last vowel (fikir -> fikr-).
    Roots that change more (de- -> di-yor) are only missed chances, never wrong swaps."""
    from zemberek.core.turkish import RootAttribute

    out = set()
    for key in lexicon.table:
        for item in morphology.items(*key):
            root = item.root.translate(_FOLD)
            out.add(root[:-1] if len(root) >= 3 else root)
            if RootAttribute.LastVowelDrop in item.attributes:
                out.add(root[:-2])
    return out


def _starts_sentence(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \t\"“«'(*-•#>")
    return not before or before[-1] in ".!?:;\n"


class SynonymAugmenter(_word_augmenter_base()):
    """Morphology-aware synonym substitution. `ratio` is the share of words to change (at least one)."""

    method_name = "synonym"  # nlpaug owns `self.method` (its "word" level)
    keeps_named_words = True  # augment_texts takes `keep`: run.py passes the words each record's task names

    def __init__(self, lexicon: Lexicon, morphology: Morphology, ratio: float = 0.15):
        from nlpaug.util import Action

        super().__init__(action=Action.SUBSTITUTE, name="TurkishSynonym_Aug", aug_p=ratio, aug_min=1, aug_max=None)
        self.lexicon = lexicon
        self.morphology = morphology
        self.ratio = ratio
        self.rng = random.Random(0)
        self._choices: dict[str, tuple[str, ...]] = {}
        self._sentence_starts: set[int] = set()
        self._stems = _stem_prefixes(lexicon, morphology)
        self.policy = SwapPolicy(lexicon, morphology)
        self._keep: set[str] = set()

    def params(self) -> dict[str, Any]:
        return {"ratio": self.ratio, "lexicon": self.lexicon.name, "policy": "same-register-and-band"}

    # nlpaug hooks -------------------------------------------------------------------------------------------------
    def sample(self, x: list, num: int | None = None) -> list:
        """nlpaug samples from the global `random`; ours is seeded per text so output does not depend on order."""
        return self.rng.sample(x, num)

    def pre_skip_aug(self, tokens: list[str], tuple_idx: int | None = None) -> list[int]:
        # ALL-CAPS words are acronyms or shouting: a lower-case synonym would read wrong either way. Capitalised
        # words inside a sentence are names (İstanbul, Ayşe): only sentence-initial capitals may be swapped.
        return [i for i, t in enumerate(tokens)
                if not (len(t) > 1 and t.isupper()) and (not t[:1].isupper() or i in self._sentence_starts)]

    def skip_aug(self, token_idxes: list[int], tokens: list[str]) -> list[int]:
        return [i for i in token_idxes if not self._named(tokens[i]) and self._allowed(tokens[i])]

    def _allowed(self, word: str) -> tuple[str, ...]:
        """The choices for `word` that do not bring in a word the task names (şehir -> kent, when it asks
        about "kent")."""
        return tuple(c for c in self.choices(word) if not self._named(c))

    def _named(self, word: str) -> bool:
        return bool(self._keep) and is_named(tr_lower(word), self._keep)

    # our part -----------------------------------------------------------------------------------------------------
    def choices(self, word: str) -> tuple[str, ...]:
        """The surface forms that may replace `word` (empty when none is safe). Cached by word form."""
        got = self._choices.get(word)
        if got is None:
            got = self._choices[word] = self._find_choices(word)
        return got

    def _find_choices(self, word: str) -> tuple[str, ...]:
        if "'" in word or "’" in word:  # Türkçe writes suffixes of proper names after an apostrophe
            return ()
        folded = tr_lower(word).translate(_FOLD)
        if not any(folded[:k] in self._stems for k in range(2, min(len(folded), 14) + 1)):
            return ()  # cannot be an inflection of any lexicon root: skip zemberek (it costs ~1 ms a word)
        # zemberek lists proper-noun readings of many common words (Kitap, Deniz). Written lower case, or
        # capitalised at a sentence start (substitute() skips capitalised words elsewhere), the common reading
        # is meant; a word with only proper readings (Ankara) is left alone.
        parses = tuple(p for p in self.morphology.parses(word) if not p.proper)
        if not parses or len({p.lemma for p in parses}) != 1:
            return ()
        lemma = parses[0].lemma
        # One lemma may still read as several POS (güzel: Adj, or Noun "beauty"). A synonym listed for one of
        # them is used when every reading it can be generated for gives the same surface form.
        syns: list[tuple[str, str]] = []
        for pos in sorted({p.pos for p in parses}):
            syns += [(s, pos) for s in self.lexicon.synonyms(lemma, pos)
                     if (s, pos) not in syns and self.policy.allows(lemma, s, pos)]
        out = []
        for syn, listed_pos in syns:
            generated = {p: self.morphology.generate(syn, p.pos, p.morphemes) for p in parses}
            surfaces = {s for s in generated.values() if s is not None}
            if len(surfaces) != 1 or not any(generated[p] for p in parses if p.pos == listed_pos):
                continue
            surface = surfaces.pop()
            if not self.policy.surface_ok(parses, surface):
                continue
            wanted = {(syn, p.pos, p.morpheme_ids) for p in parses if generated[p]}
            back = [q for q in self.morphology.parses(surface) if not q.proper]
            # The new form must read as the synonym only: `lezzetli` -> `tatlı` parses back as tat+lı, but also
            # as the word tatlı ("sweet"), which is what a reader sees. The same rule as for the source word.
            if {q.lemma for q in back} == {syn} and any((q.lemma, q.pos, q.morpheme_ids) in wanted for q in back):
                out.append(tr_capitalize(surface) if word[:1].isupper() else surface)
        return tuple(dict.fromkeys(out))

    def substitute(self, data: str) -> str:
        words = words_outside(data)
        tokens = [w for _, _, w in words]
        self._sentence_starts = {i for i, (start, _, _) in enumerate(words) if _starts_sentence(data, start)}
        picked = sorted(self._get_aug_idxes(tokens) or [])
        pieces, last = [], 0
        for i in picked:
            start, end, word = words[i]
            pieces += [data[last:start], self.rng.choice(self._allowed(word))]
            last = end
        pieces.append(data[last:])
        return "".join(pieces)

    def augment_texts(self, texts: list[str], seeds: list[int], keep: list[set[str]] | None = None) -> list[str]:
        """`keep[i]`: lower-cased words text i must keep in every inflection (the words its task names)."""
        out = []
        for i, (text, seed) in enumerate(zip(texts, seeds, strict=True)):
            self.rng = random.Random(seed)
            self._keep = keep[i] if keep else set()
            out.append(self.substitute(text))
        return out
