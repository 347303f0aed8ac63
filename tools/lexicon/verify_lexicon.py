"""Verify dataforge/augment/lexicon/synonyms_tr.tsv against zemberek.

Usage:  python tools/lexicon/verify_lexicon.py [path/to/synonyms_tr.tsv]

Checks, for every entry line ``lemma<TAB>pos<TAB>syn1|syn2|...``:

* format: exact header, three columns, POS in {Noun, Verb, Adj, Adv},
  1-4 distinct synonyms, single lowercase words of Turkish letters, no
  self-synonyms, no duplicate (lemma, pos) rows;
* symmetry: if A lists B then B has an entry with the same POS listing A;
* analysis: ``TurkishMorphology.analyze(word)`` yields an analysis whose
  ``analysis.item.lemma == word`` and ``analysis.item.primary_pos.short_form
  == pos`` (proper nouns and abbreviations do not count), for the lemma and
  for every synonym;
* generation: ``morphology.word_generator.generate(item=..., morphemes=...)``
  produces a surface form for every word with POS-specific morpheme templates
  (Noun: kitap+lar+ımız+dan, kitap+ta; Verb: oku+yabil+ecek+miş+siniz,
  gel+me+di+ler, oku+mak; Adj: güzel, güzel+Zero+leri+ne; Adv: bare), and
  the generated surface analyses back to the same lemma. Generation uses the
  lowest-index DictionaryItem when zemberek has homographs (ad_Noun vs.
  ad_Noun_1), which is the item an augmenter should use too.

Prints counts and exits with status 1 if anything fails.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

DEFAULT_TSV = Path(__file__).resolve().parents[2] / "dataforge" / "augment" / "lexicon" / "synonyms_tr.tsv"
HEADER = "lemma\tpos\tsynonyms"
POS_SET = ("Noun", "Verb", "Adj", "Adv")
MAX_SYNONYMS = 4
WORD_RE = re.compile(r"^[abcçdefgğhıijklmnoöprsştuüvyzâîûwxq]+$")

# template word -> POS whose morpheme sequence is reused for generation
TEMPLATES = {
    "Noun": ["kitaplarımızdan", "kitapta"],
    "Verb": ["okuyabilecekmişsiniz", "gelmediler", "okumak"],
    "Adj": ["güzel", "güzellerine"],
    "Adv": ["çok"],
}


def read_tsv(path: Path, errors: list[str]) -> dict[tuple[str, str], list[str]]:
    lines = path.read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != HEADER:
        errors.append(f"header must be {HEADER!r}")
        return {}
    entries: dict[tuple[str, str], list[str]] = {}
    for n, line in enumerate(lines[1:], 2):
        cols = line.split("\t")
        if len(cols) != 3:
            errors.append(f"line {n}: expected 3 tab-separated columns: {line!r}")
            continue
        lemma, pos, syn_field = cols
        syns = syn_field.split("|") if syn_field else []
        where = f"line {n} ({lemma}/{pos})"
        if pos not in POS_SET:
            errors.append(f"{where}: POS must be one of {POS_SET}")
        if (lemma, pos) in entries:
            errors.append(f"{where}: duplicate entry")
        if not 1 <= len(syns) <= MAX_SYNONYMS:
            errors.append(f"{where}: has {len(syns)} synonyms, expected 1-{MAX_SYNONYMS}")
        if len(set(syns)) != len(syns):
            errors.append(f"{where}: repeated synonym")
        if lemma in syns:
            errors.append(f"{where}: lists itself")
        for w in [lemma, *syns]:
            if not WORD_RE.match(w):
                errors.append(f"{where}: {w!r} is not a single lowercase Turkish word")
        entries[(lemma, pos)] = syns
    return entries


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_TSV
    errors: list[str] = []
    entries = read_tsv(path, errors)

    for (lemma, pos), syns in entries.items():
        for s in syns:
            back = entries.get((s, pos))
            if back is None:
                errors.append(f"{lemma}/{pos}: synonym {s!r} has no {pos} entry (asymmetric)")
            elif lemma not in back:
                errors.append(f"{lemma}/{pos}: {s!r} does not list {lemma!r} back (asymmetric)")

    warnings.filterwarnings("ignore")  # pkg_resources deprecation noise
    logging.disable(logging.INFO)
    t0 = time.time()
    from zemberek import TurkishMorphology
    from zemberek.core.turkish import SecondaryPos

    morph = TurkishMorphology.create_with_defaults()
    t_load = time.time() - t0
    skip_spos = {SecondaryPos.ProperNoun, SecondaryPos.Abbreviation}

    def items_for(word: str, pos: str):
        return {
            a.item
            for a in morph.analyze_without_cache(word)
            if a.item.lemma == word
            and a.item.primary_pos.short_form == pos
            and a.item.secondary_pos not in skip_spos
        }

    templates = {}
    for pos, words in TEMPLATES.items():
        templates[pos] = []
        for w in words:
            match = [a for a in morph.analyze(w) if a.item.primary_pos.short_form == pos
                     and a.item.secondary_pos not in skip_spos]
            if not match:
                errors.append(f"template {w!r} has no {pos} analysis")
                continue
            templates[pos].append((w, match[0].get_morphemes()))

    t1 = time.time()
    words = {(w, pos) for (lemma, pos), syns in entries.items() for w in [lemma, *syns]}
    n_generated = 0
    for word, pos in sorted(words):
        items = items_for(word, pos)
        if not items:
            errors.append(f"{word}/{pos}: no zemberek analysis with lemma {word!r} and POS {pos}")
            continue
        # homographs (ad_Noun / ad_Noun_1, kanaat_Noun / kanaat_Noun_1) differ in
        # vowel harmony; the lowest-index item is the standard one, so that is
        # the one generation is checked with (and the one an augmenter should use).
        item = min(items, key=lambda it: it.index)
        for tmpl, morphemes in templates.get(pos, []):
            surfaces = {r.surface for r in morph.word_generator.generate(item=item, morphemes=morphemes)}
            if not surfaces:
                errors.append(f"{word}/{pos}: zemberek cannot generate the {tmpl!r} form")
                continue
            n_generated += 1
            for surface in surfaces:
                if not any(a.item.lemma == word and a.item.primary_pos.short_form == pos
                           for a in morph.analyze_without_cache(surface)):
                    errors.append(f"{word}/{pos}: generated {surface!r} ({tmpl}) does not analyse back")
    t_check = time.time() - t1

    per_pos = Counter(pos for (_, pos) in entries)
    n_syn = sum(len(s) for s in entries.values())
    print(f"file: {path}")
    print(f"entries: {len(entries)}  ({', '.join(f'{p} {per_pos[p]}' for p in POS_SET)})")
    print(f"synonym links: {n_syn}  distinct words checked: {len(words)}")
    print(f"generated forms checked: {n_generated}")
    print(f"zemberek load {t_load:.1f}s, checks {t_check:.1f}s")
    if errors:
        print(f"FAILED: {len(errors)} problem(s)")
        for e in errors:
            print("  " + e)
        return 1
    print("OK: all entries pass")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
