"""docs/train.md's generated tables equal what the code says (`python -m dataforge.run.run_dir`, describe())."""

from pathlib import Path

from dataforge.run.config import Recipe
from dataforge.run.run_dir import markdown
from dataforge.train.recipes import describe

DOC = (Path(__file__).resolve().parents[2] / "docs" / "train.md").read_text(encoding="utf-8")


def test_run_directory_and_manifest_tables_are_current():
    assert markdown() in DOC


def test_recipe_reference_is_current():
    for key, default, help_text in describe(Recipe):
        assert f"| `{key}` | `{default}` | {help_text} |" in DOC, key
