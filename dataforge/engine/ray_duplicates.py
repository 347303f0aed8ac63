"""Exact and near duplicates across blocks on Ray Data, equal to quality.near_duplicates on the whole input.

Records carry an `ord` (their position in the whole input), so "the first record" and "the smallest member"
mean what they mean on one machine.

* Exact: rows (key, ord) are hash-partitioned by key (groupby on `key % partitions`); inside a partition every
  key's first ord is found with a sort. Only duplicates come back: (ord, first ord).
* Near: each block computed its MinHash signatures with the local function (same permutations, same word
  hashes), so a signature does not depend on the block. Here every signature is emitted once per LSH band under
  the local engine's band key, the rows are hash-partitioned by key, and each partition builds the local
  engine's candidate pairs (bucket's first member, member) and (previous member, member), verified on the
  signatures with the same threshold. Only verified pairs come back; their connected components (the smallest
  ord labels a cluster) are computed here, as datatrove does, since they are as many as the duplicates, not as
  the records.
"""

from __future__ import annotations

import numpy as np

from dataforge.quality.near_duplicates import PARAMS, Params, band_keys, connected_labels


def _partition(batch: dict, parts: int) -> dict:
    batch["part"] = (batch["key"] % np.uint64(parts)).astype(np.int64)
    return batch


def _collect(ds, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    got: dict[str, list[np.ndarray]] = {n: [] for n in names}
    for batch in ds.iter_batches(batch_format="numpy", batch_size=None):
        for n in names:
            got[n].append(np.asarray(batch[n], dtype=np.int64))
    return {n: np.concatenate(v) if v else np.zeros(0, dtype=np.int64) for n, v in got.items()}


def _firsts(batch: dict) -> dict:
    key, key2, ord_ = batch["key"], batch["key2"], batch["ord"]
    order = np.lexsort((ord_, key2, key))
    key, key2, ord_ = key[order], key2[order], ord_[order]
    start = np.r_[True, (key[1:] != key[:-1]) | (key2[1:] != key2[:-1])] if len(key) else np.zeros(0, bool)
    first = ord_[np.maximum.accumulate(np.where(start, np.arange(len(key)), 0))] if len(key) else ord_
    return {"ord": ord_[~start].astype(np.int64), "first": first[~start].astype(np.int64)}


def exact_duplicates(keys, partitions: int) -> tuple[np.ndarray, np.ndarray]:
    """`keys`: a Dataset of (key uint64, key2 uint64, ord). Returns (ord, first ord) of every record whose key
    an earlier record has, sorted by ord."""
    dups = (keys.map_batches(_partition, fn_kwargs={"parts": partitions}, batch_format="numpy")
            .groupby("part", num_partitions=partitions).map_groups(_firsts, batch_format="numpy"))
    got = _collect(dups, ("ord", "first"))
    order = np.argsort(got["ord"], kind="stable")
    return got["ord"][order], got["first"][order]


def _bands(batch: dict, params: Params) -> dict:
    sig = np.asarray(batch["sig"], dtype=np.uint32).reshape(len(batch["ord"]), params.num_perm)
    keys = band_keys(sig, params)
    return {"key": np.concatenate(keys), "ord": np.tile(batch["ord"], params.bands),
            "sig": np.tile(sig, (params.bands, 1))}


def _verified_pairs(batch: dict, params: Params) -> dict:
    key, ord_ = batch["key"], batch["ord"]
    sig = np.asarray(batch["sig"], dtype=np.uint32).reshape(len(ord_), params.num_perm)
    order = np.lexsort((ord_, key))  # in a bucket, members in input order, as the local stable sort leaves them
    key, ord_, sig = key[order], ord_[order], sig[order]
    empty = {"a": np.zeros(0, np.int64), "b": np.zeros(0, np.int64)}
    if len(key) < 2:
        return empty
    start = np.r_[True, key[1:] != key[:-1]]
    idx = np.arange(len(key))
    first = np.maximum.accumulate(np.where(start, idx, 0))
    prev = np.r_[0, idx[:-1]]
    a = np.concatenate([first[~start], prev[~start]])
    b = np.concatenate([idx[~start], idx[~start]])
    agree = (sig[a] == sig[b]).mean(axis=1) >= params.threshold
    pairs = np.sort(np.stack([ord_[a[agree]], ord_[b[agree]]], axis=1), axis=1)
    pairs = np.unique(pairs, axis=0) if len(pairs) else pairs.reshape(0, 2)
    return {"a": pairs[:, 0].astype(np.int64), "b": pairs[:, 1].astype(np.int64)}


def near_pairs(signatures, partitions: int, params: Params = PARAMS) -> np.ndarray:
    """`signatures`: a Dataset of (ord, sig: num_perm uint32) for the records that have shingles. Returns the
    verified similar pairs (k × 2, smaller ord first, unique)."""
    pairs = (signatures.map_batches(_bands, fn_kwargs={"params": params}, batch_format="numpy")
             .map_batches(_partition, fn_kwargs={"parts": partitions}, batch_format="numpy")
             .groupby("part", num_partitions=partitions)
             .map_groups(_verified_pairs, fn_kwargs={"params": params}, batch_format="numpy"))
    got = _collect(pairs, ("a", "b"))
    out = np.stack([got["a"], got["b"]], axis=1)
    return np.unique(out, axis=0) if len(out) else out.reshape(0, 2)


def clusters(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ord, cluster label = smallest ord of its cluster, cluster size) for every ord in a pair."""
    if not len(pairs):
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    nodes, inv = np.unique(pairs, return_inverse=True)
    labels = connected_labels(len(nodes), inv.reshape(-1, 2))
    size = np.bincount(labels, minlength=len(nodes))[labels]
    return nodes, nodes[labels], size
