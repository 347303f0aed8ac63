"""dataforge validate: exit codes, error lines, rejects and summary counts, for every awkward input."""

import base64
import json

import pytest

from tests.conftest import SAMPLE, chat, write_lines

GOOD = chat("Merhaba, nasılsın?", "İyiyim, teşekkür ederim.")


def rejects_of(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_sample_files_are_valid(run_cli):
    for name in ("chat_tr.jsonl", "instructions_tr.jsonl", "sharegpt_tr.jsonl", "prompt_completion_tr.jsonl"):
        code, out, err = run_cli("validate", SAMPLE / name, "--json", "-q")
        summary = json.loads(out)
        assert code == 0, err
        assert summary["invalid"] == 0 and summary["valid"] == summary["records"] >= 12


def test_broken_sample_reports_each_line(run_cli, tmp_path):
    code, out, err = run_cli("validate", SAMPLE / "broken_chat.jsonl", "--out", tmp_path / "ok.jsonl",
                             "--rejects", tmp_path / "bad.jsonl", "--json")
    summary = json.loads(out)
    assert code == 1
    assert (summary["records"], summary["valid"], summary["invalid"]) == (12, 2, 10)
    assert [r["line"] for r in rejects_of(tmp_path / "bad.jsonl")] == list(range(2, 12))
    lines = err.splitlines()
    assert "broken_chat.jsonl:2: messages[1].role: two user messages in a row at index 0 and 1" in lines[0]
    assert any(":5: messages[1].role: must be 'system', 'user', 'assistant' or 'tool', got 'bot'" in ln for ln in lines)
    assert any(":9: score: unknown field" in ln for ln in lines)
    assert "Traceback" not in err


@pytest.mark.parametrize("record, field, kind", [
    (chat("a", "b", "c"), "messages[2].role", "last_not_assistant"),
    ({"messages": [{"role": "assistant", "content": "x"}]}, "messages[0].role", "not_alternating"),
    ({"messages": [{"role": "user", "content": "x"}, {"role": "system", "content": "s"},
                   {"role": "assistant", "content": "y"}]}, "messages[1].role", "system_not_first"),
    (chat("soru", " \t\u00a0"), "messages[1].content", "empty_content"),
    (chat("", "yanıt"), "messages[0].content", "empty_content"),
    ({"messages": [{"role": "system", "content": "s"}]}, "messages[0].role", "no_turns"),
    ({"messages": [{"role": "user", "content": ["x"]}, {"role": "assistant", "content": "y"}]},
     "messages[0].content[0]", "wrong_type"),  # the bad part is named by its index
    ({"messages": [{"role": "user", "content": "x", "name": "ali"}, {"role": "assistant", "content": "y"}]},
     "messages[0].name", "unknown_field"),
    ({"messages": []}, "messages[0].role", "no_turns"),
    ({"messages": [{"role": "user"}, {"role": "assistant", "content": "y"}]}, "messages[0].content",
     "missing_field"),
])
def test_rules(run_cli, tmp_path, record, field, kind):
    path = write_lines(tmp_path / "in.jsonl", [GOOD, record])
    code, out, err = run_cli("validate", path, "--format", "chat", "--json")
    assert code == 1
    assert f"in.jsonl:2: {field}: " in err
    assert json.loads(out)["errors_by_kind"].get(kind) == 1


def test_awkward_bytes_each_end_up_somewhere(run_cli, tmp_path):
    good = json.dumps(GOOD, ensure_ascii=False).encode()
    path = write_lines(tmp_path / "in.jsonl", [
        b"\xef\xbb\xbf" + good + b"\r\n",  # BOM and CRLF
        b"\n", b"   \r\n",  # blank lines: counted, not records
        b'{"messages": [{"role": "user", "content": "a\xff\xfe"}, {"role": "assistant", "content": "b"}]}\n',
        b"[1, 2, 3]\n",  # not an object
        b'{"messages": [{"role": "user", "content": NaN}]}\n',
        b'{"x": Infinity}\n',
        bytes(range(11, 256)) + b"\n",  # binary garbage (no newline byte in it)
        b"\x00\x01\x02garbage\n",
        good + b"\n",
        b'{"messages": [{"role": "user", "content": "kesik',  # truncated last line, no newline
    ])
    out_path, rej_path = tmp_path / "ok.jsonl", tmp_path / "bad.jsonl"
    code, out, err = run_cli("validate", path, "--format", "chat", "--out", out_path, "--rejects", rej_path,
                             "--json")
    summary = json.loads(out)
    assert code == 1 and "Traceback" not in err
    assert summary["blank_lines"] == 2
    assert summary["records"] == 9 and summary["valid"] == 2 and summary["invalid"] == 7
    assert out_path.read_bytes() == good + b"\n" + good + b"\n"  # BOM and CR gone, text unchanged
    rejects = rejects_of(rej_path)
    assert [r["line"] for r in rejects] == [4, 5, 6, 7, 8, 9, 11]
    assert base64.b64decode(rejects[0]["raw_base64"]).endswith(b'"b"}]}') and "raw" not in rejects[0]
    assert "NaN/Infinity are not JSON" in rejects[2]["errors"][0]
    assert "cut off" in rejects[-1]["errors"][0]
    kinds = summary["errors_by_kind"]
    assert kinds["invalid_utf8"] == 2 and kinds["not_object"] == 1 and kinds["invalid_json"] == 4


def test_empty_file_is_exit_1(run_cli, tmp_path):
    for content in (b"", b"\n\n  \n"):
        path = tmp_path / "empty.jsonl"
        path.write_bytes(content)
        code, out, err = run_cli("validate", path, "--format", "chat", "--json")
        assert code == 1 and "no records" in err
        assert json.loads(out)["records"] == 0


def test_unknown_and_mixed_formats_are_exit_2(run_cli, tmp_path):
    unknown = write_lines(tmp_path / "u.jsonl", [{"text": "merhaba"}])
    code, _, err = run_cli("validate", unknown)
    assert code == 2 and "unknown format" in err and "--format" in err
    mixed = write_lines(tmp_path / "m.jsonl", [GOOD, {"instruction": "a", "input": "", "output": "b"}])
    code, _, err = run_cli("validate", mixed)
    assert code == 2 and "mixed formats (line 1 is chat, line 2 is alpaca)" in err
    code, _, err = run_cli("validate", tmp_path / "missing.jsonl")
    assert code == 2 and "no such file" in err


def test_very_long_line(run_cli, tmp_path):
    long_text = "uzun " * 2_000_000  # a 10 MB line
    path = write_lines(tmp_path / "long.jsonl", [chat("özetle", long_text), GOOD])
    code, out, _ = run_cli("validate", path, "--json", "--out", tmp_path / "o.jsonl")
    assert code == 0 and json.loads(out)["valid"] == 2
    assert (tmp_path / "o.jsonl").read_bytes() == path.read_bytes()


def test_over_long_line_is_rejected_without_reading_it_whole(run_cli, tmp_path, monkeypatch):
    from dataforge import blocks, io

    monkeypatch.setattr(io, "MAX_LINE_BYTES", 4096)
    monkeypatch.setattr(blocks, "MAX_LINE_BYTES", 4096)
    monkeypatch.setattr(blocks, "TASK_BYTES", 1024)
    path = write_lines(tmp_path / "big.jsonl", [GOOD, b"x" * 50_000 + b"\n", GOOD])
    code, out, err = run_cli("validate", path, "--format", "chat", "--json", "--rejects", tmp_path / "r.jsonl")
    assert code == 1 and ":2: line: line is 50000 bytes, over the 4096-byte limit" in err
    assert json.loads(out)["valid"] == 2
    assert len(rejects_of(tmp_path / "r.jsonl")[0]["raw"]) == 1024


def test_json_array_file(run_cli, tmp_path):
    path = tmp_path / "arr.json"
    path.write_text('[\n  {"instruction": "Topla", "input": "2 ve 3", "output": "5"},\n'
                    '  {"instruction": "", "output": "boş"},\n  {"instruction": "Çevir", "output": "tamam"}\n]\n',
                    encoding="utf-8")
    code, out, err = run_cli("validate", path, "--json", "--out", tmp_path / "o.jsonl")
    summary = json.loads(out)
    assert code == 1 and summary["format"] == "alpaca" and summary["valid"] == 2
    assert "arr.json:3: instruction: empty or whitespace-only" in err
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 2


def test_allow_extra(run_cli, tmp_path):
    path = write_lines(tmp_path / "x.jsonl", [{**GOOD, "id": "r1"}])
    assert run_cli("validate", path, "-q")[0] == 1
    assert run_cli("validate", path, "-q", "--allow-extra")[0] == 0


def test_workers_give_the_same_result(run_cli, tmp_path, monkeypatch):
    from dataforge import blocks, validate

    monkeypatch.setattr(validate, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(blocks, "TASK_BYTES", 2048)  # many blocks, so line numbers must carry across them
    lines = [GOOD if i % 7 else chat("soru", "") for i in range(1, 400)]
    path = write_lines(tmp_path / "in.jsonl", lines)
    results = []
    for workers in ("1", "2"):
        out, rej = tmp_path / f"o{workers}.jsonl", tmp_path / f"r{workers}.jsonl"
        code, summary, err = run_cli("validate", path, "--workers", workers, "--out", out, "--rejects", rej, "--json")
        results.append((code, json.loads(summary), out.read_bytes(), rej.read_bytes(), err))
    assert results[0] == results[1]
    assert [r["line"] for r in rejects_of(tmp_path / "r2.jsonl")] == list(range(7, 400, 7))


def test_failed_run_leaves_no_output(run_cli, tmp_path):
    mixed = write_lines(tmp_path / "m.jsonl", [GOOD, {"instruction": "a", "output": "b"}])
    code, _, _ = run_cli("validate", mixed, "--out", tmp_path / "o.jsonl")
    assert code == 2 and not (tmp_path / "o.jsonl").exists() and not (tmp_path / "o.jsonl.tmp").exists()
