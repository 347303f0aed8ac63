import polars as pl

from dataforge.quality.features import build_features
from dataforge.quality.load import load
from tests.quality.helpers import PLANTED, expected_flags, write_planted

FLAG_COLUMNS = {"exact_duplicates": "exact_dup", "near_duplicates": "near_dup", "mojibake": "mojibake",
                "asciified": "asciified", "invalid_records": "invalid"}


def test_each_planted_problem_is_flagged_and_nothing_else(tmp_path):
    path = write_planted(tmp_path / "planted.jsonl")
    df = build_features(load([str(path)]))
    assert df.height == 60 + len(PLANTED)  # rejected records have rows too: nothing lost
    expected = expected_flags()
    for check, col in FLAG_COLUMNS.items():
        assert sorted(df.filter(pl.col(col).fill_null(False))["line"].to_list()) == expected[check], check
    for kind in ("tckn", "iban", "phone", "email"):
        assert df.filter(pl.col(f"pii_{kind}") > 0)["line"].to_list() == expected[f"pii_{kind}"], kind
    assert df.filter(~pl.col("lang_ok").fill_null(True))["line"].to_list() == expected["language"]
    assert sorted(df.filter(pl.col("empty_turns") > 0)["line"].to_list()) == expected["empty_or_whitespace"]


def test_lengths_per_role_and_validity(tmp_path):
    path = write_planted(tmp_path / "planted.jsonl", clean_records=3)
    df = build_features(load([str(path)]))
    first = df.row(0, named=True)
    assert first["chars_system"] == 0 and first["chars_user"] > 0 and first["words_assistant"] > 5
    assert first["valid"] and not first["invalid"] and first["lang"] == "tr"
    broken = df.filter(pl.col("invalid"))
    assert broken.height == 1 and broken["lang"].to_list() == [None]
