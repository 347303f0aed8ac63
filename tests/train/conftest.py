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


@pytest.fixture
def tok(tiny_tokenizer):
    """The tiny tokenizer with the built-in ChatML template: a copy per test, so a test may change it."""
    import copy

    from dataforge.train.chat_template import CHATML

    t = copy.deepcopy(tiny_tokenizer)
    t.chat_template = CHATML
    return t


def family_texts() -> list[str]:
    from dataforge.train.tiny import texts_of

    return list(texts_of([str(SAMPLE / "chat_tr.jsonl"), str(SAMPLE / "instructions_tr.jsonl")]))


@pytest.fixture(scope="session")
def family_dir(tmp_path_factory):
    """build(family) -> a model folder with the family's real vocabulary and template and tiny random weights
    (tests/train/families.py), built once per test session."""
    pytest.importorskip("torch")
    from tests.train.families import build_family

    root = tmp_path_factory.mktemp("families")
    built: dict[str, Path] = {}

    def build(family: str) -> Path:
        if family not in built:
            built[family] = build_family(family, root / family, family_texts())
        return built[family]

    return build
