import json
from pathlib import Path

import pytest

from dataforge.cli import COMMANDS, main

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def test_augment_is_registered():
    assert "augment" in COMMANDS


def test_bad_options_are_all_reported_with_exit_2(tmp_path, capsys):
    code = main(["augment", str(SAMPLE / "chat_tr.jsonl"), "-o", str(tmp_path / "o.jsonl"), "--method", "synonym",
                 "--ratio", "2", "--variants", "0"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 2
    assert err[0].startswith("--variants:") and err[1].startswith("--ratio:")
    assert list(tmp_path.iterdir()) == []


def test_backtranslate_without_a_model_says_which_flag(tmp_path, capsys):
    code = main(["augment", str(SAMPLE / "chat_tr.jsonl"), "-o", str(tmp_path / "o.jsonl"),
                 "--method", "backtranslate"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("--model:") and "opus-mt-tr-en" in err


@pytest.mark.slow  # zemberek's morphology loads for 10-45 s
def test_synonym_run_prints_a_json_summary_and_repeats_byte_for_byte(tmp_path, capsys, morphology):
    args = ["augment", str(SAMPLE / "sharegpt_tr.jsonl"), "--method", "synonym", "--seed", "5", "--json", "-q"]
    assert main([*args, "-o", str(tmp_path / "a.jsonl")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert main([*args, "-o", str(tmp_path / "b.jsonl")]) == 0
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    m = summary["methods"]["synonym"]
    assert summary["records"] == 12 and summary["counts_add_up"]
    assert summary["written"] == 12 + m["kept"] == len((tmp_path / "a.jsonl").read_bytes().splitlines())


def test_the_partial_file_may_not_be_the_input_either(tmp_path, capsys):
    """The run writes OUT.partial (and OUT.journal) before OUT: an input named so would be truncated."""
    src = tmp_path / "o.jsonl.partial"
    src.write_bytes((SAMPLE / "chat_tr.jsonl").read_bytes())
    code = main(["augment", str(src), "-o", str(tmp_path / "o.jsonl"), "--method", "synonym"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith(f"-o (its .partial file) {src}: is the input file")
    assert src.read_bytes() == (SAMPLE / "chat_tr.jsonl").read_bytes()


def test_missing_input_fails_before_any_model_loads(tmp_path, capsys):
    code = main(["augment", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "o.jsonl"), "--method",
                 "backtranslate", "--model", str(tmp_path / "no-model")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err == f"{tmp_path / 'nope.jsonl'}: no such file"


@pytest.mark.slow  # zemberek's morphology loads for 10-45 s
def test_invalid_input_records_are_reported_counted_and_exit_1(tmp_path, capsys, morphology):
    out = tmp_path / "o.jsonl"
    code = main(["augment", str(SAMPLE / "broken_chat.jsonl"), "-o", str(out), "--method", "synonym", "--json"])
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    problems = [line for line in captured.err.splitlines() if "broken_chat.jsonl:" in line]
    assert code == 1 and summary["invalid_input"] == 10 and summary["records"] == 2
    assert len(problems) >= 10 and summary["written"] == len(out.read_bytes().splitlines())


@pytest.mark.slow  # zemberek's morphology loads for 10-45 s
def test_augmented_sample_passes_the_quality_gate(tmp_path, capsys, morphology):
    """The post-filters use the check's own definitions, so what augment keeps, `dataforge check` accepts."""
    out = tmp_path / "chat_syn.jsonl"
    assert main(["augment", str(SAMPLE / "chat_tr.jsonl"), "-o", str(out), "--method", "synonym", "-q"]) == 0
    code = main(["check", str(out), "--report-dir", str(tmp_path / "report"), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["passed"], [c for c in report["checks"] if not c["passed"]]


@pytest.mark.slow  # zemberek's morphology loads for 10-45 s
def test_allow_extra_is_accepted_and_extras_stay_under_meta(tmp_path, capsys, morphology):
    rows = [json.loads(line) for line in (SAMPLE / "sharegpt_tr.jsonl").read_text(encoding="utf-8").splitlines()]
    data = tmp_path / "extra.jsonl"
    data.write_text("".join(json.dumps({**r, "kaynak": "forum"}, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert main(["augment", str(data), "-o", str(out), "--method", "synonym", "-q"]) == 1  # unknown field
    assert main(["augment", str(data), "-o", str(out), "--method", "synonym", "-q", "--allow-extra"]) == 0
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert written and all("kaynak" not in r and r["meta"]["fields"]["extra"]["kaynak"] == "forum" for r in written)
    assert main(["validate", str(out), "-q"]) == 0
