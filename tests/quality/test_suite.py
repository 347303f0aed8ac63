"""Every shipped suite loads, names only known checks and feature columns, and GX accepts it."""

import pytest

from dataforge.quality.checks import BY_NAME
from dataforge.quality.suite import SHIPPED, check_columns, load_suite, suite_path

FEATURES = ["row", "file", "line", "id", "turns", "empty_turns", "valid", "invalid", "chars_system", "words_system",
            "chars_user", "words_user", "chars_assistant", "words_assistant", "mojibake", "tr_letter_ratio",
            "exact_group", "exact_dup", "near_cluster", "near_cluster_size", "near_dup", "pii_tckn", "pii_iban",
            "pii_phone", "pii_email", "lang", "lang_conf", "lang_ok", "asciified", "rep_top2gram", "rep_dup5gram",
            "rep_dup_lines", "repetitive", "tool_calls", "undeclared_functions", "schema_violations",
            "unanswered_calls"]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_suite_is_valid(name):
    suite = load_suite(suite_path(name))
    assert suite.name == name and suite.expectations
    assert all(e["meta"]["check"] in BY_NAME for e in suite.expectations)
    run, skipped = check_columns(suite, FEATURES)
    assert [e["meta"]["check"] for e in skipped] == ["truncation"]  # needs a tokenizer
    run, skipped = check_columns(suite, [*FEATURES, "tokens", "truncated"])
    assert not skipped

    import great_expectations as gx

    gx.ExpectationSuite(name=name, expectations=[{k: v for k, v in e.items() if k != "_index"} for e in run])


def test_default_suite_is_turkish_sft():
    assert suite_path(None).endswith("turkish_sft.json")
    assert suite_path("my/own.json") == "my/own.json"
