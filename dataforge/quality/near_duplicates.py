"""Near-duplicate clusters: MinHash signatures + LSH banding over word shingles, vectorised with polars/numpy.

Normalisation (Turkish-aware, the same for clustering and `similarity`): Turkish lower-casing (I→ı, İ→i), then
folding ç ğ ı ö ş ü â î û to ASCII so an asciified copy of a record matches its original, then words = runs of
letters and digits. Shingles are word 3-grams (texts of fewer than three words use their words).

Parameters (PARAMS) and why: 64 permutations in 16 bands of 4 rows make a pair with Jaccard 0.7 a candidate with
probability 1 - (1 - 0.7^4)^16 ≈ 0.99 and one with Jaccard 0.3 with probability 0.12; candidates are then kept
only when their signatures agree on at least THRESHOLD of the permutations (estimated Jaccard ≥ 0.7).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

# Folding to ASCII before lower-casing makes the Turkish I/ı/İ/i question moot (all four become "i") and lets
# plain lower-casing do the rest; one pass instead of Turkish lower-casing followed by folding.
_FOLD_FROM = list("IİıÇçĞğÖöŞşÜüÂâÎîÛû")
_FOLD_TO = list("iiiccggoossuuaaiiuu")


@dataclass(frozen=True)
class Params:
    num_perm: int = 64
    bands: int = 16
    rows: int = 4
    threshold: float = 0.7
    shingle: int = 3
    seed: int = 0


PARAMS = Params()
CHUNK = 1 << 16  # shingles per slice in `signatures`: 64k × 8 bytes fits in L2


def words_expr(col: str) -> pl.Expr:
    """Polars expression: the normalised word list of a text column."""
    e = pl.col(col).str.replace_many(_FOLD_FROM, _FOLD_TO).str.to_lowercase()
    return e.str.extract_all(r"[\p{L}\p{N}]+")


def word_hashes(texts: list[str] | pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(doc index, 64-bit word hash) arrays in text order. Word hashes come from polars' seeded hash: stable
    within one run, which is all that is needed (every comparison happens within one run)."""
    s = texts if isinstance(texts, pl.Series) else pl.Series("text", texts, dtype=pl.String)
    w = (pl.DataFrame({"text": s}).with_row_index("doc").select("doc", words_expr("text").alias("w"))
         .explode("w").drop_nulls("w").with_columns(pl.col("w").hash(seed=PARAMS.seed).alias("h")))
    return w["doc"].to_numpy().astype(np.int64), w["h"].to_numpy()


def ngram_hashes(doc: np.ndarray, h: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(doc, hash) of every run of n consecutive words inside one doc (order-sensitive)."""
    if len(h) < n:
        return doc[:0], h[:0]
    gram = h[: len(h) - n + 1].copy()
    with np.errstate(over="ignore"):
        for k in range(1, n):  # mix with an odd constant so "a b" and "b a" differ
            gram = gram * np.uint64(0x9E3779B97F4A7C15) + h[k : len(h) - n + 1 + k]
    same_doc = doc[: len(doc) - n + 1] == doc[n - 1 :]
    return doc[: len(same_doc)][same_doc], gram[same_doc]


def shingle_hashes(texts: list[str] | pl.Series, n: int = PARAMS.shingle) -> tuple[np.ndarray, np.ndarray]:
    """(doc index, shingle hash) arrays in doc order: word n-grams, or the words of texts shorter than n."""
    return shingles_from_words(*word_hashes(texts), len(texts), n)


def shingles_from_words(doc: np.ndarray, h: np.ndarray, n_docs: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    if len(h) == 0:
        return doc, h
    counts = np.bincount(doc, minlength=n_docs)
    short = counts[doc] < n
    # Index shingles by the position of their first word so doc order holds without sorting.
    gram = h.copy()
    valid = short.copy()
    if len(h) >= n:
        with np.errstate(over="ignore"):
            g = h[: len(h) - n + 1].copy()
            for k in range(1, n):  # mix with an odd constant so "a b c" and "c b a" differ
                g = g * np.uint64(0x9E3779B97F4A7C15) + h[k : len(h) - n + 1 + k]
        head = slice(0, len(h) - n + 1)
        full = doc[head] == doc[n - 1 :]
        gram[head] = np.where(full, g, gram[head])
        valid[head] |= full
    return doc[valid], gram[valid]


def signatures(doc: np.ndarray, h: np.ndarray, n_docs: int, params: Params = PARAMS) -> np.ndarray:
    """MinHash signature matrix (n_docs × num_perm, uint32); docs without shingles get all-max rows."""
    rng = np.random.default_rng(params.seed)
    a = rng.integers(1, 2**63, size=params.num_perm, dtype=np.uint64) | np.uint64(1)  # odd: multiply-shift hashing
    b = rng.integers(0, 2**63, size=params.num_perm, dtype=np.uint64)
    sig = np.full((n_docs, params.num_perm), 0xFFFFFFFF, dtype=np.uint32)
    if len(h) == 0:
        return sig
    # Work through the shingles in slices of whole docs so each slice stays in cache across all permutations.
    bounds = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
    step = max(1, len(bounds) * CHUNK // max(len(h), 1))
    for lo in range(0, len(bounds), step):
        starts = bounds[lo : lo + step]
        end = bounds[lo + step] if lo + step < len(bounds) else len(h)
        hh, local = h[starts[0] : end], starts - starts[0]
        present = doc[starts]
        with np.errstate(over="ignore"):
            for p in range(params.num_perm):
                v = ((hh * a[p] + b[p]) >> np.uint64(32)).astype(np.uint32)
                sig[present, p] = np.minimum.reduceat(v, local)
    return sig


def band_keys(sig: np.ndarray, params: Params = PARAMS) -> list[np.ndarray]:
    """One 64-bit LSH bucket key per band for each signature row: two docs are candidates when they share a key
    in any band. The Ray engine groups the same keys across blocks, so its buckets are these buckets."""
    s = sig.astype(np.uint64)
    keys = []
    with np.errstate(over="ignore"):
        for band in range(params.bands):
            k = np.full(len(s), np.uint64(band) * np.uint64(0xD6E8FEB86659FD93))
            for j in range(params.rows):
                k = k * np.uint64(0x9E3779B97F4A7C15) + s[:, band * params.rows + j]
            keys.append(k)
    return keys


def candidate_pairs(sig: np.ndarray, params: Params = PARAMS, active: np.ndarray | None = None) -> np.ndarray:
    """(k × 2) doc pairs that share at least one LSH band: (bucket's first doc, doc) and (previous doc, doc)."""
    n = sig.shape[0]
    docs = np.arange(n) if active is None else np.flatnonzero(active)
    if len(docs) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    key = np.concatenate(band_keys(sig[docs], params))
    member = np.tile(docs, params.bands)
    order = np.argsort(key, kind="stable")
    key, member = key[order], member[order]
    start = np.r_[True, key[1:] != key[:-1]]
    first = member[np.maximum.accumulate(np.where(start, np.arange(len(key)), 0))]
    # Each bucket member is paired with the bucket's first member and with its neighbour: linear in bucket size,
    # and a member unlike the first can still join through a neighbour it is similar to.
    prev = np.r_[member[:1], member[:-1]]
    pairs = np.concatenate([np.stack([first[~start], member[~start]], axis=1),
                            np.stack([prev[~start], member[~start]], axis=1)])
    pairs.sort(axis=1)
    return np.unique(pairs, axis=0) if len(pairs) else pairs.astype(np.int64)


def connected_labels(n: int, pairs: np.ndarray) -> np.ndarray:
    """Component label per node (the smallest node index in its component), by min-label propagation."""
    labels = np.arange(n)
    if len(pairs) == 0:
        return labels
    i, j = pairs[:, 0], pairs[:, 1]
    while True:
        m = np.minimum(labels[i], labels[j])
        new = labels.copy()
        np.minimum.at(new, i, m)
        np.minimum.at(new, j, m)
        new = new[new]  # pointer jumping shortens chains
        if np.array_equal(new, labels):
            return labels
        labels = new


@dataclass
class Clusters:
    cluster: np.ndarray  # per doc: cluster id = smallest doc index in the cluster
    size: np.ndarray  # per doc: number of docs in its cluster (1: no near duplicate)
    pairs: int  # verified similar pairs


def cluster(texts: list[str] | pl.Series, params: Params = PARAMS,
            words: tuple[np.ndarray, np.ndarray] | None = None) -> Clusters:
    """Near-duplicate clusters of `texts` (docs without words are never clustered). `words` takes the output
    of word_hashes(texts) when the caller already has it."""
    n = len(texts)
    doc, h = shingles_from_words(*(words or word_hashes(texts)), n, params.shingle)
    sig = signatures(doc, h, n, params)
    active = np.zeros(n, dtype=bool)
    active[doc] = True
    pairs = candidate_pairs(sig, params, active)
    if len(pairs):
        agree = (sig[pairs[:, 0]] == sig[pairs[:, 1]]).mean(axis=1)
        pairs = pairs[agree >= params.threshold]
    labels = connected_labels(n, pairs)
    size = np.bincount(labels, minlength=n)[labels]
    return Clusters(cluster=labels, size=size, pairs=len(pairs))


def similarity(a: str, b: str) -> float:
    """Exact Jaccard similarity of the shingle sets of `a` and `b`, with the clusterer's normalisation and
    shingling. 1.0 for two texts without words."""
    doc, h = shingle_hashes([a, b])
    sa, sb = set(h[doc == 0].tolist()), set(h[doc == 1].tolist())
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)
