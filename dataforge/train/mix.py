"""A weighted training mix: how many records each source gives, and which, drawn by a seeded sampler.

Weights are shares of the mix. The mix is as large as it can be without drawing a source past what it has
(its records, capped by max_records, times its epochs): LLaMA-Factory's "first exhausted" interleave. Replay data
against forgetting is a source like any other, e.g. 100k Turkish records at weight 0.8 and 1M general records at
0.2 train 100k + 25k. Nothing is lost: a record that is not drawn is counted per source (`not_drawn`), and every
choice is a function of the seed.

The sampler never holds a source in memory: `multiplicities` walks a source once and says how often each record
is used (Knuth's selection sampling, algorithm S), and `interleave` merges the sources lazily in proportion.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from dataforge.run.config import TrainSource


@dataclass
class Take:
    """What one source gives the mix."""

    source: TrainSource
    records: int  # valid records in the file (held-out val records excluded)
    usable: int  # after max_records
    drawn: int  # rows it gives the mix, repeats included

    @property
    def full_passes(self) -> int:
        return self.drawn // self.usable if self.usable else 0

    @property
    def remainder(self) -> int:
        return self.drawn - self.full_passes * self.usable

    @property
    def used(self) -> int:
        """Distinct records that train at least once."""
        return self.usable if self.full_passes else self.remainder

    @property
    def not_drawn(self) -> int:
        return self.records - self.used


def plan_mix(sources: list[TrainSource], counts: list[int]) -> list[Take]:
    """How many rows each source gives (`counts`: its valid records)."""
    usable = [min(n, s.max_records or n) for s, n in zip(sources, counts, strict=True)]
    capacity = [u * s.epochs for s, u in zip(sources, usable, strict=True)]
    if all(s.weight is None for s in sources):
        drawn = [math.floor(c + 1e-9) for c in capacity]
    else:
        total_w = sum(s.weight for s in sources)
        shares = [s.weight / total_w for s in sources]
        size = min(c / p for c, p in zip(capacity, shares, strict=True))
        drawn = [min(math.floor(size * p + 0.5), math.floor(c + 1e-9)) for p, c in zip(shares, capacity, strict=True)]
    return [Take(s, n, u, d) for s, n, u, d in zip(sources, counts, usable, drawn, strict=True)]


def requested_shares(takes: list[Take]) -> list[float | None]:
    total_w = sum(t.source.weight or 0 for t in takes)
    return [t.source.weight / total_w if total_w else None for t in takes]


def realised_shares(takes: list[Take]) -> list[float]:
    total = sum(t.drawn for t in takes)
    return [t.drawn / total if total else 0.0 for t in takes]


def multiplicities(take: Take, rng: random.Random) -> Iterator[int]:
    """For each of the source's records in order, how many times it trains (0: not drawn). One pass, O(1) memory:
    first `usable` of `records` are chosen (max_records), then every usable record trains `full_passes` times and
    `remainder` of them once more."""
    n, usable_left, extra_left = take.records, take.usable, take.remainder
    full = take.full_passes
    for i in range(n):
        if usable_left and rng.random() * (n - i) < usable_left:
            pool_left = usable_left
            usable_left -= 1
            extra = 1 if extra_left and rng.random() * pool_left < extra_left else 0
            extra_left -= extra
            yield full + extra
        else:
            yield 0


def expand(items: Iterable, take: Take, seed: int) -> Iterator:
    """The source's items, each repeated as often as the mix uses it."""
    rng = random.Random(f"{seed}:{take.source.path}")
    for item, times in zip(items, multiplicities(take, rng), strict=False):
        for _ in range(times):
            yield item


def interleave(streams: list[Iterator], sizes: list[int], seed: int) -> Iterator:
    """Merge the streams, picking the next row from a source with probability proportional to what it has left,
    so every prefix of the mix holds the sources in about their shares."""
    rng = random.Random(f"{seed}:interleave")
    left = list(sizes)
    total = sum(left)
    while total:
        pick = rng.random() * total
        i = 0
        while pick >= left[i]:
            pick -= left[i]
            i += 1
        left[i] -= 1
        total -= 1
        try:
            yield next(streams[i])
        except StopIteration:  # a record could not be encoded: its problem is collected, the mix ends early
            total -= left[i]
            left[i] = 0


def shuffled(rows: Iterator, buffer: int, seed: int) -> Iterator:
    """A seeded shuffle buffer: files are often sorted (by topic, by length), a stream must not train in that
    order. Memory holds `buffer` rows."""
    rng = random.Random(f"{seed}:shuffle")
    pool: list = []
    for row in rows:
        if len(pool) < buffer:
            pool.append(row)
            continue
        j = rng.randrange(buffer)
        pool[j], row = row, pool[j]
        yield row
    rng.shuffle(pool)
    yield from pool
