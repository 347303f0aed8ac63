"""augment --engine ray: the synonym method over blocks in a Ray Data actor writes the local engine's bytes, and an
interrupted run resumes (block by block) to those same bytes."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import SAMPLE

pytestmark = pytest.mark.slow
BLOCK = 8000  # bytes: the 77 sample records in 5 blocks


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """The local engine's output and summary (synonym, two variants), and its augmenter (zemberek loads once)."""
    from dataforge.augment import build_augmenter, build_filters
    from dataforge.augment.config import AugmentConfig
    from dataforge.augment.run import augment_file

    cfg = AugmentConfig(method="synonym", seed=3, variants=2)
    out = tmp_path_factory.mktemp("local") / "local.jsonl"
    augmenter = build_augmenter(cfg)
    summary = augment_file(str(SAMPLE / "instructions_tr.jsonl"), str(out), cfg, augmenter, build_filters(cfg),
                           progress=False)
    return cfg, augmenter, out.read_bytes(), summary.as_json()


def _same_summary(got: dict, want: dict) -> bool:
    def strip(s):
        return {k: v for k, v in s.items() if k not in ("input", "output", "resumed_at")}

    return strip(got) == strip(want) and got["counts_add_up"]


def test_synonym_augment_on_ray_writes_the_local_output(ray_cluster, local, tmp_path):
    from dataforge.engine.input_blocks import plan
    from dataforge.engine.ray_augment import augment_ray

    cfg, _, want_bytes, want = local
    src = str(SAMPLE / "instructions_tr.jsonl")
    assert len(plan([src], "auto", BLOCK)) >= 3  # the input really is cut into blocks
    # one actor keeps the test short (zemberek loads once); the blocks still go through it one by one
    got = augment_ray(src, str(tmp_path / "ray.jsonl"), cfg, actors=1, block_bytes=BLOCK).as_json()
    assert _same_summary(got, want) and got["input"] == want["input"] and got["methods"]["synonym"]["kept"] > 0
    assert (tmp_path / "ray.jsonl").read_bytes() == want_bytes


def test_an_interrupted_ray_augment_resumes_to_the_uninterrupted_bytes(ray_cluster, local, tmp_path, monkeypatch):
    from dataforge.augment import build_filters
    from dataforge.augment.run import augment_file
    from dataforge.engine import ray_augment
    from dataforge.engine.input_blocks import parse, plan
    from dataforge.errors import DataforgeError, UsageError

    cfg, augmenter, want_bytes, want = local
    src = tmp_path / "instructions_tr.jsonl"  # a copy (same name, so the same record ids) that the test may change
    shutil.copy(SAMPLE / "instructions_tr.jsonl", src)
    out = tmp_path / "ray.jsonl"
    real, calls = ray_augment.write_block, []

    def dies_at_the_third_block(*args):
        if len(calls) == 2:
            raise RuntimeError("simulated crash")
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(ray_augment, "write_block", dies_at_the_third_block)
    with pytest.raises(DataforgeError, match="rerun the same command with --resume"):
        ray_augment.augment_ray(str(src), str(out), cfg, actors=1, block_bytes=BLOCK)
    monkeypatch.setattr(ray_augment, "write_block", real)
    assert (tmp_path / "ray.jsonl.partial").exists() and not out.exists()

    def resume(**kw):
        return ray_augment.augment_ray(str(src), str(out), kw.pop("cfg", cfg), actors=1, block_bytes=BLOCK, **kw)

    with pytest.raises(UsageError, match="pass --resume"):  # a fresh run over the partial would throw it away
        resume()
    with pytest.raises(UsageError, match="other settings"):
        resume(cfg=cfg.model_copy(update={"seed": 4}), resume=True)
    with pytest.raises(UsageError, match=r"rerun with --engine ray --resume"):  # the local engine counts records
        augment_file(str(src), str(out), cfg, augmenter, build_filters(cfg), progress=False, resume=True)
    original = src.read_bytes()
    src.write_bytes(original + b"\n")
    with pytest.raises(UsageError, match="the input changed"):
        resume(resume=True)
    src.write_bytes(original)

    problems = []
    got = resume(resume=True, report=problems.append).as_json()
    assert out.read_bytes() == want_bytes
    assert _same_summary(got, want) and not problems
    two_blocks = plan([str(src)], "auto", BLOCK)[:2]
    assert got["resumed_at"] == sum(len(parse(s).records) for s in two_blocks) > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["instructions_tr.jsonl", "ray.jsonl"]


def test_a_local_partial_is_not_resumed_on_ray(ray_cluster, local, tmp_path, monkeypatch, run_cli):
    from dataforge.augment import build_filters, run
    from dataforge.errors import DataforgeError

    cfg, augmenter, _, _ = local
    out = tmp_path / "out.jsonl"
    real, calls = run._flush, []

    def dies_at_the_second_chunk(*args):
        if calls:
            raise RuntimeError("simulated crash")
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(run, "CHUNK", 16)
    monkeypatch.setattr(run, "_flush", dies_at_the_second_chunk)
    with pytest.raises(DataforgeError, match="--resume"):
        run.augment_file(str(SAMPLE / "instructions_tr.jsonl"), str(out), cfg, augmenter, build_filters(cfg),
                         progress=False)
    partial = (tmp_path / "out.jsonl.partial").read_bytes()
    code, _, err = run_cli("augment", SAMPLE / "instructions_tr.jsonl", "-o", out, "--method", "synonym", "--seed",
                           "3", "--variants", "2", "--engine", "ray", "--resume")
    assert code == 2 and err.strip() == (
        f"{out}.partial: left by an interrupted `--engine local` run, which counts its progress its own way: rerun "
        f"with --engine local --resume to continue it, or delete {out}.partial and {out}.journal to start over")
    assert (tmp_path / "out.jsonl.partial").read_bytes() == partial  # untouched
