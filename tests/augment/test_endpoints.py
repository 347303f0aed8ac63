"""Failing endpoints (issue 11): the run stops at the first failure that cannot succeed, leaves nothing behind
after a failed fresh run, and never shows or stores the API key. Real servers on 127.0.0.1 (servers.py)."""

import socket
import sqlite3
from pathlib import Path

import pytest
from servers import Script, chat_answer, serve

from dataforge.augment import build_augmenter, build_filters, run
from dataforge.augment.config import load_config
from dataforge.augment.retry import BackendError
from dataforge.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
DATA = str(SAMPLE / "instructions_tr.jsonl")  # 77 records: the first chunk of 64 holds 128 texts
KEY = "sk-test-7f3a9c0e5b"


@pytest.fixture
def key_env(monkeypatch):
    monkeypatch.setenv("DF_TEST_KEY", KEY)
    return "DF_TEST_KEY"


def paraphrase(tmp_path, url, **values):
    cfg = load_config({"method": "paraphrase", "backend": "openai", "base_url": url, "model": "m",
                       "cache": str(tmp_path / "o.jsonl.cache.sqlite"), **values})
    aug = build_augmenter(cfg)
    run.augment_file(DATA, str(tmp_path / "o.jsonl"), cfg, aug, build_filters(cfg), progress=False)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_refused_connection_stops_after_its_retries_not_after_the_chunk(tmp_path, monkeypatch):
    attempts = []
    import httpx

    real_post = httpx.Client.post
    monkeypatch.setattr(httpx.Client, "post", lambda self, *a, **k: attempts.append(1) or real_post(self, *a, **k))
    with pytest.raises(BackendError, match=r"cannot connect .*gave up after 1 retries"):
        paraphrase(tmp_path, f"http://127.0.0.1:{closed_port()}/v1", retries=1, concurrency=4)
    # Before: 128 texts x 2 attempts. Now at most the 4 texts in flight, each with its 2 attempts.
    assert 2 <= len(attempts) <= 8
    assert list(tmp_path.iterdir()) == []  # no output, partial, journal, nor cache


@pytest.mark.parametrize("concurrency, most", [(1, 2), (4, 8)])
def test_a_hung_server_stops_after_the_first_text_gives_up(tmp_path, concurrency, most):
    script = Script(default="slow", slow_seconds=3.0)
    with serve(script, chat_answer) as url, pytest.raises(BackendError, match="timed out"):
        paraphrase(tmp_path, url + "/v1", timeout=0.4, retries=1, concurrency=concurrency)
    assert script.requests <= most  # was 256 with --timeout 2 --retries 1
    if concurrency == 1:
        assert script.requests == 2
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", ["401", "403", "garbage"])
def test_answers_that_cannot_succeed_are_not_retried_and_stop_at_once(tmp_path, mode, key_env):
    script = Script(default=mode)
    with serve(script, chat_answer) as url, pytest.raises(BackendError) as caught:
        paraphrase(tmp_path, url + "/v1", concurrency=1, api_key_env=key_env)
    assert script.requests == 1  # was 128: one per text of the chunk
    assert KEY not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_cli_401_with_an_echoing_server_is_one_line_without_the_key(tmp_path, capsys, key_env):
    script = Script(default="401")
    out = tmp_path / "o.jsonl"
    with serve(script, chat_answer) as url:
        code = main(["augment", DATA, "-o", str(out), "--method", "paraphrase", "--backend", "openai",
                     "--base-url", url + "/v1", "--model", "m", "--api-key-env", key_env, "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "HTTP 401: bad key, you sent Bearer [REDACTED]" in err[0] and KEY not in err[0]
    assert "--api-key-env" in err[0]
    assert script.requests <= 4  # --concurrency 4: only the requests already in flight
    assert list(tmp_path.iterdir()) == []  # the docs promise it: no o.jsonl.cache.sqlite left either


def test_a_key_echoed_in_an_answer_is_never_stored_or_written(tmp_path, key_env):
    script = Script(default="echo")
    with serve(script, chat_answer) as url:
        paraphrase(tmp_path, url + "/v1", api_key_env=key_env, only_new=False)
    written = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert KEY.encode() not in written
    cache = sqlite3.connect(tmp_path / "o.jsonl.cache.sqlite")
    answers = [a for (a,) in cache.execute("SELECT answer FROM answers")]
    cache.close()
    assert len(answers) == script.requests > 100 and all(a.startswith("Bearer [REDACTED]") for a in answers)


def test_libre_403_does_not_put_the_api_key_on_stderr(tmp_path, capsys, key_env):
    script = Script(default="403")
    with serve(script, chat_answer) as url:
        code = main(["augment", str(SAMPLE / "prompt_completion_tr.jsonl"), "-o", str(tmp_path / "o.jsonl"),
                     "--method", "backtranslate", "--backend", "libre", "--base-url", url,
                     "--api-key-env", key_env, "-q"])
    err = capsys.readouterr().err
    # deep-translator's AuthorizationException says "Unauthorized access with the api key <key>".
    assert code == 2 and KEY not in err and "[REDACTED]" in err and script.requests == 1
    assert list(tmp_path.iterdir()) == []
