"""Tool data in check and clean: the tool-call checks and stats, PII inside call arguments and tool results (a TCKN
or an IBAN in a banking assistant's call), redacted by `clean --redact-pii` without breaking the JSON."""

from __future__ import annotations

import json

from tests.conftest import SAMPLE, read_jsonl, write_lines
from tests.quality.helpers import tckn

IBAN = "TR330006100519786457841326"  # a valid mod-97 check (the IBAN the PII tests use)
TOOLS = [{"type": "function", "function": {"name": "havale_eft", "parameters": {
    "type": "object", "properties": {"alici_iban": {"type": "string"}, "tckn": {"type": "string"},
                                     "tutar": {"type": "number"}}, "required": ["alici_iban", "tutar"]}}}]


def banking(args, result: str) -> dict:
    return {"messages": [
        {"role": "user", "content": "Kiramı ev sahibime gönderir misin? Tutar 1500 lira."},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "havale_eft", "arguments": args}}]},
        {"role": "tool", "tool_call_id": "c1", "content": result},
        {"role": "assistant", "content": "Kira ödemeniz gönderildi, işlem tamamlandı."}], "tools": TOOLS}


def records(number: str):
    plain = [json.loads(x) for x in (SAMPLE / "tools_tr.jsonl").read_text(encoding="utf-8").splitlines()[:7]]
    return plain + [
        banking({"alici_iban": IBAN, "tutar": 1500}, '{"durum": "tamam"}'),  # IBAN in object arguments
        banking(json.dumps({"alici_iban": "TR000000000000000000000001", "tckn": number, "tutar": 1500}),
                '{"durum": "tamam"}'),  # TCKN in OpenAI's string arguments
        banking({"alici_iban": "TR000000000000000000000001", "tutar": 1500},
                json.dumps({"durum": "tamam", "gonderen_iban": IBAN})),  # IBAN in the tool's result
    ]


def test_check_counts_tool_problems_and_pii_inside_calls(run_cli, tmp_path):
    number = tckn()
    path = write_lines(tmp_path / "tools.jsonl", records(number))
    code, _, _ = run_cli("check", path, "--report-dir", tmp_path / "rep", "-q")
    report = json.loads((tmp_path / "rep" / "report.json").read_text())
    checks = {c["name"]: c for c in report["checks"]}
    assert code == 1
    assert checks["pii_iban"]["flagged"] == 2 and checks["pii_tckn"]["flagged"] == 1
    assert checks["empty_or_whitespace"]["flagged"] == 0  # a call without text is not an empty turn
    assert report["stats"]["tool_calls"]["records_with_calls"] == 9
    assert report["stats"]["tool_calls"]["calls_per_record"]["max"] == 2
    text = (tmp_path / "rep" / "report.json").read_text() + (tmp_path / "rep" / "report.html").read_text()
    assert IBAN not in text and number not in text  # excerpts are redacted


def test_check_flags_each_tool_problem_by_its_check(run_cli, tmp_path):
    code, _, _ = run_cli("check", SAMPLE / "tools_tr.jsonl", "--report-dir", tmp_path / "rep", "-q")
    checks = {c["name"]: c for c in json.loads((tmp_path / "rep" / "report.json").read_text())["checks"]}
    assert code == 1
    flagged = {n: (c["flagged"], c["passed"]) for n, c in checks.items() if n.startswith("tool_")}
    assert flagged == {"tool_undeclared_functions": (1, False), "tool_schema_violations": (3, False),
                       "tool_unanswered_calls": (2, False)}
    assert [e["line"] for e in checks["tool_undeclared_functions"]["examples"]] == [10]
    assert checks["invalid_records"]["flagged"] == 9


def test_redact_pii_reaches_arguments_and_results_and_keeps_json(run_cli, tmp_path):
    number = tckn()
    path = write_lines(tmp_path / "tools.jsonl", records(number))
    code, out, err = run_cli("clean", path, "-o", tmp_path / "clean.jsonl", "--redact-pii", "--json")
    assert code == 0, err
    cleaned = read_jsonl(tmp_path / "clean.jsonl")
    assert len(cleaned) == 10
    assert cleaned[:7] == records(number)[:7]  # records without PII: byte for byte the same data
    args = cleaned[7]["messages"][1]["tool_calls"][0]["function"]["arguments"]
    assert args == {"alici_iban": "[IBAN]", "tutar": 1500}
    as_text = cleaned[8]["messages"][1]["tool_calls"][0]["function"]["arguments"]
    assert json.loads(as_text) == {"alici_iban": "TR000000000000000000000001", "tckn": "[TCKN]", "tutar": 1500}
    assert json.loads(cleaned[9]["messages"][2]["content"]) == {"durum": "tamam", "gonderen_iban": "[IBAN]"}
    code, _, err = run_cli("validate", tmp_path / "clean.jsonl")
    assert code == 0, err  # still valid tool calls


def _havale_with_iban(pattern: str | None = None) -> dict:
    rec = json.loads((SAMPLE / "tools_tr.jsonl").read_text(encoding="utf-8").splitlines()[1])
    rec["messages"][2]["tool_calls"][0]["function"]["arguments"] = json.dumps(
        {"alici_iban": IBAN, "alici_adi": "Ayşe Demir", "tutar": 1500})
    rec["messages"][1]["content"] = "Ayşe Demir'e 1500 lira kira göndermek istiyorum."
    if pattern:
        rec["tools"][0]["function"]["parameters"]["properties"]["alici_iban"]["pattern"] = pattern
    return rec


def test_a_placeholder_that_breaks_a_schema_pattern_becomes_a_same_shaped_stand_in(run_cli, tmp_path):
    """The sample's havale_eft wants `^TR[0-9]{24}$`: "[IBAN]" does not fit, so the IBAN becomes TR and 24 zeros
    (fits the pattern, fails the mod-97 check, so it is no IBAN to the PII checks) and the record is kept."""
    path = write_lines(tmp_path / "in.jsonl", [_havale_with_iban()])
    code, out, err = run_cli("clean", path, "-o", tmp_path / "clean.jsonl", "--redact-pii", "--json")
    summary = json.loads(out)
    assert summary["kept"] == 1 and summary["dropped"] == {}
    assert summary["changed"]["pii_masked_in_tool_data"] == 1
    cleaned = read_jsonl(tmp_path / "clean.jsonl")[0]
    args = json.loads(cleaned["messages"][2]["tool_calls"][0]["function"]["arguments"])
    assert args == {"alici_iban": "TR" + "0" * 24, "alici_adi": "Ayşe Demir", "tutar": 1500}
    assert IBAN not in json.dumps(cleaned)
    code, _, err = run_cli("validate", tmp_path / "clean.jsonl")
    assert code == 0, err  # the call still satisfies its schema
    code, out, _ = run_cli("check", tmp_path / "clean.jsonl", "--report-dir", tmp_path / "q", "--json")
    flagged = {c["name"]: c["flagged"] for c in json.loads((tmp_path / "q" / "report.json").read_text())["checks"]}
    assert flagged["pii_iban"] == 0  # the stand-in is not counted as personal data


def test_a_redaction_that_fits_the_schema_in_neither_form_drops_the_record_with_its_reason(run_cli, tmp_path):
    """A pattern that neither [IBAN] nor TR000… fits: the record is dropped (recorded in --drops with the field),
    never written out invalid, and the drop line holds no IBAN."""
    path = write_lines(tmp_path / "in.jsonl", [_havale_with_iban("^TR[1-9][0-9]{23}$")])
    code, out, err = run_cli("clean", path, "-o", tmp_path / "clean.jsonl", "--redact-pii", "--drops",
                             tmp_path / "drops.jsonl", "--json")
    summary = json.loads(out)
    assert summary["kept"] == 0 and summary["dropped"] == {"tool_call_broken_by_repair": 1}
    drop = read_jsonl(tmp_path / "drops.jsonl")[0]
    assert drop["detail"] == ["messages[2].tool_calls[0].function.arguments: '[IBAN]' does not match "
                              "'^TR[1-9][0-9]{23}$' at ['alici_iban']: the arguments do not match the parameters of "
                              "'havale_eft'; fix them or the schema"]
    assert IBAN not in json.dumps(drop)
