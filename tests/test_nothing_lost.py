"""Inputs that used to lose records or crash: trailing lines after a JSON array, outputs over inputs, deep
nesting, CR-only line ends, empty keys, empty files, preference and multimodal data, content parts."""

import json
import os

import pytest

from tests.conftest import chat, read_jsonl, write_lines

GOOD = chat("Merhaba, nasılsın?", "İyiyim, teşekkür ederim.")


def test_lines_after_a_json_array_are_rejected_not_ignored(run_cli, tmp_path):
    path = tmp_path / "arr.jsonl"
    path.write_text(json.dumps([GOOD, GOOD]) + "\n" + "".join(json.dumps(GOOD) + "\n" for _ in range(5)))
    code, out, err = run_cli("validate", path, "--out", tmp_path / "ok.jsonl", "--rejects", tmp_path / "bad.jsonl",
                             "--json")
    summary = json.loads(out)
    assert code == 1
    assert (summary["records"], summary["valid"], summary["invalid"]) == (7, 2, 5)
    assert [r["line"] for r in read_jsonl(tmp_path / "bad.jsonl")] == [2, 3, 4, 5, 6]
    assert "arr.jsonl:2: line: after the end of the JSON array (line 1)" in err
    code, _, err = run_cli("convert", path, "--to", "alpaca", "-o", tmp_path / "a.jsonl")
    assert code == 1 and len(read_jsonl(tmp_path / "a.jsonl")) == 2 and "5 invalid" in err


@pytest.mark.parametrize("args", [
    ["validate", "{a}", "--out", "{a}"],
    ["validate", "{a}", "--rejects", "{link}"],  # a hard link to the input is the input
    ["validate", "{a}", "--out", "{d}/x.jsonl", "--rejects", "{d}/./x.jsonl"],
    ["validate", "{a}", "--out", "{d}"],
    ["convert", "{a}", "--to", "chat", "-o", "{a}"],
    ["clean", "{a}", "-o", "{d}/c.jsonl", "--drops", "{a}"],
    ["clean", "{a}", "-o", "{d}/c.jsonl", "--drops", "{d}/c.jsonl"],
    ["split", "{d}/train.jsonl", "-o", "{d}"],
    ["augment", "{a}", "-o", "{a}", "--method", "synonym"],
])
def test_no_output_over_an_input(run_cli, tmp_path, args):
    a = write_lines(tmp_path / "a.jsonl", [GOOD, GOOD])
    os.link(a, tmp_path / "link.jsonl")
    write_lines(tmp_path / "train.jsonl", [GOOD])
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    argv = [x.format(a=a, link=tmp_path / "link.jsonl", d=tmp_path) for x in args]
    code, _, err = run_cli(*argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "is the input file" in err or "is also given as" in err or "is a directory" in err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # nothing written, no .tmp left


def test_deep_nesting_is_one_rejected_line(run_cli, tmp_path):
    deep = "[" * 985 + "]" * 985  # written as text: json.loads of it may itself recurse too deeply under pytest
    bad = json.dumps(GOOD)[:-1] + ', "meta": {"fields": {"x": ' + deep + "}}}\n"
    path = write_lines(tmp_path / "deep.jsonl", [GOOD, bad, GOOD])
    code, out, err = run_cli("validate", path, "--out", tmp_path / "ok.jsonl", "--rejects", tmp_path / "bad.jsonl",
                             "--json")
    assert code == 1 and "internal error" not in err
    assert "deep.jsonl:2: record: nested more than 64 levels deep" in err
    assert len(read_jsonl(tmp_path / "ok.jsonl")) == 2 and len(read_jsonl(tmp_path / "bad.jsonl")) == 1
    for args in (["convert", path, "--to", "alpaca", "-o", tmp_path / "c.jsonl"],
                 ["clean", path, "-o", tmp_path / "k.jsonl"]):
        code, _, err = run_cli(*args)
        assert code in (0, 1) and "internal error" not in err and ":2: record: nested" in err


def test_deep_role_value_is_not_printed_whole(run_cli, tmp_path):
    bad = {"messages": [{"role": "bot" * 100, "content": "x"}, {"role": "assistant", "content": "y"}]}
    path = write_lines(tmp_path / "r.jsonl", [bad])
    code, _, err = run_cli("validate", path)
    assert code == 1 and "got 'botbot" in err and len(err.splitlines()[0]) < 250


def test_cr_only_line_ends_are_lines(run_cli, tmp_path):
    path = tmp_path / "mac.jsonl"
    path.write_bytes(b"".join(json.dumps(GOOD).encode() + b"\r" for _ in range(100)))
    code, out, err = run_cli("validate", path, "--out", tmp_path / "ok.jsonl", "--json")
    assert code == 0, err
    assert json.loads(out)["records"] == 100
    assert (tmp_path / "ok.jsonl").read_bytes() == b"".join(json.dumps(GOOD).encode() + b"\n" for _ in range(100))
    code, _, _ = run_cli("convert", path, "--to", "sharegpt", "-o", tmp_path / "s.jsonl")
    assert code == 0 and len(read_jsonl(tmp_path / "s.jsonl")) == 100


def test_an_empty_key_is_named(run_cli, tmp_path):
    path = write_lines(tmp_path / "k.jsonl", [{**GOOD, "": 1}])
    code, _, err = run_cli("validate", path)
    assert code == 1
    assert 'k.jsonl:1: "": unknown field (an empty key): remove it' in err


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_empty_file_is_no_records_exit_1(run_cli, tmp_path, content):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)
    code, out, err = run_cli("validate", path, "--json")  # format auto: nothing to detect is not an error
    assert code == 1 and "empty.jsonl: no records" in err
    assert json.loads(out)["records"] == 0 and json.loads(out)["blank_lines"] == content.count(b"\n")
    code, _, err = run_cli("convert", path, "--to", "chat", "-o", tmp_path / "c.jsonl")
    assert code == 1 and "no records" in err


DATA = os.path.join(os.path.dirname(__file__), "formats", "data")


@pytest.mark.parametrize("name, code_, field, words", [
    ("dpo.jsonl", 2, None, "this is preference data"),  # no SFT keys at all: the whole file
    ("dpo_conversational.jsonl", 2, None, "this is preference data"),
    ("kto.json", 1, ":2: label", "this is KTO preference data"),  # array elements: the line each starts on
    ("alpaca_images.json", 1, ":2: images", "this is multimodal data"),
    ("chat_image_parts.jsonl", 1, ":1: messages[0].content[1].type",
     "'image_url' is not supported: this is multimodal"),
])
def test_preference_and_multimodal_data_is_refused_by_name(run_cli, tmp_path, name, code_, field, words):
    path = os.path.join(DATA, name)
    for args in (["validate", path, "--allow-extra"],
                 ["convert", path, "--to", "chat", "-o", tmp_path / "c.jsonl", "--allow-extra"],
                 ["clean", path, "-o", tmp_path / "k.jsonl"]):
        code, _, err = run_cli(*args)
        assert code == code_ or (args[0] == "clean" and code in (0, 1) and code_ == 1), (args, err)
        assert words in err and (field is None or f"{field}: {words}" in err)
        assert "last message" not in err and "--allow-extra" not in err
    if code_ == 1 and name != "chat_image_parts.jsonl":
        assert not read_jsonl(tmp_path / "c.jsonl")  # nothing trained as SFT by way of --allow-extra


@pytest.mark.parametrize("content, field, words", [
    ([{"type": "text", "text": "a"}, {"type": "foo", "text": "b"}], "messages[0].content[1].type",
     "'foo' is not supported: only text parts"),
    (["x"], "messages[0].content[0]", 'expected a text part {"type": "text", "text": "..."}, got string'),
    ([{"type": "text"}], "messages[0].content[0].text", "missing: add it"),
    (5, "messages[0].content", "expected a string or a list of text parts, got number"),
])
def test_content_part_errors_name_the_part(run_cli, tmp_path, content, field, words):
    rec = {"messages": [{"role": "user", "content": content}, {"role": "assistant", "content": "y"}]}
    path = write_lines(tmp_path / "p.jsonl", [rec])
    code, _, err = run_cli("validate", path, "--format", "chat")
    assert code == 1
    assert f"p.jsonl:1: {field}: {words}" in err
    assert "got list" not in err


def test_allow_extra_is_one_behaviour(run_cli, tmp_path):
    """Extras travel under meta in convert, clean and split, and every output validates without the flag."""
    recs = [{**chat("soru bir", "yanıt bir"), "id": "r1", "score": 3}, {**chat("soru iki", "yanıt iki"), "id": "r2"}]
    path = write_lines(tmp_path / "x.jsonl", recs)
    assert run_cli("validate", path, "-q")[0] == 1
    outs = {"convert": tmp_path / "c.jsonl", "clean": tmp_path / "k.jsonl"}
    assert run_cli("convert", path, "--to", "chat", "-o", outs["convert"], "--allow-extra")[0] == 0
    assert run_cli("clean", path, "-o", outs["clean"], "--allow-extra")[0] == 0
    assert run_cli("split", path, "-o", tmp_path / "s", "--val", "0.5", "--allow-extra")[0] == 0
    for out in (*outs.values(), tmp_path / "s" / "train.jsonl", tmp_path / "s" / "val.jsonl"):
        for rec in read_jsonl(out):
            assert set(rec) == {"messages", "meta"} and set(rec["meta"]["fields"]["extra"]) <= {"id", "score"}
        assert run_cli("validate", out, "-q")[0] == 0, out
    assert read_jsonl(outs["convert"])[0]["meta"] == {"fields": {"extra": {"id": "r1", "score": 3}}}
    assert read_jsonl(outs["clean"])[0]["meta"] == {"fields": {"extra": {"id": "r1", "score": 3}}}


def test_an_output_under_a_file_is_refused(run_cli, tmp_path):
    a = write_lines(tmp_path / "a.jsonl", [GOOD])
    code, _, err = run_cli("validate", a, "--out", tmp_path / "a.jsonl" / "sub" / "o.jsonl")
    assert code == 2 and "is a file, not a directory" in err and "internal error" not in err


def test_dpo_records_in_a_chat_file_get_no_sft_advice(run_cli, tmp_path):
    dpo = {"messages": [{"role": "user", "content": "Başkent neresi?"}], "chosen": [{"role": "assistant",
           "content": "Ankara."}], "rejected": [{"role": "assistant", "content": "İzmir."}]}
    path = write_lines(tmp_path / "c.jsonl", [GOOD, dpo])
    code, _, err = run_cli("validate", path)
    assert code == 1
    assert "c.jsonl:2: chosen: this is preference data: dataforge trains SFT" in err
    assert "last message" not in err and "unknown field" not in err
