"""`dataforge augment --engine ray`: the augment pipeline's own chunk step (augment.run._augment_chunk) over the
input's blocks in a Ray Data actor pool. The augmenter loads a model or zemberek (10-45 s), so each actor loads
it once and then takes block after block; records get their seeds from the run seed and their own identity,
so a record's candidates do not depend on its block. The driver writes the blocks' lines in input order and
adds up their tallies (candidates = kept + rejected is checked, as on one machine), journalling block by block
(augment/journal.py) so that `--resume` computes only the blocks an interrupted run had not written."""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Iterator

import numpy as np

from dataforge.augment.journal import Journal
from dataforge.engine import input_blocks
from dataforge.engine.ray_cluster import connected
from dataforge.errors import Problem
from dataforge.io import file_sha256


class AugmentBlocks:
    """A Ray Data actor: the augmenter and filters of `cfg`, built once, applied to one block per call."""

    def __init__(self, cfg: dict, allow_extra: bool):
        from dataforge.augment import build_augmenter, build_filters
        from dataforge.augment.config import AugmentConfig

        self.cfg = AugmentConfig(**cfg)
        self.augmenter, self.filters = build_augmenter(self.cfg), build_filters(self.cfg)
        self.allow_extra = allow_extra

    def __call__(self, batch: dict) -> dict:
        from dataforge.augment.run import CHUNK, _augment_chunk
        from dataforge.augment.tally import Tally

        spec = input_blocks.Spec.from_batch(batch)
        block = input_blocks.parse(spec, allow_extra=self.allow_extra)
        tally, lines = Tally(self.augmenter.method_name), []
        for rec in block.records:
            if rec.meta.format is None:
                rec.meta.format = spec.fmt
        for i in range(0, len(block.records), CHUNK):  # the local engine's chunk size: models batch the same way
            lines += _augment_chunk(block.records[i:i + CHUNK], spec.path, self.cfg, self.augmenter, self.filters,
                                    tally)
        problems = [p for rej in block.rejected for p in rej.problems]
        return {"block": np.array([spec.index]), "lines": np.array([b"".join(lines)], dtype=object),
                "tally": np.array([pickle.dumps(tally.state())], dtype=object),
                "invalid": np.array([block.summary.invalid]),
                "problems": np.array([pickle.dumps(problems)], dtype=object)}


def augment_ray(path: str, out: str, cfg, *, fmt: str = "auto", allow_extra: bool = False, report=None,
                resume: bool = False, address: str | None = None, actors: int | None = None,
                block_bytes: int = input_blocks.BLOCK_BYTES):
    """augment_file's result, computed on a Ray cluster. `actors`: how many augmenter copies (default: one per
    CPU of the cluster). Crash-safe like augment_file (augment/journal.py), with blocks as the unit: each block
    written is journalled, and `resume` sends only the blocks after the last one to the cluster."""
    from dataforge.augment.run import _stop, fingerprint
    from dataforge.augment.tally import AugmentSummary, Tally

    specs = input_blocks.plan([path], fmt, block_bytes)
    journal = Journal(out, fingerprint(cfg, specs[0].fmt, {"block_bytes": block_bytes}),
                      input_digest=file_sha256(path), engine="ray")
    last = journal.start(resume)
    done, invalid = last.get("done", 0), last.get("invalid", 0)
    tally = Tally(cfg.method)
    tally.restore(last.get("counts", {}))
    resumed_at = tally.records
    for entry in journal.checkpoints if report else ():  # as the local engine reports every problem on resume
        for p in entry.get("problems", []):
            report(Problem(**p))
    written = 0
    try:
        if done < len(specs):
            with connected(address) as ray:
                for row in _results(ray, specs[done:], cfg, allow_extra, actors):
                    invalid = write_block(journal, row, tally, invalid, report)
                    written += 1
    except BaseException as exc:
        _stop(journal, exc, fresh=not done and not written, path=path, records=tally.records)
        raise
    journal.finish()
    summary = AugmentSummary(path, out, specs[0].fmt, tally, invalid=invalid, resumed_at=resumed_at)
    if not summary.as_json()["counts_add_up"]:
        raise AssertionError(f"augment counts do not add up: {tally.state()}")
    return summary


def _results(ray, specs: list, cfg, allow_extra: bool, actors: int | None) -> Iterator[dict]:
    """One result row per block, in input order, as the blocks finish: the driver writes and journals each
    before the later ones are done, so an interrupted run keeps what it finished."""
    n = actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
    ds = (ray.data.from_items([s.__dict__ for s in specs], override_num_blocks=len(specs))
          .map_batches(AugmentBlocks, batch_size=1, concurrency=(1, min(n, len(specs))),
                       fn_constructor_kwargs={"cfg": cfg.model_dump(), "allow_extra": allow_extra}))
    waiting, want = {}, specs[0].index
    rows = iter(ds.iter_rows())
    try:
        for row in rows:  # in order already (preserve_order); the buffer keeps it so whatever Ray's settings
            waiting[int(row["block"])] = row
            while want in waiting:
                yield waiting.pop(want)
                want += 1
    finally:
        close = getattr(rows, "close", None)
        if close:  # stop the streaming executor (and its actors) now, not when the iterator is collected
            close()


def write_block(journal: Journal, row: dict, tally, invalid: int, report) -> int:
    """Append one block's lines to the partial output, add its tally part, and journal it. `invalid`: invalid
    input records before this block; returns the count after it."""
    tally.merge(pickle.loads(row["tally"]))
    problems = pickle.loads(row["problems"])
    if report:
        for p in problems:
            report(p)
    journal.write(row["lines"])
    invalid += int(row["invalid"])
    journal.checkpoint(int(row["block"]) + 1, tally.state(), invalid=invalid,
                       problems=[dataclasses.asdict(p) for p in problems])
    return invalid
