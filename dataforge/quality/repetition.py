"""Gopher-style repetition ratios (Rae et al. 2021, "Scaling Language Models", appendix A), over words:

- `rep_top2gram`: share of words covered by the most frequent word 2-gram (Gopher flags > 0.20);
- `rep_dup5gram`: share of word 5-grams that occur more than once in the text (Gopher's duplicate 5-gram
  character share, flagged > 0.15);
- `rep_dup_lines`: share of non-empty lines that repeat an earlier line (Gopher flags > 0.30).

Counted over words, not characters, to reuse the word hashes of the near-duplicate pass. Short texts repeat
by chance ("Evet. Evet."), so the Gopher ratios judge only texts of at least MIN_WORDS words. A shorter text of
at least SHORT_MIN_WORDS words is `repetitive` when few of its words are distinct ("merhaba" typed 18 times):
degenerate output that no other check explains.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from dataforge.quality.near_duplicates import ngram_hashes

MIN_WORDS = 50
# Short texts: 10+ words of which at most a quarter are distinct. Real sentences of 10-50 words are mostly
# distinct words (0.7 and up on the sample chats); a loop of one or two words is far below.
SHORT_MIN_WORDS = 10
SHORT_MAX_DISTINCT = 0.25
LIMITS = {"rep_top2gram": 0.20, "rep_dup5gram": 0.15, "rep_dup_lines": 0.30}


def _gram_stats(doc: np.ndarray, h: np.ndarray, n: int, n_docs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per doc: (count of its most frequent n-gram, number of n-grams, n-grams whose count is > 1)."""
    gdoc, gram = ngram_hashes(doc, h, n)
    total = np.bincount(gdoc, minlength=n_docs)
    top = np.zeros(n_docs, dtype=np.int64)
    dup = np.zeros(n_docs, dtype=np.float64)
    if len(gram) == 0:
        return top, total, dup
    # One 64-bit key per occurrence: the doc in the high bits, the n-gram hash below. A plain sort then groups
    # equal n-grams of one doc together, docs in order, with no argsort (3x faster than np.unique here).
    doc_bits = max(1, int(n_docs - 1).bit_length())
    key = (gdoc.astype(np.uint64) << np.uint64(64 - doc_bits)) | (gram >> np.uint64(doc_bits))
    key.sort()
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    counts = np.diff(np.r_[starts, len(key)])
    owner = (key[starts] >> np.uint64(64 - doc_bits)).astype(np.int64)
    firsts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    top[owner[firsts]] = np.maximum.reduceat(counts, firsts)
    dup = np.bincount(owner, weights=np.where(counts > 1, counts, 0), minlength=n_docs)
    return top, total, dup


def repetition(texts: pl.Series, doc: np.ndarray, h: np.ndarray) -> pl.DataFrame:
    """One row per text: rep_top2gram, rep_dup5gram, rep_dup_lines and the `repetitive` flag."""
    n = len(texts)
    n_words = np.bincount(doc, minlength=n)
    top2 = _gram_stats(doc, h, 2, n)[0] * 2 / np.maximum(n_words, 1)
    _, total5, dup5 = _gram_stats(doc, h, 5, n)
    dup5 = dup5 / np.maximum(total5, 1)
    lines = (pl.DataFrame({"t": texts}).with_row_index("doc")
             .select("doc", pl.col("t").str.split("\n").alias("line")).explode("line")
             .with_columns(pl.col("line").str.strip_chars()).filter(pl.col("line").str.len_chars() > 0)
             .group_by("doc", "line").len()
             .group_by("doc").agg((pl.col("len") - 1).sum().alias("dup"), pl.col("len").sum().alias("total")))
    lines = pl.DataFrame({"doc": np.arange(n, dtype=np.uint32)}).join(
        lines.with_columns(pl.col("doc").cast(pl.UInt32)), on="doc", how="left").fill_null(0)
    dup_lines = lines["dup"].to_numpy() / np.maximum(lines["total"].to_numpy(), 1)
    long = n_words >= MIN_WORDS
    flag = long & ((top2 > LIMITS["rep_top2gram"]) | (dup5 > LIMITS["rep_dup5gram"])
                   | (dup_lines > LIMITS["rep_dup_lines"]))
    distinct = np.bincount(np.unique(np.stack([doc, h.view(np.int64)], axis=1), axis=0)[:, 0], minlength=n)
    short = (n_words >= SHORT_MIN_WORDS) & ~long
    flag |= short & (distinct <= SHORT_MAX_DISTINCT * n_words)
    return pl.DataFrame({"rep_top2gram": np.round(top2, 4), "rep_dup5gram": np.round(dup5, 4),
                         "rep_dup_lines": np.round(dup_lines, 4), "repetitive": flag})
