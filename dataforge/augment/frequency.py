"""How common a Turkish word form is, from wordfreq's Turkish list (Zipf scale: 6 = once per thousand words,
3 = once per million; 0 = not in the list).

Why wordfreq is read at run time and nothing derived from it is shipped: wordfreq's code is Apache-2.0 but its
word lists are CC BY-SA 4.0 (they derive from Wikipedia, OpenSubtitles, ParaCrawl ...). Frequency bands written
into our Apache-2.0 lexicon would be an adaptation of that data and carry its share-alike terms, so the bands are
computed when the lexicon is used, from the wordfreq package the user installed.

Turkish has only wordfreq's `small` list (about 63,000 forms, down to Zipf 3): a form that is not in it is rare
(under one per million words) or never written, which is the point: `hakikatleştirilecek` is not in it.
"""

from __future__ import annotations

import math
from functools import lru_cache

from dataforge.errors import MissingDependency

SEEN = 3.0  # the small list's floor: a form at or above this was seen in the corpora


@lru_cache(maxsize=200_000)
def zipf(word: str) -> float:
    """Zipf frequency of one word form, 0.0 when wordfreq's Turkish list does not have it."""
    try:
        from wordfreq import zipf_frequency
    except ImportError:
        raise MissingDependency("wordfreq", "augment") from None
    return zipf_frequency(word, "tr")


def band(z: float) -> int:
    """The frequency band of a Zipf value: its integer part (3: 1-10 per million, 4: 10-100, 5: 100-1000, ...);
    0 for a word the list does not have."""
    return int(math.floor(z)) if z >= SEEN else 0
