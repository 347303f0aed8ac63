"""Synonym augmentation throughput (sentences/s): dataforge's path against the naive one, in the same run.

  ours:   words analysed one form at a time without sentence context, every decision cached by word form
          (SynonymAugmenter); timed cold (empty caches: one pass over distinct sentences) and warm.
  naive:  zemberek analyse + disambiguate per sentence, no cache; for each word with a lexicon entry, generate
          the synonym's form with zemberek (the textbook way to do it).

Usage:  PYTHONPATH=$PWD python bench/augment/synonym.py [--limit N]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from sentences import sentences  # noqa: E402

from dataforge.augment.lexicon import load_shipped  # noqa: E402
from dataforge.augment.morphology import Morphology  # noqa: E402
from dataforge.augment.synonym import SynonymAugmenter  # noqa: E402


def naive(morph: Morphology, lexicon, sents: list[str], ratio: float, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for sent in sents:
        words = morph.sentence_parses(sent)
        swaps = {}
        for word, parse in words:
            if parse is None or parse.proper:
                continue
            syns = lexicon.synonyms(parse.lemma, parse.pos)
            if syns and rng.random() < ratio * 3:
                items = morph.items(syns[0], parse.pos)[:1]
                for item in items:  # generation straight from zemberek, no cache
                    got = morph.zemberek.word_generator.generate(item=item, morphemes=parse.morphemes)
                    if got:
                        swaps[word] = got[0].surface
        out.append(" ".join(swaps.get(w, w) for w in sent.split()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0, help="use only the first N sentences")
    args = ap.parse_args()
    sents = sentences()
    if args.limit:
        sents = sents[: args.limit]
    t = time.perf_counter()
    morph = Morphology()
    lexicon = load_shipped()
    print(f"zemberek load: {time.perf_counter() - t:.1f} s; {len(sents)} distinct sentences")

    t = time.perf_counter()
    naive(morph, lexicon, sents, 0.15, 0)
    naive_s = time.perf_counter() - t

    aug = SynonymAugmenter(lexicon, morph, ratio=0.15)
    morph._parses.clear()
    morph._generated.clear()
    t = time.perf_counter()
    outs = aug.augment_texts(sents, list(range(len(sents))))
    cold = time.perf_counter() - t
    t = time.perf_counter()
    aug.augment_texts(sents, list(range(len(sents))))
    warm = time.perf_counter() - t
    changed = sum(a != b for a, b in zip(sents, outs, strict=True))

    rate = len(sents) / naive_s
    print(f"naive (analyse+disambiguate per sentence, no cache): {rate:8.1f} sentences/s")
    print(f"ours, cold caches (one pass):                        {len(sents) / cold:8.1f} sentences/s "
          f"({len(sents) / cold / rate:.1f}x)")
    print(f"ours, warm caches (second pass):                     {len(sents) / warm:8.1f} sentences/s "
          f"({len(sents) / warm / rate:.1f}x)")
    print(f"sentences changed by ours: {changed} of {len(sents)}; distinct word forms cached: {len(morph._parses)}")


if __name__ == "__main__":
    main()
