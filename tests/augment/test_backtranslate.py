from pathlib import Path

import orjson
import pytest
from servers import Script, libre_answer, serve

from dataforge.augment import build_augmenter, build_filters, run
from dataforge.augment.backtranslate import pieces
from dataforge.augment.config import load_config
from dataforge.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
DATA = str(SAMPLE / "prompt_completion_tr.jsonl")


def test_pieces_keep_code_and_urls_out_of_the_model():
    text = "Şunu çalıştır: `pip install x`. Sonra https://ornek.com adresine bak.\n- 3. adım"
    got = pieces(text)
    assert "".join(p for _, p in got) == text
    sent = [p for keep, p in got if keep]
    assert sent == ["Şunu çalıştır: ", "Sonra ", " adresine bak.", "adım"]


def augment(cfg_values, out):
    cfg = load_config(cfg_values)
    aug = build_augmenter(cfg)
    summary = run.augment_file(DATA, str(out), cfg, aug, build_filters(cfg), progress=False)
    return aug, summary.as_json()


@pytest.mark.slow
def test_local_marian_round_trip_is_batched_cached_and_counted(tmp_path, tiny_marian):
    values = {"method": "backtranslate", "model": str(tiny_marian), "max_new_tokens": 8, "batch_size": 8,
              "device": "cpu", "cache": str(tmp_path / "cache.sqlite")}
    aug, s = augment(values, tmp_path / "a.jsonl")
    m = s["methods"]["backtranslate"]
    assert m["candidates"] == 12 and m["kept"] + sum(m["rejected"].values()) == 12
    assert aug.cache.misses > 20 and aug.cache.hits == 0
    again, s2 = augment(values, tmp_path / "b.jsonl")  # a rerun: every translation comes from the cache
    assert again.cache.misses == 0 and again.cache.hits == aug.cache.misses
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_service_429_and_timeouts_lose_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("DF_TEST_LIBRE_KEY", "sekret-key-123")
    messy = Script({1: "429", 2: "429", 3: "slow", 7: "500"}, slow_seconds=1.0)
    with serve(messy, libre_answer) as url:
        values = {"method": "backtranslate", "backend": "libre", "base_url": url, "api_key_env": "DF_TEST_LIBRE_KEY",
                  "timeout": 0.3, "retries": 4, "rate_limit": 500, "max_similarity": 0.95,
                  "cache": str(tmp_path / "c1.sqlite")}
        aug, s = augment(values, tmp_path / "messy.jsonl")
    clean = Script()
    with serve(clean, libre_answer) as url:
        values.update(base_url=url, cache=str(tmp_path / "c2.sqlite"))
        _, s2 = augment(values, tmp_path / "clean.jsonl")
    assert messy.requests == clean.requests + 4  # each failure was retried exactly once more
    assert (tmp_path / "messy.jsonl").read_bytes() == (tmp_path / "clean.jsonl").read_bytes()
    m = s["methods"]["backtranslate"]
    assert m["kept"] > 0 and m["kept"] + sum(m["rejected"].values()) == 12 == s["records"]
    assert clean.seen[0]["query"]["api_key"] == "sekret-key-123"
    assert "sekret" not in orjson.dumps(s).decode() and "sekret" not in (tmp_path / "messy.jsonl").read_text()


def test_unreachable_service_is_one_line_exit_2_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DF_TEST_LIBRE_KEY", "k")
    out = tmp_path / "out.jsonl"
    code = main(["augment", DATA, "-o", str(out), "--method", "backtranslate", "--backend", "libre",
                 "--base-url", "http://127.0.0.1:9", "--api-key-env", "DF_TEST_LIBRE_KEY", "--retries", "1",
                 "--timeout", "0.5", "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "libre at http://127.0.0.1:9" in err[0] and "cannot connect" in err[0]
    assert list(tmp_path.iterdir()) == []  # a failed fresh run leaves nothing, not even its cache
