"""Augmenting tool-calling data: only the prose of user and assistant turns changes; function names, arguments,
ids, tool results and `tools` come back byte for byte, and a candidate that touched any of them is rejected."""

import json
from pathlib import Path

import orjson

from dataforge.augment import build_filters, run
from dataforge.augment.config import load_config
from dataforge.augment.filters import tool_calls_changed, tool_data
from dataforge.augment.synonym import SynonymAugmenter
from dataforge.parse import parse_record

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def test_synonyms_touch_only_the_prose(tmp_path, morphology, shipped_lexicon):
    src = tmp_path / "tools.jsonl"
    src.write_text("\n".join((SAMPLE / "tools_tr.jsonl").read_text(encoding="utf-8").splitlines()[:7]) + "\n",
                   encoding="utf-8")
    cfg = load_config({"method": "synonym", "seed": 3, "ratio": 0.5, "max_similarity": 0.95, "variants": 2})
    out = tmp_path / "out.jsonl"
    summary = run.augment_file(str(src), str(out), cfg, SynonymAugmenter(shipped_lexicon, morphology, ratio=0.5),
                               build_filters(cfg), progress=False).as_json()
    assert summary["counts_add_up"]
    lines = [orjson.loads(x) for x in out.read_bytes().splitlines()]
    originals = {json.dumps(x, sort_keys=True) for x in (json.loads(y) for y in src.read_text().splitlines())}
    new = [x for x in lines if x.get("meta", {}).get("augmentation")]
    assert new, summary
    by_id = {i + 1: json.loads(line) for i, line in enumerate(src.read_text().splitlines())}
    for rec in new:
        line = int(rec["meta"]["augmentation"]["source_id"].rsplit(":", 1)[1])
        source = by_id[line]
        assert json.dumps(rec, sort_keys=True) not in originals
        assert rec["tools"] == source["tools"]
        parsed, problems = parse_record({k: v for k, v in rec.items() if k != "meta"}, "chat")
        original, _ = parse_record(source, "chat")
        assert problems == [] and tool_data(parsed.messages) == tool_data(original.messages)
        prose = [m.get("content") for m in rec["messages"] if m["role"] != "tool"]
        assert prose != [m.get("content") for m in source["messages"] if m["role"] != "tool"]


def test_a_candidate_that_touches_a_call_is_rejected():
    source, _ = parse_record(json.loads((SAMPLE / "tools_tr.jsonl").read_text(encoding="utf-8").splitlines()[0]),
                             "chat")
    same = [m.model_copy() for m in source.messages]
    assert tool_calls_changed(source.messages, same) is None
    touched = [m.model_copy(deep=True) for m in source.messages]
    touched[1].tool_calls[0].function.arguments = {"para_birimi": "EUR"}
    assert tool_calls_changed(source.messages, touched) == "tool_calls_changed"
    result = [m.model_copy(deep=True) for m in source.messages]
    result[2] = result[2].model_copy(update={"content": '{"alis": 34.12, "satis": 34.26}'})
    assert tool_calls_changed(source.messages, result) == "tool_calls_changed"
