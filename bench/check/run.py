"""bench/check: `dataforge check` end to end on 100k records, and near-duplicate clustering against datasketch's
MinHash + MinHashLSH at equal parameters (same words, same word 3-gram shingles, 64 permutations, 16 bands × 4
rows, Jaccard threshold 0.7), with recall on the planted near duplicates of bench/check/make_data.py.

    PYTHONPATH=$PWD python bench/check/run.py [--records 100000] [--skip-e2e] [--skip-baseline]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[2]


def _data(n: int) -> tuple[Path, dict]:
    path = ROOT / "bench" / "data" / f"check_{n}.jsonl"
    if not path.exists():
        subprocess.run([sys.executable, str(Path(__file__).with_name("make_data.py")), "--records", str(n)],
                       check=True)
    return path, json.loads(path.with_suffix(".truth.json").read_text())


def end_to_end(path: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "dataforge", "check", str(path), "--report-dir", tmp, "-q"],
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
        dt = time.perf_counter() - t0
        report = json.loads((Path(tmp) / "report.json").read_text())
    flagged = ", ".join(f"{c['name']} {c['flagged']}" for c in report["checks"] if c["flagged"])
    print(f"dataforge check, {report['records']} records: {dt:.1f} s wall (exit {proc.returncode}; gate "
          f"{'passed' if report['passed'] else 'failed'}); flagged: {flagged}")
    return dt


def _texts(path: Path) -> list[str]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            msgs = json.loads(line)["messages"]
            out.append("\n".join(m["content"] for m in msgs))
    return out


def _recall(labels: np.ndarray, pairs: list[list[int]]) -> float:
    return sum(labels[a] == labels[b] for a, b in pairs) / max(len(pairs), 1)


def ours(texts: list[str]) -> tuple[float, np.ndarray]:
    from dataforge.quality.near_duplicates import cluster

    t0 = time.perf_counter()
    cl = cluster(texts)
    return time.perf_counter() - t0, cl.cluster


def datasketch_baseline(texts: list[str]) -> tuple[float, np.ndarray]:
    from datasketch import MinHash, MinHashLSH

    from dataforge.quality.near_duplicates import PARAMS, connected_labels, words_expr

    t0 = time.perf_counter()
    words = pl.DataFrame({"t": texts}).select(words_expr("t"))["t"].to_list()  # the same normalised words
    lsh = MinHashLSH(threshold=PARAMS.threshold, num_perm=PARAMS.num_perm, params=(PARAMS.bands, PARAMS.rows))
    sigs = []
    n = PARAMS.shingle
    for i, w in enumerate(words):
        grams = [" ".join(w[k:k + n]) for k in range(len(w) - n + 1)] if len(w) >= n else w
        m = MinHash(num_perm=PARAMS.num_perm, seed=PARAMS.seed)
        m.update_batch([g.encode() for g in grams])
        sigs.append(m)
        if grams:
            lsh.insert(i, m)
    pairs = []
    for i, m in enumerate(sigs):
        for j in lsh.query(m):
            if j > i and m.jaccard(sigs[j]) >= PARAMS.threshold:
                pairs.append((i, j))
    labels = connected_labels(len(texts), np.array(pairs, dtype=np.int64).reshape(-1, 2))
    return time.perf_counter() - t0, labels


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--skip-e2e", action="store_true")
    ap.add_argument("--skip-baseline", action="store_true")
    args = ap.parse_args()
    path, truth = _data(args.records)
    print(f"data: {path} ({args.records} records; planted {len(truth['near'])} near and {len(truth['exact'])} exact "
          f"duplicate pairs); cpus: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")
    if not args.skip_e2e:
        dt = end_to_end(path)
        print(f"  target ≤ 60 s: {'met' if dt <= 60 else 'NOT met'}")
    texts = _texts(path)  # truth indices are line numbers - 1
    t_ours, lab_ours = ours(texts)
    print(f"near-duplicates, dataforge: {t_ours:.2f} s ({len(texts) / t_ours:,.0f} records/s), recall on planted "
          f"near pairs {_recall(lab_ours, truth['near']):.4f}, exact pairs {_recall(lab_ours, truth['exact']):.4f}")
    if not args.skip_baseline:
        t_ds, lab_ds = datasketch_baseline(texts)
        print(f"near-duplicates, datasketch MinHash+MinHashLSH: {t_ds:.2f} s ({len(texts) / t_ds:,.0f} records/s), "
              f"recall on planted near pairs {_recall(lab_ds, truth['near']):.4f}")
        print(f"  speed-up dataforge / datasketch: {t_ds / t_ours:.1f}x (target ≥ 10x)")


if __name__ == "__main__":
    main()
