"""The run directory as `dataforge train` writes it, read back through the one typed layer."""

import json
import re
import shutil
from pathlib import Path

import pytest

from dataforge.errors import InputError
from dataforge.run.manifest import Process, sha256
from dataforge.run.run_dir import open_run


@pytest.mark.slow  # a trained tiny run (session fixture)
def test_a_trained_run_reads_back_typed(healthy_run):
    run = open_run(healthy_run)
    m = run.manifest
    assert m.schema_version == 3 and m.status == "completed" and run.status() == "completed"
    # one typed field from the recipe to evaluate: train.max_length is what training truncated to
    assert run.max_length == m.config.train.max_length == 384
    assert sorted(run.checkpoints()) == [4, 8, 12, 16]
    assert run.final_adapter() == healthy_run / "adapter"
    assert m.quality_gate.skipped is True and m.data.train_records == 56 and m.data.val_records == 8
    assert [Path(f.path).name for f in m.data.train] == ["train.jsonl"]
    assert (m.label_check.records, m.label_check.truncated, m.label_check.longest) == (64, 1, 387)
    assert m.trainable_params > 0 and m.total_params > m.trainable_params and m.global_step == 16
    log = run.losses()
    assert [s for s, _ in log.eval] == [4, 8, 12, 16] and len(log.train) == 16
    # train_loss covers every logged step of the run
    assert m.train_loss == pytest.approx(sum(v for _, v in log.train) / 16)
    assert re.fullmatch(r"[0-9a-f]{12}", run.data_fingerprint())


@pytest.mark.slow  # trains a run
def test_val_split_is_kept_in_the_run_with_its_hash(tmp_path, healthy_run):
    from dataforge.train.recipe import train
    from dataforge.train.recipes import load_recipe

    m = open_run(healthy_run).manifest
    data = tmp_path / "data.jsonl"
    shutil.copy(m.data.train[0].path, data)
    recipe, path = load_recipe(m.recipe.path, [f"output_dir={tmp_path / 'run'}", f"data.train=[{data}]",
                                               "data.val=[]", "data.val_fraction=0.25", "train.max_steps=1",
                                               "train.eval_steps=1", "train.save_steps=1"])
    out = open_run(train(recipe, path, skip_gate=True, quiet=True))
    info = out.manifest.data
    assert info.val_split.sha256 == sha256(out.val_path) and out.val_records_file() == out.val_path
    assert info.train_records + info.val_records == 56 and info.val_records == 14
    assert len(out.val_path.read_text().splitlines()) == 14
    assert info.val_from.startswith("val_fraction=0.25")


def test_near_duplicate_clusters_stay_on_one_side_of_the_val_split():
    from dataforge.records import Record
    from dataforge.train.data import split_records

    def rec(text: str, n: int) -> Record:
        return Record.model_validate({"messages": [{"role": "user", "content": text},
                                                   {"role": "assistant", "content": f"Cevap {n}."}], "line": n})

    base = "Ankara Türkiye'nin başkentidir ve İç Anadolu bölgesinde yer alan büyük bir şehirdir"
    copies = [rec(f"{base} {'!' * i}", i) for i in range(6)]  # one near-duplicate cluster
    others = [rec(f"Soru {i}: {w} nedir ve nasıl kullanılır?", 100 + i)
              for i, w in enumerate(["elma", "armut", "kiraz", "erik", "incir", "üzüm", "ayva", "nar", "dut", "kavun",
                                     "karpuz", "şeftali", "kayısı", "vişne"])]
    for seed in range(5):
        train, val = split_records(copies + others, 0.2, seed)
        sides = {r.line < 100 and ("val" if r in val else "train") for r in copies + others} - {False}
        assert len(sides) == 1  # all six copies in train, or all in val
        assert len(train) + len(val) == 20 and val


def _manifest(tmp_path, data: dict) -> Path:
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    return tmp_path


def test_older_layout_is_one_clear_error(tmp_path):
    old = {"manifest_version": 1, "status": "completed", "config": {"train": {"max_length": 256}}}
    with pytest.raises(InputError, match=r"schema_version: missing, expected 3: this run was written by an older"):
        open_run(_manifest(tmp_path, old))


@pytest.mark.slow  # a trained tiny run (session fixture)
def test_a_bad_field_is_named(tmp_path, healthy_run):
    data = json.loads((healthy_run / "manifest.json").read_text())
    data["config"]["train"]["max_length"] = "long"
    with pytest.raises(InputError, match=r"config\.train\.max_length: Input should be a valid integer"):
        open_run(_manifest(tmp_path, data))
    data = json.loads((healthy_run / "manifest.json").read_text())
    data["gate"] = {"passed": True}  # an unknown key: no guessing which spelling meant what
    with pytest.raises(InputError, match=r"gate: Extra inputs are not permitted"):
        open_run(_manifest(tmp_path, data))


@pytest.mark.slow  # a trained tiny run (session fixture)
def test_running_run_whose_process_is_gone_reads_interrupted(tmp_path, healthy_run):
    data = json.loads((healthy_run / "manifest.json").read_text())
    data["status"] = "running"
    data["process"] = Process(pid=2**22 + 12345, host=data["process"]["host"]).model_dump()
    run = open_run(_manifest(tmp_path, data))
    assert run.status() == "interrupted"


def test_not_a_run_directory(tmp_path):
    with pytest.raises(InputError, match="not a run directory"):
        open_run(tmp_path)
    (tmp_path / "manifest.json").write_text("{bad")
    with pytest.raises(InputError, match="manifest.json:1: manifest: not valid JSON"):
        open_run(tmp_path)


def test_a_schema_2_run_from_before_mixes_is_one_clear_error(tmp_path):
    old = {"schema_version": 2, "status": "completed", "config": {"train": {"packing": True}}}
    with pytest.raises(InputError, match=r"schema_version: 2, expected 3: this run was written by an older "
                                         r"dataforge; train it again"):
        open_run(_manifest(tmp_path, old))
