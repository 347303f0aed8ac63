"""Tiny local assets shared by the training tests: built once per session, nothing downloaded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    pytest.importorskip("torch")
    from dataforge.train.tiny import build_tiny, texts_of

    return build_tiny(tmp_path_factory.mktemp("tiny") / "model",
                      texts_of([str(SAMPLE / "chat_tr.jsonl"), str(SAMPLE / "instructions_tr.jsonl")]))


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_model):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)
