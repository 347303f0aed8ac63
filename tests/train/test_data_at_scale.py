"""Mixes, the tokenized cache and streaming through `dataforge train` on the tiny model (a few seconds a run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataforge.errors import DataError
from dataforge.train.recipe import train
from dataforge.train.recipes import load_recipe

ROOT = Path(__file__).resolve().parents[2]
CHAT = str(ROOT / "sample_data" / "chat_tr.jsonl")
INSTR = str(ROOT / "sample_data" / "instructions_tr.jsonl")


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    root = tmp_path / "token_cache"
    monkeypatch.setenv("DATAFORGE_TOKEN_CACHE", str(root))
    return root


def run(tiny_model, out, *overrides, gate=False):
    recipe, path = load_recipe("tiny-cpu", [f"model.name={tiny_model}", f"output_dir={out}", f"data.train={CHAT}",
                                            "data.val_fraction=0", "train.report_to=none", "train.max_steps=1",
                                            "train.max_length=256", *overrides])
    said: list[str] = []
    train(recipe, path, skip_gate=not gate, say=said.append, quiet=True)
    return json.loads((out / "manifest.json").read_text()), said


def test_a_second_run_reads_the_cache_and_any_change_misses(tiny_model, tmp_path, cache_dir):
    first, said1 = run(tiny_model, tmp_path / "a", "data.val_fraction=0.1")
    second, said2 = run(tiny_model, tmp_path / "b", "data.val_fraction=0.1")
    assert first["token_cache"]["hit"] is False and second["token_cache"]["hit"] is True
    assert first["token_cache"]["key"] == second["token_cache"]["key"]
    assert any(s.startswith("tokenized cache: hit") and "tokenizing skipped" in s for s in said2)
    assert not any("tokenized cache: hit" in s for s in said1)
    # the label check ran on the cached rows and found what it found on the fresh ones; the same val records
    assert first["label_check"] == second["label_check"] and first["label_check"]["records"] == 74
    split1, split2 = first["data"].pop("val_split"), second["data"].pop("val_split")
    assert first["data"] == second["data"] and first["data"]["val_records"] > 0
    assert split1["sha256"] == split2["sha256"] and split2["path"] == str(tmp_path / "b" / "val.jsonl")
    assert (tmp_path / "a" / "val.jsonl").read_bytes() == (tmp_path / "b" / "val.jsonl").read_bytes()
    assert {"data", "tokenizer", "chat_template", "max_length", "packing", "dataforge"} <= set(
        first["token_cache"]["parts"])
    # change one part of the key: a miss
    keys = {first["token_cache"]["key"]}
    for i, change in enumerate(["train.max_length=200", "train.packing=bfd", "chat.default_system=drop"]):
        m, _ = run(tiny_model, tmp_path / f"c{i}", "data.val_fraction=0.1", change)
        assert m["token_cache"]["hit"] is False and m["token_cache"]["key"] not in keys
        keys.add(m["token_cache"]["key"])
    assert len([p for p in cache_dir.iterdir() if not p.name.startswith(".")]) == 4


def test_the_label_check_runs_on_cached_rows(tiny_model, tmp_path, cache_dir):
    """A cache entry whose rows lost their end-of-turn tokens (tampered, or written by a bug) is refused."""
    from dataforge.train import token_cache

    first, _ = run(tiny_model, tmp_path / "a")
    entry = Path(first["token_cache"]["path"])
    rows = token_cache.read_rows(entry / "train.arrow").to_list()
    eot = set()
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    eot = {tok.convert_tokens_to_ids("<|im_end|>")}
    for row in rows:
        row["assistant_masks"] = [0 if i in eot else m for i, m in zip(row["input_ids"], row["assistant_masks"])]
    (entry / "train.arrow").unlink()
    token_cache.write_rows(entry / "train.arrow", rows)
    with pytest.raises(DataError, match="label-mask check failed on 74 of 74 records") as exc:
        run(tiny_model, tmp_path / "b")
    assert exc.value.problems[0].field == "assistant turn 1" and exc.value.problems[0].path == CHAT


def test_a_weighted_mix_is_gated_per_source_and_recorded(tiny_model, tmp_path, cache_dir):
    manifest, said = run(tiny_model, tmp_path / "mix", f"data.train=[{{path: {CHAT}, weight: 0.75}}, "
                         f"{{path: {INSTR}, weight: 0.25}}]", "train.max_length=320", gate=True)
    tr, instr = manifest["data"]["sources"]
    assert (tr["records"], tr["rows"], tr["not_drawn"]) == (74, 74, 0)
    assert (instr["records"], instr["rows"], instr["not_drawn"]) == (77, 25, 52)  # 74 / 0.75 * 0.25 = 24.67
    assert tr["requested_share"] == 0.75 and tr["realised_share"] == pytest.approx(74 / 99)
    assert tr["sha256"] == manifest["data"]["train"][0]["sha256"] and manifest["data"]["train_records"] == 99
    gate = manifest["quality_gate"]
    assert gate["passed"] is True and [s["path"] for s in gate["sources"]] == [CHAT, INSTR]
    assert [s["records"] for s in gate["sources"]] == [74, 77] and gate["records"] == 151
    assert all(Path(s["report_json"]).is_file() for s in gate["sources"])
    assert any("quality gate: source" in s for s in said)
    assert any("mix" in s and "25 rows" in s and "52 not drawn" in s for s in said)


@pytest.mark.parametrize("cache", [True, False])
def test_streaming_trains_from_a_lazy_pass_over_the_files(tiny_model, tmp_path, cache_dir, cache):
    manifest, said = run(tiny_model, tmp_path / "s", "data.streaming=true", f"data.cache={str(cache).lower()}",
                         f"data.train=[{{path: {CHAT}, weight: 0.5}}, {{path: {INSTR}, weight: 0.5}}]",
                         "train.max_steps=2", "train.packing=bfd")
    assert manifest["status"] == "completed" and manifest["global_step"] == 2
    assert manifest["data"]["streaming"] is True and manifest["data"]["train_records"] == 148
    assert (manifest["token_cache"] is not None) == cache
    assert manifest["packing"] == {"mode": "bfd", "records_isolated": True}


def test_padding_free_trains_with_records_kept_apart(tiny_model, tmp_path, cache_dir):
    manifest, _ = run(tiny_model, tmp_path / "pf", "train.packing=padding_free", "train.batch_size=4",
                      "train.max_steps=2")
    assert manifest["status"] == "completed" and manifest["global_step"] == 2
    assert manifest["packing"] == {"mode": "padding_free", "records_isolated": True}
    assert manifest["attn_implementation"] == "sdpa"


def test_cache_ls_and_rm(tiny_model, tmp_path, cache_dir, run_cli):
    first, _ = run(tiny_model, tmp_path / "a")
    key = first["token_cache"]["key"]
    code, out, _ = run_cli("cache", "ls", "--json")
    entries = json.loads(out)
    assert code == 0 and [e["key"] for e in entries] == [key]
    assert entries[0]["train_rows"] == 74 and entries[0]["max_length"] == 256 and entries[0]["files"] == [CHAT]
    code, out, _ = run_cli("cache", "ls")
    assert code == 0 and out.startswith(key) and "74 rows" in out
    code, _, err = run_cli("cache", "rm", "nope")
    assert code == 2 and "cache rm nope: no entry with this key" in err
    code, _, err = run_cli("cache", "rm", key[:8])
    assert code == 0 and f"removed {key}" in err and not (cache_dir / key).exists()
    code, out, _ = run_cli("cache", "ls")
    assert code == 0 and out.startswith("no tokenized data cached")


def test_the_key_changes_with_the_tokenizer_files_the_data_and_the_version(tiny_model, tmp_path, monkeypatch):
    import shutil

    from transformers import AutoTokenizer

    from dataforge.train import token_cache
    from dataforge.train.recipe import chat_format

    copy = tmp_path / "tok"
    shutil.copytree(tiny_model, copy)
    recipe, _ = load_recipe("tiny-cpu", [f"model.name={copy}", f"data.train={CHAT}"])

    def key(data_sha="a" * 64):
        tok = AutoTokenizer.from_pretrained(copy)
        fmt = chat_format(recipe, tok)
        return token_cache.cache_key(token_cache.key_parts(recipe, {CHAT: data_sha}, tok, tok.chat_template,
                                                           fmt.stop_ids))

    base = key()
    assert key() == base
    assert key("b" * 64) != base
    config = copy / "tokenizer_config.json"
    config.write_text(config.read_text().rstrip()[:-1] + ', "dataforge_test": 1}')  # one more key in a file
    changed = key()
    assert changed != base
    monkeypatch.setattr(token_cache, "__version__", "0.0.0-other")
    assert key() not in (base, changed)
