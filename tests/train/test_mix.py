"""The weighted mix: sizes, shares, which records, and the config errors around mixes, streaming and packing."""

from __future__ import annotations

import random

import pytest

from dataforge.cli import main
from dataforge.run.config import TrainSource
from dataforge.train import mix
from dataforge.train.recipes import load_recipe


def src(path="a", **kw) -> TrainSource:
    return TrainSource(path=path, **kw)


def test_without_weights_every_record_trains_epochs_times_and_max_records_caps():
    takes = mix.plan_mix([src("a"), src("b", epochs=2), src("c", epochs=0.5), src("d", max_records=10)],
                         [100, 30, 9, 50])
    assert [t.drawn for t in takes] == [100, 60, 4, 10]
    assert [t.used for t in takes] == [100, 30, 4, 10]
    assert [t.not_drawn for t in takes] == [0, 0, 5, 40]
    assert mix.requested_shares(takes) == [None] * 4


def test_weights_size_the_mix_by_the_first_source_to_run_out():
    # replay: 100 Turkish records at 0.8 and 1000 general ones at 0.2 -> 100 + 25
    takes = mix.plan_mix([src("tr", weight=0.8), src("replay", weight=0.2)], [100, 1000])
    assert [t.drawn for t in takes] == [100, 25]
    assert mix.requested_shares(takes) == [pytest.approx(0.8), pytest.approx(0.2)]
    assert mix.realised_shares(takes) == [pytest.approx(0.8), pytest.approx(0.2)]
    assert takes[1].not_drawn == 975
    # epochs give a small source the capacity to be upsampled: 2 passes of 100 at 0.5 against 1000 at 0.5
    takes = mix.plan_mix([src("tr", weight=1, epochs=2), src("replay", weight=1)], [100, 1000])
    assert [t.drawn for t in takes] == [200, 200] and takes[0].full_passes == 2 and takes[1].used == 200


def test_multiplicities_draw_exactly_the_planned_rows_and_depend_only_on_the_seed():
    take = mix.plan_mix([src("a", weight=1, epochs=2.5, max_records=40), src("b", weight=1)], [60, 1000])[0]
    assert (take.usable, take.drawn, take.full_passes, take.remainder) == (40, 100, 2, 20)
    counts = list(mix.multiplicities(take, random.Random(1)))
    assert len(counts) == 60 and sum(counts) == 100
    assert sorted(set(counts)) == [0, 2, 3] and counts.count(3) == 20 and counts.count(0) == 20
    assert counts == list(mix.multiplicities(take, random.Random(1)))
    assert counts != list(mix.multiplicities(take, random.Random(2)))


def test_interleave_keeps_every_prefix_near_the_shares():
    rows = list(mix.interleave([iter(["a"] * 800), iter(["b"] * 200)], [800, 200], seed=3))
    assert rows.count("a") == 800 and rows.count("b") == 200
    assert 70 <= rows[:500].count("b") <= 130  # 100 expected, binomial sd 9


def test_the_shuffle_buffer_keeps_every_row():
    rows = list(mix.shuffled(iter(range(1000)), buffer=50, seed=0))
    assert sorted(rows) == list(range(1000)) and rows != list(range(1000))


def test_sources_in_yaml_form_and_packing_booleans_from_older_recipes():
    recipe, _ = load_recipe("tiny-cpu", ["data.train=[{path: a.jsonl, weight: 0.7}, {path: b.jsonl, weight: 0.3, "
                                         "epochs: 2}]", "train.packing=true"])
    assert recipe.data.train_paths == ["a.jsonl", "b.jsonl"] and recipe.data.sources()[1].epochs == 2
    assert recipe.train.packing == "bfd"
    plain, _ = load_recipe("tiny-cpu", ["data.train=a.jsonl", "train.packing=false"])
    assert plain.data.train == ["a.jsonl"] and plain.train.packing == "none"


@pytest.mark.parametrize(("overrides", "message"), [
    (["data.train=[{path: a.jsonl, weight: 0.7}, b.jsonl]"], "data: Value error, data.train: give every source a "
     "weight or none"),
    (["data.streaming=true", "train.max_steps=-1", "data.val=b.jsonl"], "data.streaming=true needs train.max_steps"),
    (["data.streaming=true", "train.max_steps=5", "data.val_fraction=0.1"],
     "data.streaming=true cannot split data.val_fraction off"),
    (["method=prompt-tuning", "train.packing=bfd"], "train.packing=bfd cannot keep records apart with method "
     "prompt-tuning"),
    (["train.packing=wrapped"], "train.packing: Input should be 'none', 'bfd' or 'padding_free'"),
    (["data.train=[{path: a.jsonl, weight: 0}]"], "data.train.0.TrainSource.weight: Input should be greater than 0"),
])
def test_mix_streaming_and_packing_config_errors(overrides, message, tmp_path, capsys):
    assert main(["train", "tiny-cpu", *overrides, f"output_dir={tmp_path / 'run'}"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()
