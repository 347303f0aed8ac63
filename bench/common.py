"""Helpers shared by the benchmarks: timing a command and sampling the peak RSS of its whole process tree."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"


def _tree_pss_kb(pid: int) -> int:
    """Proportional set size of a process and all its descendants, from /proc (Linux). PSS, not RSS: forked
    workers share their parent's pages, and summing RSS would count those pages once per process."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                total += next((int(line.split()[1]) for line in f if line.startswith("Pss:")), 0)
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def timed(cmd: list[str], **kw) -> float:
    """Wall seconds of `cmd`, not sampled: reading /proc every 10 ms costs CPU that a 2-core box takes from the
    command itself (more from one with workers than from a single process), so timing runs go unwatched.
    Earlier runs' writes are flushed first: their writeback (validate's --out, datasets' cache) would otherwise
    land in this run's time."""
    os.sync()
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-2000:]}")
    return wall


def run(cmd: list[str], **kw) -> tuple[float, float]:
    """Run `cmd`; return (wall seconds, peak memory (PSS) of its process tree in MB, sampled every 10 ms).
    The sampling slows the command down: time with timed()."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_pss_kb(proc.pid))
        time.sleep(0.01)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-2000:]}")
    return wall, peak / 1024


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
