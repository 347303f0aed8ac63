"""A held-out-style check of swap quality: every swap the augmenter can make in 30 hand-written sentences is
judged by hand by the rules in data/README.md; at least 95% must be acceptable."""

import json
from pathlib import Path

from dataforge.augment.protect import words_outside
from dataforge.augment.synonym import SynonymAugmenter, _starts_sentence

JUDGED = Path(__file__).parent / "data" / "swaps_judged.jsonl"


def possible_swaps(aug: SynonymAugmenter, text: str) -> dict[str, tuple[str, ...]]:
    """Every word the augmenter may change in `text`, with every replacement it may pick (any seed)."""
    words = words_outside(text)
    tokens = [w for _, _, w in words]
    aug._sentence_starts = {i for i, (s, _, _) in enumerate(words) if _starts_sentence(text, s)}
    return {tokens[i]: aug._allowed(tokens[i]) for i in aug.skip_aug(aug.pre_skip_aug(tokens), tokens)}


def test_at_least_95_percent_of_swaps_are_judged_acceptable(morphology, shipped_lexicon):
    aug = SynonymAugmenter(shipped_lexicon, morphology, ratio=1.0)
    rows = [json.loads(line) for line in JUDGED.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 30
    verdicts, unjudged = [], []
    for row in rows:
        for word, choices in possible_swaps(aug, row["text"]).items():
            for choice in choices:
                verdict = row["swaps"].get(word, {}).get(choice)
                if verdict is None:
                    unjudged.append(f"{row['text']!r}: {word} -> {choice}")
                verdicts.append(verdict)
    assert not unjudged, "judge these swaps in data/swaps_judged.jsonl:\n" + "\n".join(unjudged)
    acceptable = verdicts.count("acceptable")
    assert len(verdicts) >= 25 and acceptable / len(verdicts) >= 0.95, (acceptable, len(verdicts))
