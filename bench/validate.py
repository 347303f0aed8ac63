"""Benchmark `dataforge validate` against a naive pydantic loop and `datasets.load_dataset("json")`.

    python bench/validate.py [--records 200000] [--big 10] [--rounds 5]

Each contender runs as its own process (imports included, as a user meets it) on the same seeded chat JSONL:
`dataforge validate` (like the naive loop and datasets, it writes nothing), and `dataforge validate --out`.
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
    # The naive loop and datasets write nothing, so plain `validate` is the like-for-like contender; `--out`
    # (which also writes the 177 MB of valid lines) is timed too.
    names = ("dataforge validate", "dataforge validate --out", "naive model_validate_json loop",
             "datasets.load_dataset(json)")
    with tempfile.TemporaryDirectory() as tmp:
        def commands(tag: str) -> list[list[str]]:  # a fresh output file and datasets cache for every run
            return [[*validate, str(small)], [*validate, str(small), "--out", f"{tmp}/out-{tag}.jsonl"],
                    [py, "-c", NAIVE, str(small)], [py, "-c", DATASETS, str(small), f"{tmp}/hf-cache-{tag}"]]

        times: list[list[float]] = [[] for _ in names]
        for r in range(args.rounds):
            for i, cmd in enumerate(commands(f"t{r}")):
                times[i].append(timed(cmd, cwd=ROOT))
        peaks = [run(cmd, cwd=ROOT)[1] for cmd in commands("mem")]
    median = [statistics.median(t) for t in times]
    best = [min(t) for t in times]
    print(f"machine: {machine()}; file: {small.name} ({small.stat().st_size / 1e6:.0f} MB, {args.records} records); "
          f"{args.rounds} rounds")
    print(f"{'contender':<34}{'median s':>9}{'best s':>8}{'peak MB (PSS)':>15}   x slower than validate, "
          "validate --out (median; best)")
    for i, name in enumerate(names):
        ratio = "" if i < 2 else (f"{median[i] / median[0]:.2f}x, {median[i] / median[1]:.2f}x; "
                                  f"{best[i] / best[0]:.2f}x, {best[i] / best[1]:.2f}x")
        print(f"{name:<34}{median[i]:>9.2f}{best[i]:>8.2f}{peaks[i]:>15.0f}   {ratio}")
    for name, t in zip(names, times, strict=True):
        print(f"  {name} runs: " + " ".join(f"{x:.2f}" for x in t))
    # The same records as Python's json.dumps writes them by default: every Turkish letter a backslash-u escape.
    escaped = DATA / f"chat-{args.records}-ascii.jsonl"
    if not escaped.exists() or escaped.stat().st_size == 0:
        with open(small, encoding="utf-8") as src, open(escaped, "w") as dst:
            dst.writelines(json.dumps(json.loads(line)) + "\n" for line in src)
    esc: list[list[float]] = [[], []]
    for _ in range(args.rounds):
        esc[0].append(timed([*validate, str(escaped)], cwd=ROOT))
        esc[1].append(timed([py, "-c", NAIVE, str(escaped)], cwd=ROOT))
    ours, naive = (statistics.median(t) for t in esc)
    print(f"escaped file {escaped.name} ({escaped.stat().st_size / 1e6:.0f} MB), medians: validate {ours:.2f} s, "
          f"naive loop {naive:.2f} s: {naive / ours:.2f}x")
    print("  validate runs: " + " ".join(f"{x:.2f}" for x in esc[0]))
    if args.big > 1:
        big = DATA / f"chat-{args.records * args.big}.jsonl"
        generate(big, args.records * args.big, seed=1)
        t_big, rss_big = run([*validate, str(big)], cwd=ROOT)
        print(f"memory: validate peak PSS {peaks[0]:.0f} MB on {args.records} records, {rss_big:.0f} MB on "
              f"{args.records * args.big} ({big.stat().st_size / 1e9:.1f} GB, {t_big:.1f} s)")


if __name__ == "__main__":
    main()
