"""schemas/ is generated from the pydantic models: this fails when they drift (fix: python -m dataforge.schemas)."""

import json

from dataforge.schemas import generate, render
from tests.conftest import ROOT


def test_schema_files_match_the_models():
    expected = generate()
    on_disk = {p.name for p in (ROOT / "schemas").glob("*.schema.json")}
    assert on_disk == set(expected)
    for name, schema in expected.items():
        assert (ROOT / "schemas" / name).read_text(encoding="utf-8") == render(schema), name


def test_chat_schema_forbids_unknown_fields():
    schema = json.loads((ROOT / "schemas" / "chat.schema.json").read_text())
    assert schema["additionalProperties"] is False and schema["required"] == ["messages"]
