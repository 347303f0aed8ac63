"""bench/scale: `check` and `clean --dedup` with the local engine (the baseline) and with Ray on the same box
(a local Ray that the command starts): wall time, peak RSS of the driver process, near-duplicate recall on the
planted pairs of bench/check/make_data.py, and whether both engines give the same results.

The driver's memory is the figure that should stay flat as the input grows (the records stay in Ray's object
store and workers; `check`'s driver keeps the feature table, without texts, in memory-mapped spill files, which
count in RSS as they are read but not in the driver's own heap, RssAnon). Ray processes are not the driver and
are not counted.

    PYTHONPATH=$PWD python bench/scale/run.py --records 100000 [--records 300000 ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The command runs in-process under a wrapper that reports the process's own peak RSS (ru_maxrss, KiB): the
# driver alone, since Ray's raylet, object store and workers are other processes. RSS also counts the pages of
# Ray's shared-memory object store that the driver has read through (they belong to the store, not to the
# driver), so a thread samples RssAnon (the driver's own heap) every 50 ms too and reports its peak.
WRAP = """
import resource, sys, threading, time
peak = [0]
def sample():
    while True:
        for line in open('/proc/self/status'):
            if line.startswith('RssAnon:'):
                peak[0] = max(peak[0], int(line.split()[1]))
        time.sleep(0.05)
threading.Thread(target=sample, daemon=True).start()
from dataforge.cli import main
rc = main(sys.argv[1:])
print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, peak[0], file=sys.stderr)
sys.exit(rc)
"""


def _data(n: int) -> tuple[Path, dict]:
    path = ROOT / "bench" / "data" / f"check_{n}.jsonl"
    if not path.exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "check" / "make_data.py"), "--records", str(n)],
                       check=True)
    return path, json.loads(path.with_suffix(".truth.json").read_text())


def _run(args: list[str]) -> tuple[float, tuple[float, float], int, list[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_USAGE_STATS_ENABLED": "0"}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", WRAP, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    peak = next((line.split()[1:] for line in proc.stderr.splitlines() if line.startswith("PEAK_KB")), ["0", "0"])
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    # without -q, `check` says one line as each stage ends ("NAME: N records in S s (at T s)"): where time goes
    stages = [line.strip() for line in proc.stderr.splitlines() if re.search(r": \d+ \w+ in [\d.]+ s \(at ", line)]
    return wall, (int(peak[0]) / 1024, int(peak[1]) / 1024), proc.returncode, stages


def _recall(drops: Path, pairs: list[list[int]]) -> float:
    """Share of planted near pairs (0-based line indices) whose later record was dropped as a duplicate."""
    gone = set()
    for line in drops.read_text().splitlines():
        d = json.loads(line)
        if d["reason"] in ("near_duplicate", "exact_duplicate"):
            gone.add(d["line"] - 1)
    return sum(max(a, b) in gone for a, b in pairs) / max(len(pairs), 1)


def bench(n: int, commands: set[str]) -> None:
    path, truth = _data(n)
    print(f"{n} records ({path.stat().st_size / 1e6:.0f} MB); cpus: {os.cpu_count()}, load average "
          f"{os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        reports, outs, figures = {}, {}, {}
        for engine in ("local", "ray"):
            if "check" in commands:
                wall, peak, rc, stages = _run(["check", str(path), "--report-dir", str(t / f"check_{engine}"),
                                               "--no-data-docs", "--engine", engine])
                reports[engine] = json.loads((t / f"check_{engine}" / "report.json").read_text())
                near = next(c["flagged"] for c in reports[engine]["checks"] if c["name"] == "near_duplicates")
                figures[("check", engine)] = wall, peak
                print(f"  check  {engine:5}  {wall:7.1f} s wall  driver peak RSS {peak[0]:6.0f} MiB, own heap "
                      f"(RssAnon) {peak[1]:6.0f} MiB  "
                      f"near_duplicates flagged {near}  (exit {rc})")
                for line in stages:
                    print(f"           {line}")
            if "clean" in commands:
                wall, peak, rc, _ = _run(["clean", str(path), "-o", str(t / f"clean_{engine}.jsonl"), "--dedup",
                                          "--drops", str(t / f"drops_{engine}.jsonl"), "-q", "--engine", engine])
                outs[engine] = (t / f"clean_{engine}.jsonl").read_bytes(), (t / f"drops_{engine}.jsonl").read_bytes()
                recall = _recall(t / f"drops_{engine}.jsonl", truth["near"])
                figures[("clean", engine)] = wall, peak
                print(f"  clean  {engine:5}  {wall:7.1f} s wall  driver peak RSS {peak[0]:6.0f} MiB, own heap "
                      f"(RssAnon) {peak[1]:6.0f} MiB  "
                      f"near-duplicate recall on planted pairs {recall:.4f}  (exit {rc})")
        for cmd in sorted(commands):
            (lw, lp), (rw, rp) = figures[(cmd, "local")], figures[(cmd, "ray")]
            print(f"  {cmd}: Ray / local (the baseline): wall {rw / lw:.2f}x, driver peak RSS {rp[0] / lp[0]:.2f}x, "
                  f"own heap {rp[1] / lp[1]:.2f}x")
        if reports:
            print(f"  same report.json: {'yes' if reports['local'] == reports['ray'] else 'NO'}")
        if outs:
            print(f"  same clean output and drops: {'yes' if outs['local'] == outs['ray'] else 'NO'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, action="append", help="repeat for several sizes (default 100000)")
    ap.add_argument("--commands", default="check,clean", help="check, clean or both (default)")
    args = ap.parse_args()
    for n in args.records or [100_000]:
        bench(n, set(args.commands.split(",")))


if __name__ == "__main__":
    main()
