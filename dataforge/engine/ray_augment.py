"""`dataforge augment --engine ray`: the augment pipeline's own chunk step (augment.run._augment_chunk) over the
input's blocks in a Ray Data actor pool. The augmenter loads a model or zemberek (10-45 s), so each actor loads
it once and then takes block after block; records get their seeds from the run seed and their own identity,
so a record's candidates do not depend on its block. The driver writes the blocks' lines in input order and
adds up their tallies (candidates = kept + rejected is checked, as on one machine)."""

from __future__ import annotations

import pickle

import numpy as np

from dataforge.engine import input_blocks
from dataforge.engine.ray_cluster import connected
from dataforge.errors import UsageError
from dataforge.io import AtomicWriter


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
    CPU of the cluster)."""
    from dataforge.augment.tally import AugmentSummary, Tally

    if resume:
        raise UsageError("--resume is not supported with --engine ray: rerun without --resume (the whole input is "
                         "augmented again), or use --engine local")
    specs = input_blocks.plan([path], fmt, block_bytes)
    with connected(address) as ray:
        n = actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
        ds = (ray.data.from_items([s.__dict__ for s in specs], override_num_blocks=len(specs))
              .map_batches(AugmentBlocks, batch_size=1, concurrency=(1, min(n, len(specs))),
                           fn_constructor_kwargs={"cfg": cfg.model_dump(), "allow_extra": allow_extra})
              .materialize())
        rows = sorted(ds.iter_rows(), key=lambda r: int(r["block"]))  # one small row per block
        tally, invalid = Tally(cfg.method), 0
        w = AtomicWriter(out)
        try:
            for row in rows:
                part = pickle.loads(row["tally"])
                tally.records += part["records"]
                tally.originals_written += part["originals_written"]
                tally.candidates += part["candidates"]
                tally.kept += part["kept"]
                tally.rejected.update(part["rejected"])
                invalid += int(row["invalid"])
                if report:
                    for p in pickle.loads(row["problems"]):
                        report(p)
                w.write(row["lines"])
            w.commit()
        except BaseException:
            w.abort()
            raise
    summary = AugmentSummary(path, out, specs[0].fmt, tally, invalid=invalid)
    if not summary.as_json()["counts_add_up"]:
        raise AssertionError(f"augment counts do not add up: {tally.state()}")
    return summary
