"""augment --engine ray: the synonym method over blocks in a Ray Data actor writes the local engine's bytes."""

from __future__ import annotations

import pytest

from tests.conftest import SAMPLE

pytestmark = pytest.mark.slow


def test_synonym_augment_on_ray_writes_the_local_output(ray_cluster, tmp_path):
    from dataforge.augment import build_augmenter, build_filters
    from dataforge.augment.config import AugmentConfig
    from dataforge.augment.run import augment_file
    from dataforge.engine.input_blocks import plan
    from dataforge.engine.ray_augment import augment_ray

    src = str(SAMPLE / "instructions_tr.jsonl")
    assert len(plan([src], "auto", 8000)) >= 3  # the input really is cut into blocks
    cfg = AugmentConfig(method="synonym", seed=3, variants=2)
    local = augment_file(src, str(tmp_path / "local.jsonl"), cfg, build_augmenter(cfg), build_filters(cfg),
                         progress=False)
    # one actor keeps the test short (zemberek loads once); the blocks still go through it one by one
    ray_ = augment_ray(src, str(tmp_path / "ray.jsonl"), cfg, actors=1, block_bytes=8000)
    want, got = local.as_json(), ray_.as_json()
    want.pop("output"), got.pop("output")
    assert got == want and got["counts_add_up"] and got["methods"]["synonym"]["kept"] > 0
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
