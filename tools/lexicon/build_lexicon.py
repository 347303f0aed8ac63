"""Build synonyms_tr.tsv from the hand-written seed groups.

Usage:  python tools/lexicon/build_lexicon.py

Reads synonym_groups_tr.txt (next to this file), resolves every seed word to
zemberek's ``DictionaryItem.lemma`` for the group's POS (so verb roots such as
``başla`` become ``başlamak`` and ``kainat`` becomes ``kâinat``), merges the
groups into a symmetric synonym graph and writes synonyms_tr.tsv.

Exits non-zero if a seed word cannot be resolved to exactly one lemma, or if
a word would end up with more than MAX_SYNONYMS synonyms (fix the seed file
by hand in both cases; nothing is dropped silently).

Run verify_lexicon.py afterwards.
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections import OrderedDict
from pathlib import Path

HERE = Path(__file__).resolve().parent  # the seed groups live here
PACKAGE = HERE.parents[1] / "dataforge" / "augment" / "lexicon"  # the TSV the package ships
SEED = HERE / "synonym_groups_tr.txt"
OUT = PACKAGE / "synonyms_tr.tsv"
POS_ORDER = ("Noun", "Verb", "Adj", "Adv")
MAX_SYNONYMS = 4
TR_ORDER = "abcçdefgğhıijklmnoöprsştuüvyz"
_CIRCUMFLEX = str.maketrans("âîû", "aiu")


def tr_key(word: str):
    """Sort key following the Turkish alphabet (circumflex letters folded)."""
    return [TR_ORDER.find(c) if c in TR_ORDER else 100 + ord(c) for c in word.translate(_CIRCUMFLEX)]


def read_groups(path: Path):
    groups = []
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pos, *words = line.split()
        if pos not in POS_ORDER:
            raise SystemExit(f"{path.name}:{lineno}: unknown POS {pos!r}")
        if len(words) < 2 or len(set(words)) != len(words):
            raise SystemExit(f"{path.name}:{lineno}: a group needs >= 2 distinct words")
        groups.append((lineno, pos, words))
    return groups


def main() -> int:
    warnings.filterwarnings("ignore")
    logging.disable(logging.INFO)
    from zemberek import TurkishMorphology
    from zemberek.core.turkish import SecondaryPos

    morph = TurkishMorphology.create_with_defaults()
    skip_spos = {SecondaryPos.ProperNoun, SecondaryPos.Abbreviation}

    # index: (surface key, POS) -> set of lemmas; keys are lemma, root and the
    # circumflex-free spelling of the lemma.
    index: dict[tuple[str, str], set[str]] = {}
    for item in morph.lexicon:
        if item.secondary_pos in skip_spos:
            continue
        pos = item.primary_pos.short_form
        if pos not in POS_ORDER:
            continue
        for key in {item.lemma, item.root, item.lemma.translate(_CIRCUMFLEX)}:
            index.setdefault((key, pos), set()).add(item.lemma)

    errors = []
    graph: dict[tuple[str, str], OrderedDict[str, None]] = {}
    for lineno, pos, words in read_groups(SEED):
        lemmas = []
        for w in words:
            found = index.get((w, pos), set())
            if w in found:  # exact lemma wins (kanun vs. kânun, samimi vs. samimî)
                found = {w}
            if len(found) != 1:
                errors.append(f"line {lineno}: {w!r} ({pos}) -> {sorted(found) or 'no lemma'}")
                continue
            lemmas.append(next(iter(found)))
        for a in lemmas:
            node = graph.setdefault((a, pos), OrderedDict())
            for b in lemmas:
                if a != b:
                    node[b] = None

    for (lemma, pos), syns in graph.items():
        if len(syns) > MAX_SYNONYMS:
            errors.append(f"{lemma} ({pos}) has {len(syns)} synonyms: {list(syns)}")
    if errors:
        print("build failed:", *errors, sep="\n  ")
        return 1

    rows = sorted(graph.items(), key=lambda kv: (POS_ORDER.index(kv[0][1]), tr_key(kv[0][0])))
    with OUT.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("lemma\tpos\tsynonyms\n")
        for (lemma, pos), syns in rows:
            fh.write(f"{lemma}\t{pos}\t{'|'.join(syns)}\n")
    counts = {p: sum(1 for (_, q) in graph if q == p) for p in POS_ORDER}
    print(f"wrote {OUT.name}: {len(graph)} entries {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
