"""JSON Schema of every on-disk record format, generated from the pydantic models.

`python -m dataforge.schemas` rewrites schemas/; tests/test_schemas.py fails when the files drift from the models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dataforge.formats.registry import FORMATS


def generate() -> dict[str, dict[str, Any]]:
    """File name -> schema, one per format."""
    out = {}
    for name, module in FORMATS.items():
        schema = module.MODEL.model_json_schema(by_alias=True)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"dataforge/{name}.schema.json"
        out[f"{name}.schema.json"] = schema
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in generate().items():
        path = directory / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write(Path(__file__).resolve().parent.parent / "schemas"):
        print(p)
