"""Benchmark `dataforge validate` against a naive pydantic loop and `datasets.load_dataset("json")`.

    python bench/validate.py [--records 200000] [--big 10] [--rounds 5]

Each contender runs as its own process (imports included, as a user meets it) on the same seeded chat JSONL.
Timing runs are not watched, and go in rounds that take every contender once, so that a slow spell of a shared
box hits all of them; the table gives the median and the best of the rounds. Peak memory comes from one more
run of each, sampled: PSS summed over the whole process tree (validate's workers included).
Targets: >= 3x the naive loop, >= 1.0x datasets, flat memory (<= 300 MB) on the file and on one --big times larger.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile

from common import DATA, ROOT, machine, run, timed

WORDS = ("merhaba dünya bugün hava çok güzel görünüyor ama yarın yağmur yağacak ve ben evde kitap okuyacağım "
         "çünkü şehir kalabalık İstanbul Ankara öğrenci öğretmen ağaç ılık şarkı çiçek göl ödev").split()

NAIVE = """
import sys
from dataforge.formats.chat import ChatRecord
n = 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        if line.strip():
            ChatRecord.model_validate_json(line)
            n += 1
"""

DATASETS = """
import sys, datasets
datasets.disable_progress_bars()
ds = datasets.load_dataset("json", data_files=sys.argv[1], split="train", cache_dir=sys.argv[2])
assert len(ds) > 0
"""


def generate(path, records: int, seed: int = 0) -> None:
    """A seeded chat file: a system prompt in a third of the records, one to three turns, Turkish words."""
    if path.exists() and path.stat().st_size > 0:
        return
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(records):
            msgs = [{"role": "system", "content": "Sen yardımcı bir asistansın."}] if i % 3 == 0 else []
            for _ in range(rng.randint(1, 3)):
                msgs.append({"role": "user", "content": " ".join(rng.choices(WORDS, k=rng.randint(5, 20)))})
                msgs.append({"role": "assistant", "content": " ".join(rng.choices(WORDS, k=rng.randint(10, 60)))})
            f.write(json.dumps({"messages": msgs}, ensure_ascii=False) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--big", type=int, default=10, help="also measure memory on a file this many times larger")
    ap.add_argument("--rounds", type=int, default=5, help="timing rounds (each runs every contender once)")
    args = ap.parse_args()
    small = DATA / f"chat-{args.records}.jsonl"
    generate(small, args.records)
    py = sys.executable
    validate = [py, "-m", "dataforge", "validate", "-q"]
    names = ("dataforge validate --out", "naive model_validate_json loop", "datasets.load_dataset(json)")
    with tempfile.TemporaryDirectory() as tmp:
        def commands(tag: str) -> list[list[str]]:  # a fresh output file and datasets cache for every run
            return [[*validate, str(small), "--out", f"{tmp}/out-{tag}.jsonl"], [py, "-c", NAIVE, str(small)],
                    [py, "-c", DATASETS, str(small), f"{tmp}/hf-cache-{tag}"]]

        times: list[list[float]] = [[], [], []]
        for r in range(args.rounds):
            for i, cmd in enumerate(commands(f"t{r}")):
                times[i].append(timed(cmd, cwd=ROOT))
        peaks = [run(cmd, cwd=ROOT)[1] for cmd in commands("mem")]
    median = [statistics.median(t) for t in times]
    best = [min(t) for t in times]
    print(f"machine: {machine()}; file: {small.name} ({small.stat().st_size / 1e6:.0f} MB, {args.records} records); "
          f"{args.rounds} rounds")
    print(f"{'contender':<34}{'median s':>9}{'best s':>8}{'peak MB (PSS)':>15}{'ours is x faster (median, best)':>33}")
    for i, name in enumerate(names):
        ratio = "" if i == 0 else f"{median[i] / median[0]:.2f}x, {best[i] / best[0]:.2f}x"
        print(f"{name:<34}{median[i]:>9.2f}{best[i]:>8.2f}{peaks[i]:>15.0f}{ratio:>33}")
    # The same records as Python's json.dumps writes them by default: every Turkish letter a backslash-u escape.
    escaped = DATA / f"chat-{args.records}-ascii.jsonl"
    if not escaped.exists() or escaped.stat().st_size == 0:
        with open(small, encoding="utf-8") as src, open(escaped, "w") as dst:
            dst.writelines(json.dumps(json.loads(line)) + "\n" for line in src)
    with tempfile.TemporaryDirectory() as tmp:
        pair = [[*validate, str(escaped), "--out", f"{tmp}/out.jsonl"], [py, "-c", NAIVE, str(escaped)]]
        esc = [statistics.median([timed(cmd, cwd=ROOT) for _ in range(args.rounds)]) for cmd in pair]
    print(f"escaped file {escaped.name} ({escaped.stat().st_size / 1e6:.0f} MB): validate {esc[0]:.2f} s, naive loop "
          f"{esc[1]:.2f} s (medians): {esc[1] / esc[0]:.2f}x")
    if args.big > 1:
        big = DATA / f"chat-{args.records * args.big}.jsonl"
        generate(big, args.records * args.big, seed=1)
        t_big, rss_big = run([*validate, str(big)], cwd=ROOT)
        print(f"memory: validate peak PSS {peaks[0]:.0f} MB on {args.records} records, {rss_big:.0f} MB on "
              f"{args.records * args.big} ({big.stat().st_size / 1e9:.1f} GB, {t_big:.1f} s)")


if __name__ == "__main__":
    main()
