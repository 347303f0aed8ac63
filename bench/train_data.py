"""Training data at scale: the tokenized cache, streaming memory, and padding per packing mode.

    python bench/train_data.py --records 200000 --rss 200000,2000000     # the issue's sizes
    python bench/train_data.py --records 20000 --rss 20000,200000        # what fits a busy 2-core box

1. Cache. `train`'s data preparation (read and validate, mix, encode with the chat template and the assistant
   mask, write the rows; data.val_fraction=0, so no near-duplicate clustering) of --records chat records with a
   BPE tokenizer trained on the bench data, in a fresh process: first with an empty cache (the baseline), then
   again with the same key (a hit: nothing read or tokenized). Ratio: first / second. Goal: >= 20x.
2. Memory. Peak PSS of the process tree while preparing data.streaming=true (data.cache=false) and drawing the
   rows 20 training steps of batch 8 would take, at each size in --rss; baseline: the in-memory preparation
   (data.streaming=false, data.cache=false) at the sizes in --in-memory. Goal: flat with streaming.
3. Padding. The share of pad tokens in the batches TRL 1.16's own collator builds (batch 8, max_length 2048) for
   packing none, bfd (TRL's pack_dataset, then its padding-free collator) and padding_free, on the sample data and
   the bench data.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))  # bench/validate.py imports `common` as a sibling

from bench.common import DATA, machine  # noqa: E402
from bench.common import run as run_sampled  # noqa: E402

SAMPLES = [str(ROOT / "sample_data" / f) for f in ("chat_tr.jsonl", "instructions_tr.jsonl")]


def bench_file(records: int) -> Path:
    from bench.validate import generate

    path = DATA / f"chat-{records}.jsonl"
    generate(path, records)
    return path


def tokenizer_dir(work: Path, data: Path) -> Path:
    """A byte-level BPE (8192 merges, ChatML template) trained on the first 20,000 bench records."""
    from itertools import islice

    from dataforge.train.tiny import build_tokenizer, texts_of

    out = work / "tokenizer"
    if not (out / "tokenizer.json").is_file():
        build_tokenizer(islice(texts_of([str(data)]), 100_000), out)
    return out


PREPARE = r"""
import json, os, sys, tempfile, time
from pathlib import Path
t0 = time.perf_counter()
from dataforge.run.run_dir import RunDir
from dataforge.train.prepare import prepare
from dataforge.train.recipe import chat_format, trained_tokenizer
from dataforge.train.recipes import load_recipe
import datasets, pyarrow  # imported here, so that prepare_s is the preparation itself
recipe, _ = load_recipe("tiny-cpu", json.loads(sys.argv[1]))
tok, template, _ = trained_tokenizer(recipe, recipe.model.name)
t1 = time.perf_counter()
with tempfile.TemporaryDirectory() as tmp:
    data = prepare(recipe, RunDir(Path(tmp)), chat_format(recipe, tok), template)
    t2 = time.perf_counter()
    take = int(sys.argv[2])
    if take:  # a stream: the rows the first training steps draw
        rows = sum(1 for _, _ in zip(range(take), data.train))
    else:
        rows = len(data.train)
t3 = time.perf_counter()
print(json.dumps({"import_load_s": t1 - t0, "prepare_s": t2 - t1, "draw_s": t3 - t2, "rows": rows,
                  "hit": bool(data.cache and data.cache.hit)}))
"""


def prepare_once(overrides: list[str], env: dict, take: int = 0) -> dict:
    out = subprocess.run([sys.executable, "-c", PREPARE, json.dumps(overrides), str(take)], env=env,
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def cache_bench(data: Path, tok: Path, work: Path, env: dict) -> dict:
    env = {**env, "DATAFORGE_TOKEN_CACHE": str(work / f"cache-{time.time_ns()}")}
    overrides = [f"model.name={tok}", f"data.train={data}", "data.val_fraction=0", "train.max_length=2048"]
    os.sync()
    first = prepare_once(overrides, env)
    os.sync()
    second = prepare_once(overrides, env)
    assert not first["hit"] and second["hit"] and first["rows"] == second["rows"]
    return {"first": first, "second": second, "ratio": first["prepare_s"] / second["prepare_s"]}


def rss_bench(records: int, tok: Path, streaming: bool, env: dict) -> tuple[float, float]:
    data = bench_file(records)
    overrides = [f"model.name={tok}", f"data.train={data}", "data.val_fraction=0", "train.max_length=2048",
                 "data.cache=false", f"data.streaming={str(streaming).lower()}", "train.max_steps=20"]
    cmd = [sys.executable, "-c", PREPARE, json.dumps(overrides), str(20 * 8 if streaming else 0)]
    return run_sampled(cmd, env=env)


def padding(paths: list[str], tok: Path, max_length: int, batch: int, seed: int = 0) -> dict:
    """Pad share of TRL's own batches for each packing mode."""
    import random

    from datasets import Dataset
    from trl.data_utils import pack_dataset
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    from dataforge.train.data import load_records
    from dataforge.train.recipe import chat_format, trained_tokenizer
    from dataforge.train.recipes import load_recipe

    recipe, _ = load_recipe("tiny-cpu", [f"model.name={tok}", f"train.max_length={max_length}"])
    tokenizer, _, _ = trained_tokenizer(recipe, str(tok))
    fmt = chat_format(recipe, tokenizer)
    rows = [fmt.encode(r)[0][:max_length] for p in paths for r in load_records([p])]
    random.Random(seed).shuffle(rows)  # the trainer's sampler draws rows at random
    pad = tokenizer.pad_token_id

    def share(sequences: list[list[int]], padding_free: bool) -> tuple[float, int]:
        collate = DataCollatorForLanguageModeling(pad_token_id=pad, padding_free=padding_free)
        total = pads = 0
        for i in range(0, len(sequences), batch):
            out = collate([{"input_ids": s} for s in sequences[i:i + batch]])
            n = out["input_ids"].numel()
            real = sum(len(s) for s in sequences[i:i + batch])
            total, pads = total + n, pads + (n - real)
        return pads / total, -(-len(sequences) // batch)

    packed = pack_dataset(Dataset.from_dict({"input_ids": rows}), max_length, "bfd")["input_ids"]
    tokens = sum(map(len, rows))
    result = {"rows": len(rows), "tokens": tokens}
    for mode, seqs, free in (("none", rows, False), ("bfd", packed, True), ("padding_free", rows, True)):
        s, steps = share(seqs, free)
        result[mode] = {"pad_share": s, "steps": steps}
    result["bfd"]["sequences"] = len(packed)
    result["bfd"]["fill"] = tokens / (len(packed) * max_length)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=200_000, help="records for the cache timing")
    ap.add_argument("--rss", default="200000,2000000", help="sizes for the streaming memory runs")
    ap.add_argument("--in-memory", default="200000", help="sizes for the in-memory (baseline) memory runs")
    ap.add_argument("--padding-records", type=int, default=None, help="bench records for the padding figures "
                    "(default --records; every record is tokenized again, uncached)")
    ap.add_argument("--skip", default="", help="parts to skip: cache,rss,padding")
    ap.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "dataforge-bench-data"))
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    data = bench_file(args.records)
    tok = tokenizer_dir(work, data)
    results: dict = {"machine": machine(), "records": args.records}
    skip = set(args.skip.split(","))
    print(f"machine: {machine()}; data {data.name} ({data.stat().st_size / 1e6:.0f} MB); tokenizer {tok}")
    if "cache" not in skip:
        c = cache_bench(data, tok, work, env)
        results["cache"] = c
        print(f"cache: {c['first']['rows']:,} rows; first run {c['first']['prepare_s']:.1f} s (baseline), cached "
              f"second run {c['second']['prepare_s']:.2f} s: {c['ratio']:.1f}x faster (goal >= 20x); process start "
              f"+ imports + tokenizer {c['first']['import_load_s']:.1f} s / {c['second']['import_load_s']:.1f} s "
              "not counted")
    if "rss" not in skip:
        results["rss"] = []
        for mode, sizes in (("in-memory", args.in_memory), ("streaming", args.rss)):
            for n in [int(x) for x in sizes.split(",") if x]:
                wall, peak = rss_bench(n, tok, mode == "streaming", env)
                results["rss"].append({"mode": mode, "records": n, "wall_s": wall, "peak_mb": peak})
                print(f"memory: {mode:<9} {n:>9,} records: peak PSS {peak:7.0f} MB ({wall:.0f} s, sampled)")
    if "padding" not in skip:
        results["padding"] = {}
        pdata = bench_file(args.padding_records or args.records)
        for name, paths in (("sample_data", SAMPLES), (pdata.name, [str(pdata)])):
            p = padding(paths, tok, 2048, 8)
            results["padding"][name] = p
            print(f"padding at max_length 2048, batch 8, {name} ({p['rows']:,} rows, {p['tokens']:,} tokens): "
                  + "; ".join(f"{m} {100 * p[m]['pad_share']:.1f}% pad, {p[m]['steps']:,} steps"
                              for m in ("none", "bfd", "padding_free"))
                  + f" (bfd: {p['bfd']['sequences']:,} packed sequences, {100 * p['bfd']['fill']:.1f}% full)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
