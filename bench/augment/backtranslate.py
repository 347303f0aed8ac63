"""Back-translation throughput with a tiny random MarianMT (built here, no download): batched against unbatched.

Both runs translate the same distinct sample sentences tr -> pivot -> tr with the same greedy settings and no
cache; only the batch size differs (--batch-size, default 16, against 1). The model is tiny, so the figure
measures the per-call overhead that batching removes, not a real model's speed.

Usage:  PYTHONPATH=$PWD python bench/augment/backtranslate.py [--limit 256] [--batch-size 16] [--device auto]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "tests" / "augment"))  # the tests' tiny-model builder
from sentences import sentences  # noqa: E402
from tiny_models import build_marian  # noqa: E402

from dataforge.augment.seq2seq import LocalTranslator  # noqa: E402


def round_trip(translator: LocalTranslator, texts: list[str]) -> float:
    t = time.perf_counter()
    translator.translate(translator.translate(texts))
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--max-new-tokens", type=int, default=24)
    args = ap.parse_args()
    texts = sentences()[: args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        model = str(build_marian(Path(tmp) / "marian"))
        common = {"device": args.device, "max_new_tokens": args.max_new_tokens}
        batched = LocalTranslator(model, batch_size=args.batch_size, **common)
        single = LocalTranslator(model, batch_size=1, **common)
        round_trip(batched, texts[:8])  # warm-up (first call allocates)
        t_single = round_trip(single, texts)
        t_batched = round_trip(batched, texts)
    print(f"device {batched.device}, {len(texts)} sentences, {os.cpu_count()} CPUs visible")
    print(f"unbatched (batch 1):  {len(texts) / t_single:8.1f} sentences/s round trip")
    print(f"batched (batch {args.batch_size}): {len(texts) / t_batched:8.1f} sentences/s round trip "
          f"({t_single / t_batched:.1f}x)")


if __name__ == "__main__":
    main()
