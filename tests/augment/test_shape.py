"""Augmented records keep their source's shape, on every sample file (issue 13: alpaca `input` was merged into
`instruction` and left empty in 15 of 22 records)."""

from pathlib import Path

import orjson
import pytest

from dataforge.augment import build_filters, run
from dataforge.augment.config import load_config
from dataforge.augment.protect import words_outside
from dataforge.augment.synonym import SynonymAugmenter

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
FILES = ["instructions_tr.jsonl", "chat_tr.jsonl", "sharegpt_tr.jsonl", "prompt_completion_tr.jsonl"]


def shape(obj):
    """Everything about a record but its rewritable text: keys, roles, list lengths, which strings are empty."""
    if isinstance(obj, dict):
        return {k: shape(v) for k, v in obj.items() if k != "meta"}
    if isinstance(obj, list):
        return [shape(v) for v in obj]
    if isinstance(obj, str):
        return "" if not obj.strip() else "text"
    return obj


ROLE_KEYS = ("role", "from", "type", "system")  # never rewritten: must come back byte for byte


def fixed(obj):
    if isinstance(obj, dict):
        return {k: (v if k in ROLE_KEYS else fixed(v)) for k, v in obj.items() if k != "meta"}
    if isinstance(obj, list):
        return [fixed(v) for v in obj]
    return None


@pytest.mark.parametrize("name", FILES)
def test_every_new_record_has_its_sources_shape(tmp_path, name, morphology, shipped_lexicon):
    cfg = load_config({"method": "synonym", "seed": 1, "ratio": 0.3, "max_similarity": 0.95, "only_new": True})
    aug = SynonymAugmenter(shipped_lexicon, morphology, ratio=0.3)
    out = tmp_path / name
    s = run.augment_file(str(SAMPLE / name), str(out), cfg, aug, build_filters(cfg), progress=False).as_json()
    sources = {f"{name}:{i}": orjson.loads(line)
               for i, line in enumerate((SAMPLE / name).read_bytes().splitlines(), 1) if line.strip()}
    new = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert len(new) == s["methods"]["synonym"]["kept"] >= 3
    for rec in new:
        src = sources[rec["meta"]["augmentation"]["source_id"]]
        assert shape(rec) == shape(src), rec["meta"]["id"]
        assert fixed(rec) == fixed(src)
        if "system" in src:
            assert rec["system"] == src["system"]
        for before, after in zip(texts(src), texts(rec), strict=True):
            old, new = words_outside(before), words_outside(after)
            assert len(old) == len(new)
            for (_, _, a), (_, _, b) in zip(old, new, strict=True):
                if a != b:  # a swap: never into an archaic word (tümce, mana, malumat ... issue 13)
                    lemmas = {p.lemma for p in morphology.parses(b)}
                    assert all(shipped_lexicon.register(x) != "archaic" for x in lemmas), f"{a} -> {b}"


def texts(obj):
    """Every string of a record but its meta, in order."""
    if isinstance(obj, dict):
        return [t for k, v in obj.items() if k != "meta" for t in texts(v)]
    if isinstance(obj, list):
        return [t for v in obj for t in texts(v)]
    return [obj] if isinstance(obj, str) else []


def test_alpaca_input_stays_input(tmp_path, morphology, shipped_lexicon):
    cfg = load_config({"method": "synonym", "seed": 0, "ratio": 0.5, "max_similarity": 0.99, "only_new": True})
    aug = SynonymAugmenter(shipped_lexicon, morphology, ratio=0.5)
    out = tmp_path / "a.jsonl"
    run.augment_file(str(SAMPLE / "instructions_tr.jsonl"), str(out), cfg, aug, build_filters(cfg), progress=False)
    sources = [orjson.loads(x) for x in (SAMPLE / "instructions_tr.jsonl").read_bytes().splitlines() if x.strip()]
    with_input = {f"instructions_tr.jsonl:{i}" for i, r in enumerate(sources, 1) if r.get("input")}
    new = [orjson.loads(x) for x in out.read_bytes().splitlines()]
    new_with_input = [r for r in new if r["meta"]["augmentation"]["source_id"] in with_input]
    assert len(new_with_input) >= 5
    assert all(r["input"] and "\n" + r["input"] not in r["instruction"] for r in new_with_input)
