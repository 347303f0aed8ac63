import os
import shutil
from pathlib import Path

import orjson
import pytest

from dataforge.augment import build_filters, run
from dataforge.augment.config import load_config
from dataforge.augment.synonym import SynonymAugmenter
from dataforge.errors import DataforgeError, UsageError

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


class CrashingSynonyms(SynonymAugmenter):
    """The real augmenter, made to die on its n-th call (a crash in the middle of a run)."""

    def __init__(self, *args, crash_on: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls, self.crash_on = 0, crash_on

    def augment_texts(self, texts, seeds, keep=None):
        self.calls += 1
        if self.calls == self.crash_on:
            raise RuntimeError("simulated crash")
        return super().augment_texts(texts, seeds, keep)


@pytest.fixture
def setup(morphology, shipped_lexicon):
    cfg = load_config({"method": "synonym", "seed": 3, "ratio": 0.3, "max_similarity": 0.9})
    return cfg, SynonymAugmenter(shipped_lexicon, morphology, ratio=0.3), build_filters(cfg)


def go(tmp_path, name, cfg, aug, filters, **kw):
    out = tmp_path / name
    summary = run.augment_file(str(SAMPLE / "instructions_tr.jsonl"), str(out), cfg, aug, filters, progress=False,
                               **kw)
    return out, summary.as_json()


def test_originals_plus_kept_and_the_counts_add_up(tmp_path, setup):
    out, s = go(tmp_path, "a.jsonl", *setup)
    m = s["methods"]["synonym"]
    assert s["records"] == 77 and s["originals_written"] == 77 and m["candidates"] == 77
    assert m["kept"] + sum(m["rejected"].values()) == 77 and s["counts_add_up"]
    assert m["kept"] > 10
    lines = [orjson.loads(x) for x in out.read_bytes().splitlines()]
    assert len(lines) == s["written"] == 77 + m["kept"]
    new = [x for x in lines if x.get("meta", {}).get("augmentation")]
    assert len(new) == m["kept"]
    aug = new[0]["meta"]["augmentation"]
    assert aug["method"] == "synonym" and aug["seed"] == 3 and aug["params"]["ratio"] == 0.3
    assert aug["source_id"].startswith("instructions_tr.jsonl:")
    assert set(new[0]) >= {"instruction", "output"}  # written back in the input's format


def test_same_seed_gives_the_same_bytes_and_only_new(tmp_path, setup):
    a, _ = go(tmp_path, "a.jsonl", *setup)
    b, _ = go(tmp_path, "b.jsonl", *setup)
    assert a.read_bytes() == b.read_bytes()
    cfg, aug, filters = setup
    c, s = go(tmp_path, "c.jsonl", cfg.model_copy(update={"only_new": True}), aug, filters)
    assert s["originals_written"] == 0
    assert len(c.read_bytes().splitlines()) == s["methods"]["synonym"]["kept"]


def test_resume_after_a_crash_loses_and_repeats_nothing(tmp_path, setup, monkeypatch, morphology, shipped_lexicon):
    monkeypatch.setattr(run, "CHUNK", 16)
    cfg, aug, filters = setup
    full, full_summary = go(tmp_path, "full.jsonl", cfg, aug, filters)
    crashing = CrashingSynonyms(shipped_lexicon, morphology, ratio=0.3, crash_on=3)
    with pytest.raises(DataforgeError, match="--resume"):
        go(tmp_path, "part.jsonl", cfg, crashing, filters)
    partial = tmp_path / "part.jsonl.partial"
    assert partial.exists() and not (tmp_path / "part.jsonl").exists()
    with pytest.raises(UsageError, match="--resume"):  # starting over silently would throw the work away
        go(tmp_path, "part.jsonl", cfg, aug, filters)
    with open(partial, "ab") as f:  # the crash may also leave half a line behind
        f.write(b'{"instruction": "yar')
    out, s = go(tmp_path, "part.jsonl", cfg, aug, filters, resume=True)
    assert s["resumed_at"] == 32
    assert out.read_bytes() == full.read_bytes()
    assert {k: v for k, v in s.items() if k not in ("output", "resumed_at")} == \
        {k: v for k, v in full_summary.items() if k not in ("output", "resumed_at")}
    assert not partial.exists() and not os.path.exists(f"{out}.journal")


def test_resume_with_other_settings_is_refused(tmp_path, setup, morphology, shipped_lexicon, monkeypatch):
    monkeypatch.setattr(run, "CHUNK", 16)
    cfg, _, filters = setup
    crashing = CrashingSynonyms(shipped_lexicon, morphology, ratio=0.3, crash_on=2)
    with pytest.raises(DataforgeError):
        go(tmp_path, "x.jsonl", cfg, crashing, filters)
    with pytest.raises(UsageError, match="other settings"):
        go(tmp_path, "x.jsonl", cfg.model_copy(update={"seed": 4}), crashing, filters, resume=True)


def test_resume_over_a_changed_input_is_refused(tmp_path, setup, morphology, shipped_lexicon, monkeypatch):
    """Resuming after the input changed would splice the old file's first records onto the new one's rest."""
    monkeypatch.setattr(run, "CHUNK", 16)
    cfg, aug, filters = setup
    src, out = tmp_path / "in.jsonl", str(tmp_path / "x.jsonl")
    shutil.copy(SAMPLE / "instructions_tr.jsonl", src)
    crashing = CrashingSynonyms(shipped_lexicon, morphology, ratio=0.3, crash_on=2)
    with pytest.raises(DataforgeError):
        run.augment_file(str(src), out, cfg, crashing, filters, progress=False)
    src.write_bytes(src.read_bytes().replace(b"\n", b"\n\n", 1))  # one blank line more: other bytes, same records
    with pytest.raises(UsageError, match="the input changed since the interrupted run"):
        run.augment_file(str(src), out, cfg, aug, filters, progress=False, resume=True)


def test_a_fresh_run_that_fails_at_once_leaves_nothing(tmp_path, setup, morphology, shipped_lexicon):
    cfg, _, filters = setup
    crashing = CrashingSynonyms(shipped_lexicon, morphology, crash_on=1)
    with pytest.raises(RuntimeError):
        go(tmp_path, "y.jsonl", cfg, crashing, filters)
    assert list(tmp_path.iterdir()) == []


def test_variants_get_their_own_seeds_and_ids(tmp_path, setup):
    cfg, aug, filters = setup
    out, s = go(tmp_path, "v.jsonl", cfg.model_copy(update={"variants": 2, "only_new": True}), aug, filters)
    m = s["methods"]["synonym"]
    assert m["candidates"] == 2 * 77 and m["kept"] + sum(m["rejected"].values()) == 2 * 77
    new = [orjson.loads(x) for x in out.read_bytes().splitlines()]
    by_source = {}
    for rec in new:
        by_source.setdefault(rec["meta"]["augmentation"]["source_id"], []).append(rec)
    pairs = [recs for recs in by_source.values() if len(recs) == 2]
    assert pairs and all(a["meta"]["id"].endswith("~synonym0") and b["meta"]["id"].endswith("~synonym1")
                         for a, b in pairs)
    assert any(a["output"] != b["output"] or a["instruction"] != b["instruction"] for a, b in pairs)


def test_resume_accepts_changed_retries_and_timeouts(tmp_path, setup, morphology, shipped_lexicon, monkeypatch):
    """--retries, --timeout, --rate-limit, --concurrency and --cache change how answers are fetched, not what is
    written: they must not block a resume (issue 11)."""
    monkeypatch.setattr(run, "CHUNK", 16)
    cfg, aug, filters = setup
    full, _ = go(tmp_path, "full.jsonl", cfg, aug, filters)
    crashing = CrashingSynonyms(shipped_lexicon, morphology, ratio=0.3, crash_on=2)
    with pytest.raises(DataforgeError):
        go(tmp_path, "x.jsonl", cfg, crashing, filters)
    other = cfg.model_copy(update={"retries": 9, "timeout": 5.0, "rate_limit": 1.0, "concurrency": 2,
                                   "cache": str(tmp_path / "elsewhere.sqlite")})
    out, s = go(tmp_path, "x.jsonl", other, aug, filters, resume=True)
    assert s["resumed_at"] == 16 and out.read_bytes() == full.read_bytes()
