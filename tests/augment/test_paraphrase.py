from pathlib import Path

import pytest
from servers import Script, chat_answer, serve
from tiny_models import build_causal_lm

from dataforge.augment import build_augmenter, build_filters, run
from dataforge.augment.config import load_config
from dataforge.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
DATA = str(SAMPLE / "sharegpt_tr.jsonl")


def test_openai_endpoint_with_retries_concurrency_limit_and_seeds(tmp_path):
    script = Script({2: "500", 5: "429"})
    with serve(script, chat_answer) as url:
        values = {"method": "paraphrase", "backend": "openai", "base_url": url + "/v1", "model": "tiny",
                  "concurrency": 2, "seed": 11, "cache": str(tmp_path / "c.sqlite"), "max_similarity": 0.95}
        cfg = load_config(values)
        aug = build_augmenter(cfg)
        s = run.augment_file(DATA, str(tmp_path / "a.jsonl"), cfg, aug, build_filters(cfg), progress=False).as_json()
    m = s["methods"]["paraphrase"]
    assert m["kept"] > 0 and m["kept"] + sum(m["rejected"].values()) == m["candidates"] == s["records"] == 12
    assert script.max_in_flight == 2  # requests overlapped, and never more than --concurrency
    bodies = [x["json"] for x in script.seen]
    assert all(x["path"] == "/v1/chat/completions" for x in script.seen)
    assert bodies[0]["messages"][0]["role"] == "system" and "Türkçe" in bodies[0]["messages"][0]["content"]
    assert len({b["seed"] for b in bodies}) == len(bodies)  # one seed per text
    # Same seed, no cache: the server is asked again with the same seeds and the output is byte-identical.
    with serve(Script(), chat_answer) as url:
        cfg2 = load_config({**values, "base_url": url + "/v1", "cache": str(tmp_path / "c2.sqlite")})
        run.augment_file(DATA, str(tmp_path / "b.jsonl"), cfg2, build_augmenter(cfg2), build_filters(cfg2),
                         progress=False)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_endpoint_answering_4xx_is_one_line_exit_2(tmp_path, capsys):
    def refuse(path, query, request):
        return {"error": "no such model"}

    with serve(Script(), refuse) as url:
        code = main(["augment", DATA, "-o", str(tmp_path / "o.jsonl"), "--method", "paraphrase", "--backend",
                     "openai", "--base-url", url, "--model", "nope", "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "not an OpenAI chat completion" in err[0]
    assert not (tmp_path / "o.jsonl").exists() and not (tmp_path / "o.jsonl.partial").exists()


@pytest.mark.slow
def test_local_causal_lm_is_seeded_per_text(tmp_path):
    model = build_causal_lm(tmp_path / "lm")
    cfg = load_config({"method": "paraphrase", "backend": "local", "model": str(model), "max_new_tokens": 6,
                       "device": "cpu"})
    aug = build_augmenter(cfg)
    texts = ["Kahve telvesi gübre olur mu?", "Menemen nasıl yapılır?"]
    first = aug.augment_texts(texts, [1, 2])
    again = build_augmenter(cfg).augment_texts(list(reversed(texts)), [2, 1])
    assert first == list(reversed(again)) and all(isinstance(t, str) for t in first)
    assert aug.augment_texts(texts[:1], [99]) != first[:1]  # another seed, another sample
