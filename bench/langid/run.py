"""Language ID benchmark: accuracy on a labelled set (bench/langid/labelled.py) and throughput against the
seeded langdetect baseline, for every backend of dataforge.quality.language.

    PYTHONPATH=$PWD python bench/langid/run.py [--repeat 3] [--runs 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from labelled import labelled  # noqa: E402

from dataforge.quality.language import MAX_CHARS, SHORT_CHARS, detect_languages  # noqa: E402

BACKENDS = ("langdetect", "fasttext", "lingua")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="copies of the set for the throughput run")
    ap.add_argument("--runs", type=int, default=5, help="timed rounds; the best one counts for each contender")
    args = ap.parse_args()
    data = labelled()
    texts = [t for _, _, t in data]
    groups = Counter(g for g, _, _ in data)
    print(f"labelled set: {len(data)} texts: " + ", ".join(f"{g} {n}" for g, n in groups.items()))
    for backend in BACKENDS:
        detect_languages(texts[:5], backend)  # load the model outside the timing
        got = detect_languages(texts, backend)
        right = Counter(g for (g, want, _), (lang, _) in zip(data, got, strict=True) if lang == want)
        acc = sum(right.values()) / len(data)
        per_group = ", ".join(f"{g} {right[g]}/{n}" for g, n in groups.items())
        print(f"{backend:10} accuracy {acc:.3f} ({per_group})")
        wrong = [(g, want, lang, t[:60]) for (g, want, t), (lang, _) in zip(data, got, strict=True) if lang != want]
        for w in wrong[:4]:
            print(f"           wrong: {w}")
    big = texts * args.repeat
    contenders = {"langdetect whole texts": lambda: _langdetect_whole_text(big)}
    contenders.update({b: (lambda b=b: detect_languages(big, b)) for b in BACKENDS})
    best = dict.fromkeys(contenders, float("inf"))
    # Rounds interleave the contenders so that a slow spell of this shared 2-core box hits all of them, not
    # just the one that happened to run then; the best of the rounds counts for each.
    for _ in range(args.runs):
        for name, run in contenders.items():
            t0 = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - t0)
    speed = {name: len(big) / seconds for name, seconds in best.items()}
    for name, value in speed.items():
        print(f"{name:22} {value:9,.0f} texts/s")
    whole = speed["langdetect whole texts"]
    for backend in BACKENDS[1:]:
        print(f"throughput {backend}: {speed[backend] / whole:.1f}x langdetect on whole texts (the baseline), "
              f"{speed[backend] / speed['langdetect']:.1f}x langdetect in the same "
              f"{SHORT_CHARS}/{MAX_CHARS}-character reads")


def _langdetect_whole_text(texts: list[str]) -> None:
    """The baseline as people usually call it: seeded langdetect.detect_langs on the whole text."""
    from langdetect import DetectorFactory, detect_langs

    DetectorFactory.seed = 0
    for t in texts:
        detect_langs(t)


if __name__ == "__main__":
    main()
