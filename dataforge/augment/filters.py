"""Post-filters: is a new text still a good copy of its source? One small class per question, run as a plain list.

Each filter has a `reason` (the name counted in the summary when it rejects) and `keep(source, new) -> bool`.
Filters never count: the pipeline (dataforge.augment.run) does, in one place. `source` and `new` are all the
messages of a record joined by newlines (as `dataforge check` joins them), so every filter sees a record as one
text; messages outside `--roles` are the same on both sides.
The checks reuse the quality area's own definitions (language ID, PII, near-duplicate similarity), so an
augmented file passes `dataforge check` for the same reasons its candidates passed here.
"""

from __future__ import annotations

from collections.abc import Callable

from dataforge.augment import protect


class ExactDuplicate:
    """The augmenter changed nothing (no word had a safe synonym, the model echoed its input)."""

    reason = "exact_duplicate"

    def keep(self, source: str, new: str) -> bool:
        return " ".join(source.split()) != " ".join(new.split())


class LengthRatio:
    """len(new) / len(source) within [low, high]: a much shorter text lost content, a much longer one invented
    some. Defaults 0.5-2.0 allow for Turkish <-> English length swings after back-translation."""

    reason = "length_ratio"

    def __init__(self, low: float = 0.5, high: float = 2.0):
        self.low, self.high = low, high

    def keep(self, source: str, new: str) -> bool:
        return self.low <= len(new) / max(len(source), 1) <= self.high


class StillTurkish:
    """A Turkish source must give a Turkish text (a pivot that leaked through, or a model that answered in
    English, is rejected). Sources in another language are not judged. Texts under `min_chars` are too short
    for language ID to be trusted and pass."""

    reason = "language"

    def __init__(self, min_chars: int = 20):
        from dataforge.quality.language import detect_languages

        self.detect = detect_languages
        self.min_chars = min_chars

    def keep(self, source: str, new: str) -> bool:
        if len(new) < self.min_chars:
            return True
        (src_lang, _), (new_lang, _) = self.detect([source, new])
        return src_lang != "tr" or new_lang == "tr"


class _Unchanged:
    """The new text has exactly what `extract` finds in the source."""

    reason = ""
    extract: Callable[[str], object]

    def keep(self, source: str, new: str) -> bool:
        return self.extract(source) == self.extract(new)


class SameNumbers(_Unchanged):
    reason = "numbers_changed"
    extract = staticmethod(protect.numbers)


class SameUrls(_Unchanged):
    reason = "urls_changed"
    extract = staticmethod(protect.urls)


class SameCode(_Unchanged):
    """Code spans and fenced blocks must come back byte for byte."""

    reason = "code_changed"
    extract = staticmethod(protect.code)


class SameEntities:
    """Every likely named entity of the source (see protect.entities) still appears in the new text."""

    reason = "entities_changed"

    def keep(self, source: str, new: str) -> bool:
        return all(name in new for name in protect.entities(source))


class NoNewPii:
    """The new text holds no PII (TCKN, IBAN, phone, e-mail) that the source did not: models invent numbers."""

    reason = "new_pii"

    def __init__(self) -> None:
        from dataforge.quality.pii import find_pii

        self.find = find_pii

    def keep(self, source: str, new: str) -> bool:
        before = {(h.kind, h.text) for h in self.find(source)}
        return all((h.kind, h.text) in before for h in self.find(new))


class NotNearDuplicate:
    """Similarity to the source below `max_similarity`, by both the exact word-3-gram Jaccard and the MinHash
    estimate that `dataforge check` clusters with (64 permutations: the estimate can exceed the exact value by
    0.1 and more). The default is the check's near-duplicate threshold, so a kept candidate is not flagged as a
    near duplicate of its source later."""

    reason = "near_duplicate"

    def __init__(self, max_similarity: float | None = None):
        from dataforge.quality import near_duplicates

        self.nd = near_duplicates
        self.max_similarity = near_duplicates.PARAMS.threshold if max_similarity is None else max_similarity

    def estimated(self, source: str, new: str) -> float:
        sig = self.nd.signatures(*self.nd.shingle_hashes([source, new]), 2)
        return float((sig[0] == sig[1]).mean())

    def keep(self, source: str, new: str) -> bool:
        return max(self.nd.similarity(source, new), self.estimated(source, new)) < self.max_similarity


def tool_data(messages) -> bytes:
    """Everything of tool calling in a record, byte for byte: each message's calls (names, argument keys and
    values, ids), tool results and their ids, in order. Prose is left out."""
    import orjson

    return orjson.dumps([[m.role, [c.model_dump() for c in m.tool_calls or []], m.tool_call_id, m.name,
                          m.text() if m.role == "tool" else None] for m in messages])


def tool_calls_changed(source, new) -> str | None:
    """The post-filter on whole records (the text filters above see prose only): an augmenter must never touch a
    function name, an argument or a tool result. `tools` are carried over as they are."""
    return "tool_calls_changed" if tool_data(source) != tool_data(new) else None


def default_filters(min_length_ratio: float = 0.5, max_length_ratio: float = 2.0,
                    max_similarity: float | None = None) -> list:
    """All post-filters, cheapest first (the first that fails names the reason)."""
    return [ExactDuplicate(), LengthRatio(min_length_ratio, max_length_ratio), SameNumbers(), SameUrls(),
            SameCode(), SameEntities(), NoNewPii(), NotNearDuplicate(max_similarity), StillTurkish()]
