"""The gate end to end through great-expectations: verdicts, report.json shape, suite errors."""

import json

import pytest

from dataforge.errors import UsageError
from dataforge.quality.gate import run_gate
from tests.quality.helpers import SAMPLE, expected_flags, write_planted

STABLE = ["exact_duplicates", "near_duplicates", "language", "pii_tckn", "pii_iban", "pii_phone", "pii_email",
          "mojibake", "asciified", "empty_or_whitespace", "length"]


def test_clean_sample_data_passes(tmp_path):
    res = run_gate([str(SAMPLE / "chat_tr.jsonl"), str(SAMPLE / "instructions_tr.jsonl")],
                   report_dir=str(tmp_path / "rep"))
    assert res.passed
    report = json.loads(open(res.report_json).read())
    assert report == res.summary
    assert report["records"] == 74 + 77 and report["passed"] is True
    names = [c["name"] for c in report["checks"]]
    assert all(n in names for n in STABLE)
    for c in report["checks"]:
        assert set(c) >= {"name", "passed", "flagged", "examples"} and c["flagged"] == 0
    # no tokenizer: the suite's truncation rule is shown as not run, never as a green pass
    trunc = report["checks"][names.index("truncation")]
    assert trunc["status"] == "not_run" and trunc["passed"] is None and "--tokenizer" in trunc["reason"]
    assert res.failed_checks == [] and report["summary"]["not_run"] == ["truncation"]
    assert (tmp_path / "rep" / "report.html").stat().st_size > 10_000  # plots are embedded
    assert (tmp_path / "rep" / "data_docs" / "index.html").exists()


def test_planted_problems_fail_the_gate_with_counts_and_file_line_examples(tmp_path):
    path = write_planted(tmp_path / "planted.jsonl")
    res = run_gate([str(path)], report_dir=str(tmp_path / "rep"), data_docs=False)
    assert not res.passed
    checks = {c["name"]: c for c in res.summary["checks"]}
    for name, lines in expected_flags().items():
        c = checks[name]
        assert c["flagged"] == len(lines), name
        assert [e["line"] for e in c["examples"]] == lines[:5], name
        assert all(e["file"] == str(path) for e in c["examples"])
    for name in ("exact_duplicates", "pii_tckn", "pii_iban", "pii_phone", "pii_email", "mojibake",
                 "empty_or_whitespace", "invalid_records"):
        assert checks[name]["passed"] is False, name
    # 1 of 71 judged records is English (98.6% Turkish ≥ 98%), 1 near copy (1.4% > 1%), 1 asciified (> 1%)
    assert checks["language"]["passed"] is True
    assert checks["near_duplicates"]["passed"] is False
    assert checks["exact_duplicates"]["examples"][0]["duplicate_of"] == f"{path}:61"
    assert "[TCKN]" in checks["pii_tckn"]["examples"][0]["excerpt"]  # the report does not repeat PII


def test_a_stricter_user_suite_fails_where_the_default_passes(tmp_path):
    suite = tmp_path / "strict.json"
    suite.write_text(json.dumps({"name": "strict", "expectations": [
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "chars_assistant", "min_value": 1,
                                                                   "max_value": 100}, "meta": {"check": "length"}},
        {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "tr_letter_ratio", "min_value": 0.5}},
    ]}))
    res = run_gate([str(SAMPLE / "chat_tr.jsonl")], suite=str(suite), report_dir=str(tmp_path / "r"),
                   data_docs=False)
    assert not res.passed
    checks = {c["name"]: c for c in res.summary["checks"]}
    assert checks["length"]["passed"] is False and checks["length"]["flagged"] > 0
    custom = checks["expect_column_mean_to_be_between:tr_letter_ratio"]
    assert custom["passed"] is False and custom["expectations"][0]["observed"] < 0.5
    assert checks["mojibake"]["gated"] is False  # not in this suite: reported as information


@pytest.mark.parametrize("content,needle", [
    ("{not json", "suite: invalid JSON"),
    ('{"expectations": [{"type": "expect_column_values_to_be_purple", "kwargs": {"column": "x"}}]}',
     "expectations[0].type: unknown expectation type 'expect_column_values_to_be_purple'"),
    ('{"expectations": [], "colour": 1}', "colour: unknown key"),
    ('{"expectations": [{"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "nope", '
     '"value_set": [1]}}]}', "no feature column 'nope'"),
    ('{"expectations": [{"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "exact_dup", '
     '"value_set": [false], "mostly": 5}}]}', "expectations[0].kwargs.mostly: ensure this value is less than"),
])
def test_bad_suite_is_a_config_error_that_names_the_problem(tmp_path, content, needle):
    suite = tmp_path / "bad.json"
    suite.write_text(content)
    with pytest.raises(UsageError) as info:
        run_gate([str(SAMPLE / "chat_tr.jsonl")], suite=str(suite), report_dir=str(tmp_path / "r"))
    assert info.value.exit_code == 2
    assert any(needle in line and str(suite) in line for line in info.value.lines()), info.value.lines()


def test_cli_exit_codes(tmp_path, capsys):
    from dataforge.cli import main

    assert main(["check", str(SAMPLE / "chat_tr.jsonl"), "--report-dir", str(tmp_path / "a"), "-q",
                 "--no-data-docs"]) == 0
    assert "report: " in capsys.readouterr().err
    planted = write_planted(tmp_path / "p.jsonl")
    assert main(["check", str(planted), "--report-dir", str(tmp_path / "b"), "-q", "--no-data-docs"]) == 1
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    assert main(["check", str(planted), "--suite", str(bad), "--report-dir", str(tmp_path / "c")]) == 2
    assert "expectations" in capsys.readouterr().err


def test_no_valid_record_is_not_a_pass(tmp_path):
    """Every record broken: the checks over valid records looked at nothing, so they are 'not run', never a
    green 'pass, 0 flagged', and the gate fails even when the suite gates none of the checks that ran."""
    src = tmp_path / "broken.jsonl"
    src.write_text('{"messages": [{"role": "user", "content": "Merhaba"}]}\n'
                   '{"messages": [{"role": "user", "content": "Selam"}]}\n')
    res = run_gate([str(src)], report_dir=str(tmp_path / "r"), data_docs=False)
    checks = {c["name"]: c for c in res.summary["checks"]}
    assert checks["invalid_records"]["status"] == "fail" and checks["invalid_records"]["flagged"] == 2
    for name in ("exact_duplicates", "near_duplicates", "language", "pii_tckn", "mojibake", "asciified", "length",
                 "repetition"):
        assert checks[name]["status"] == "not_run" and checks[name]["passed"] is None, name
        assert checks[name]["looked_at"] == 0 and checks[name]["reason"] == "geçerli kayıt yok", name
    assert not res.passed and res.failed_checks == ["invalid_records", "no_valid_records"]
    html = open(res.report_html, encoding="utf-8").read()
    assert "çalıştırılmadı" in html and "geçerli kayıt yok: hiçbir şey kontrol edilemedi" in html

    only_dups = tmp_path / "dups.json"  # a suite that does not gate invalid records
    only_dups.write_text(json.dumps({"name": "dups", "expectations": [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "exact_dup", "value_set": [False]},
         "meta": {"check": "exact_duplicates"}}]}))
    res = run_gate([str(src)], suite=str(only_dups), report_dir=str(tmp_path / "r2"), data_docs=False)
    assert not res.passed and res.failed_checks == ["no_valid_records"]
    assert res.summary["summary"]["gate"]["deciding"] == []  # nothing that gates this data ran


def test_cli_names_the_failed_checks_and_not_run_ones(tmp_path, capsys):
    from dataforge.cli import main

    planted = write_planted(tmp_path / "p.jsonl")
    assert main(["check", str(planted), "--report-dir", str(tmp_path / "b"), "--no-data-docs",
                 "--report-lang", "en"]) == 1
    err = capsys.readouterr().err
    assert "gate FAILED: invalid_records, exact_duplicates, near_duplicates" in err
    assert "not run  truncation" in err and "needs --tokenizer" in err
    assert sum(1 for line in err.splitlines() if line.startswith("  ")) == 17  # every check of the suite (tools too)


def test_check_accepts_allow_extra_like_every_reading_command(tmp_path, run_cli):
    import json as _json

    from tests.conftest import SAMPLE

    rows = [_json.loads(line) for line in (SAMPLE / "chat_tr.jsonl").read_text(encoding="utf-8").splitlines()[:20]]
    data = tmp_path / "extra.jsonl"
    data.write_text("".join(_json.dumps({**r, "score": 5}, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    code, _, err = run_cli("check", data, "--report-dir", tmp_path / "r", "--no-data-docs")
    assert code == 1 and "score: unknown field" in err
    code, _, err = run_cli("check", data, "--report-dir", tmp_path / "r2", "--no-data-docs", "--allow-extra")
    assert "unknown field" not in err
    assert _json.loads((tmp_path / "r2" / "report.json").read_text())["records"] == 20
