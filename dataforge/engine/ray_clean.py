"""`dataforge clean --engine ray`: the same repairs and filters as dataforge.clean, block by block on a Ray
cluster, with exact and near duplicates found across blocks (engine.ray_duplicates).

Each Ray Data task parses its block and runs clean's own steps on it (repairs, empty turns, language); the
order-dependent global step (duplicates: the first record is kept) runs on keys and signatures grouped across
blocks. The driver then writes the output and --drops by streaming the blocks in input order, one at a time,
in the local engine's order (rejected, empty turns, language, exact, near), so both files are byte for byte
the local engine's. Every block's output is one object that a retried task replaces, so a worker killed
mid-job neither loses nor duplicates records; the summary still checks kept + dropped = input."""

from __future__ import annotations

import hashlib
import pickle

import numpy as np
import orjson

from dataforge.clean import CleanSummary, _filter_language, _text, clean_record, drop_line, exact_key
from dataforge.engine import input_blocks
from dataforge.engine.ray_cluster import connected
from dataforge.engine.ray_duplicates import clusters, exact_duplicates, near_pairs
from dataforge.formats.registry import to_dict
from dataforge.io import AtomicWriter
from dataforge.quality.near_duplicates import PARAMS

PHASES = ("rejected", "empty", "language")  # drop lines a block writes itself, in clean's order


def _blob(lines: list[bytes]) -> bytes:
    return b"".join(lines)


def _clean_block(batch: dict, opts: dict) -> dict:
    """One block through clean's steps (runs on a worker)."""
    spec = input_blocks.Spec.from_batch(batch)
    block = input_blocks.parse(spec, allow_extra=opts["allow_extra"])
    s = CleanSummary(records=len(block.records) + len(block.rejected))
    lines: dict[str, list[bytes]] = {p: [] for p in PHASES}
    phase = ["rejected"]

    def drop(reason, where, detail, rec=None):
        s.dropped[reason] += 1
        lines[phase[0]].append(drop_line(reason, where, detail, None if rec is None else to_dict(rec, spec.fmt)))

    for rej in block.rejected:
        drop("empty_turn" if rej.blank_only else "invalid", (rej.path, rej.line),
             [f"{p.field}: {p.message}" for p in rej.problems])
    phase[0] = "empty"
    kept = []
    for rec in block.records:
        rec, reason, detail = clean_record(rec, s, fix=opts["fix_mojibake"], redact_pii=opts["redact_pii"])
        if reason:
            drop(reason, (rec.source, rec.line), detail, rec)
        else:
            kept.append(rec)
    phase[0] = "language"
    if opts["lang"]:
        kept = _filter_language(kept, opts["lang"], drop)
    out = [orjson.dumps(to_dict(r, spec.fmt)) + b"\n" for r in kept]
    row = {"block": spec.index, "n_kept": len(kept), "kept": _blob(out),
           "kept_ends": np.cumsum([len(x) for x in out], dtype=np.int64).tobytes(),
           "where": pickle.dumps([(r.source, r.line) for r in kept]),
           "counts": pickle.dumps((s.records, s.dropped, s.changed)),
           "problems": pickle.dumps([p for rej in block.rejected for p in rej.problems]),
           **{p: _blob(lines[p]) for p in PHASES}}
    if opts["dedup"]:
        digests = [hashlib.blake2b(exact_key(r).encode(), digest_size=16).digest() for r in kept]
        row["keys"] = b"".join(digests)
        from dataforge.quality.near_duplicates import shingles_from_words, signatures, word_hashes

        doc, h = shingles_from_words(*word_hashes([_text(r) for r in kept]), len(kept), PARAMS.shingle)
        sig = signatures(doc, h, len(kept), PARAMS)
        active = np.unique(doc)
        row["sig"], row["sig_rows"] = sig[active].tobytes(), active.astype(np.int64).tobytes()
    return {k: np.array([v], dtype=object if isinstance(v, bytes) else None) for k, v in row.items()}


def _keys(batch: dict, koff: np.ndarray) -> dict:
    k1, k2, ords = [], [], []
    for b, keys, n in zip(batch["block"], batch["keys"], batch["n_kept"], strict=True):
        a = np.frombuffer(keys, dtype=np.uint64).reshape(-1, 2)
        k1.append(a[:, 0])
        k2.append(a[:, 1])
        ords.append(koff[b] + np.arange(int(n), dtype=np.int64))
    return {"key": np.concatenate(k1), "key2": np.concatenate(k2), "ord": np.concatenate(ords)}


def _sigs(batch: dict, koff: np.ndarray, exclude: np.ndarray) -> dict:
    """Signatures of the records left after exact dedup (the local engine clusters only those)."""
    sigs, ords = [], []
    for b, s, rows in zip(batch["block"], batch["sig"], batch["sig_rows"], strict=True):
        o = koff[b] + np.frombuffer(rows, dtype=np.int64)
        keep = ~np.isin(o, exclude)
        sigs.append(np.frombuffer(s, dtype=np.uint32).reshape(-1, PARAMS.num_perm)[keep])
        ords.append(o[keep])
    return {"ord": np.concatenate(ords), "sig": np.concatenate(sigs)}


class _Blocks:
    """The materialized blocks, fetched one at a time in input order (zero-copy from the object store)."""

    def __init__(self, ray, ds, n: int):
        self.ray, self.refs = ray, ds.to_arrow_refs()
        self.at: list[tuple[int, int]] = [(-1, -1)] * n
        for i, ref in enumerate(self.refs):
            for j, b in enumerate(ray.get(ref).column("block").to_pylist()):
                self.at[b] = (i, j)

    def __iter__(self):
        for i, j in self.at:
            t = self.ray.get(self.refs[i])
            yield {c: t.column(c)[j].as_py() for c in t.column_names if c not in ("sig", "sig_rows", "keys")}


def _kept_lines(row: dict) -> list[bytes]:
    ends = np.frombuffer(row["kept_ends"], dtype=np.int64)
    starts = np.r_[0, ends][:-1]  # a block whose records were all dropped has no ends and no starts
    return [row["kept"][a:b] for a, b in zip(starts, ends, strict=True)]


def clean_ray(path: str, output: str, *, fmt: str = "auto", dedup: bool = False, redact_pii: bool = False,
              fix_mojibake_: bool = False, lang: str | None = None, drops: str | None = None,
              allow_extra: bool = False, report=None, address: str | None = None,
              block_bytes: int = input_blocks.BLOCK_BYTES, partitions: int | None = None) -> CleanSummary:
    specs = input_blocks.plan([path], fmt, block_bytes)
    opts = {"allow_extra": allow_extra, "fix_mojibake": fix_mojibake_, "redact_pii": redact_pii, "lang": lang,
            "dedup": dedup}
    with connected(address) as ray:
        ds = (ray.data.from_items([s.__dict__ for s in specs], override_num_blocks=len(specs))
              .map_batches(_clean_block, batch_size=1, fn_kwargs={"opts": opts}).materialize())
        blocks = _Blocks(ray, ds, len(specs))
        summary, n_kept = CleanSummary(), np.zeros(len(specs), dtype=np.int64)
        for row in blocks:
            records, dropped, changed = pickle.loads(row["counts"])
            summary.records += records
            summary.dropped += dropped
            summary.changed += changed
            n_kept[row["block"]] = row["n_kept"]
            if report:
                for p in pickle.loads(row["problems"]):
                    report(p)
        koff = np.r_[0, np.cumsum(n_kept)][:-1].astype(np.int64)
        exact, near = {}, {}
        if dedup:
            parts = partitions or max(1, min(64, len(specs)))
            dup, first = exact_duplicates(ds.map_batches(_keys, fn_kwargs={"koff": koff}, batch_format="numpy"),
                                          parts)
            exact = dict(zip(dup.tolist(), first.tolist(), strict=True))
            nodes, labels, _ = clusters(near_pairs(ds.map_batches(
                _sigs, fn_kwargs={"koff": koff, "exclude": dup}, batch_format="numpy"), parts))
            near = {n: lab for n, lab in zip(nodes.tolist(), labels.tolist(), strict=True) if n != lab}
        _write(blocks, koff, exact, near, output, drops, summary)
    return summary


def _write(blocks: _Blocks, koff: np.ndarray, exact: dict, near: dict, output: str, drops: str | None,
           summary: CleanSummary) -> None:
    wanted = set(exact.values()) | set(near.values())
    where: dict[int, str] = {}
    out_w = AtomicWriter(output)
    drop_w = AtomicWriter(drops) if drops else None
    ok = False
    try:
        for row in blocks:  # the output, and the places of the records that duplicates point to
            base = int(koff[row["block"]])
            places = pickle.loads(row["where"])
            for i, line in enumerate(_kept_lines(row)):
                if base + i in wanted:
                    where[base + i] = f"{places[i][0]}:{places[i][1]}"
                if base + i not in exact and base + i not in near:
                    out_w.write(line)
                    summary.kept += 1
        for reason, firsts in (("exact_duplicate", exact), ("near_duplicate", near)):
            summary.dropped[reason] += len(firsts)
            if not firsts:
                del summary.dropped[reason]
        if drop_w:
            for phase in PHASES:
                for row in blocks:
                    drop_w.write(row[phase])
            for reason, firsts in (("exact_duplicate", exact), ("near_duplicate", near)):
                for row in blocks:
                    base = int(koff[row["block"]])
                    places = pickle.loads(row["where"])
                    for i, line in enumerate(_kept_lines(row)):
                        if base + i in firsts:
                            drop_w.write(drop_line(reason, places[i], {"duplicate_of": where[firsts[base + i]]},
                                                   orjson.loads(line)))
        ok = True
    finally:
        for w in (out_w, drop_w):
            if w:
                w.commit() if ok else w.abort()


