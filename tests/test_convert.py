"""dataforge convert: lossless round trips (property tests), refused and counted losses, parquet."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataforge.convert import convert
from tests.conftest import SAMPLE, chat, read_jsonl, write_lines

# printable text that is never blank (blank texts are invalid records, not conversion cases)
text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40).filter(str.strip)
pairs = st.lists(st.tuples(text, text).map(list), max_size=3)
alpaca_records = st.fixed_dictionaries(
    {"instruction": text, "input": st.one_of(st.just(""), text), "output": text},
    optional={"system": text, "history": pairs.filter(bool)},
)
sharegpt_records = st.builds(
    lambda system, turns: {"conversations": ([{"from": "system", "value": system}] if system else [])
                           + [{"from": f, "value": v} for pair in turns for f, v in zip(("human", "gpt"), pair)]},
    st.one_of(st.none(), text), st.lists(st.tuples(text, text), min_size=1, max_size=3),
)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def round_trip(tmp_path, records, source_fmt):
    src = write_lines(tmp_path / "src.jsonl", records)
    mid, back = tmp_path / "mid.jsonl", tmp_path / "back.jsonl"
    first = convert(str(src), "chat", str(mid))
    second = convert(str(mid), source_fmt, str(back))
    assert first.written == second.written == len(records)
    return read_jsonl(back)


@SETTINGS
@given(records=st.lists(alpaca_records, min_size=1, max_size=5))
def test_alpaca_chat_alpaca_is_lossless(tmp_path, records):
    assert round_trip(tmp_path, records, "alpaca") == records


@SETTINGS
@given(records=st.lists(sharegpt_records, min_size=1, max_size=5))
def test_sharegpt_chat_sharegpt_is_lossless(tmp_path, records):
    assert round_trip(tmp_path, records, "sharegpt") == records


def test_chat_through_every_format_and_back(tmp_path):
    for target in ("alpaca", "sharegpt", "prompt-completion", "parquet"):
        there, back = tmp_path / f"to-{target}", tmp_path / f"back-{target}.jsonl"
        assert convert(str(SAMPLE / "chat_tr.jsonl"), target, str(there)).written == 74
        assert convert(str(there), "chat", str(back)).written == 74
        original, restored = read_jsonl(SAMPLE / "chat_tr.jsonl"), read_jsonl(back)
        assert [r["messages"] for r in restored] == [r["messages"] for r in original], target


def test_multi_turn_to_alpaca_without_history_is_refused_then_counted(tmp_path, run_cli):
    src = write_lines(tmp_path / "c.jsonl", [chat("a", "b", "c", "d"), chat("tek", "soru")])
    code, out, err = run_cli("convert", src, "--to", "alpaca", "--no-history", "-o", tmp_path / "o.jsonl", "--json")
    assert code == 1 and "c.jsonl:1: record: converting to alpaca would lose data (turns dropped)" in err
    assert json.loads(out)["lossy_refused"] == 1 and json.loads(out)["written"] == 1
    code, out, _ = run_cli("convert", src, "--to", "alpaca", "--no-history", "--lossy", "-o", tmp_path / "o.jsonl",
                           "--json")
    summary = json.loads(out)
    assert code == 0 and summary["lossy_written"] == 1 and summary["losses_by_kind"] == {"turns_dropped": 1}
    assert read_jsonl(tmp_path / "o.jsonl")[0] == {
        "instruction": "c", "input": "", "output": "d"}


def test_content_parts_to_a_string_format_are_lossy(tmp_path, run_cli):
    parts = {"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
                          {"role": "assistant", "content": "c"}]}
    src = write_lines(tmp_path / "p.jsonl", [parts])
    code, _, err = run_cli("convert", src, "--to", "sharegpt", "-o", tmp_path / "o.jsonl")
    assert code == 1 and "content parts flattened" in err
    code, _, _ = run_cli("convert", src, "--to", "chat", "-o", tmp_path / "o.jsonl")
    assert code == 0 and json.loads((tmp_path / "o.jsonl").read_text()) == parts


def test_invalid_records_are_reported_not_converted(tmp_path, run_cli):
    code, out, err = run_cli("convert", SAMPLE / "broken_chat.jsonl", "--to", "alpaca", "-o", tmp_path / "o.jsonl",
                             "--json")
    summary = json.loads(out)
    assert code == 1 and summary["invalid"] == 10 and summary["written"] == 2
    assert summary["records"] == summary["written"] + summary["invalid"] + summary["lossy_refused"]


def test_extra_fields_survive_a_round_trip_with_allow_extra(run_cli, tmp_path):
    rec = {"conversations": [{"from": "human", "value": "selam"}, {"from": "gpt", "value": "merhaba"}], "id": "k-7"}
    src = write_lines(tmp_path / "s.jsonl", [rec])
    convert(str(src), "chat", str(tmp_path / "c.jsonl"), allow_extra=True)
    convert(str(tmp_path / "c.jsonl"), "sharegpt", str(tmp_path / "back.jsonl"))
    # extras travel under meta, in every format (their own included), so every output validates without the flag
    assert json.loads((tmp_path / "back.jsonl").read_text()) == {
        "conversations": rec["conversations"], "meta": {"fields": {"extra": {"id": "k-7"}}}}
    assert run_cli("validate", tmp_path / "back.jsonl", "-q")[0] == 0


def test_prompt_completion_both_styles(tmp_path):
    src = SAMPLE / "prompt_completion_tr.jsonl"
    convert(str(src), "chat", str(tmp_path / "c.jsonl"))
    convert(str(tmp_path / "c.jsonl"), "prompt-completion", str(tmp_path / "back.jsonl"))
    assert read_jsonl(tmp_path / "back.jsonl") == read_jsonl(src)
    system_chat = write_lines(tmp_path / "s.jsonl", [chat("soru", "yanıt", system="Kısa yanıt ver.")])
    convert(str(system_chat), "prompt-completion", str(tmp_path / "pc.jsonl"))
    pc = json.loads((tmp_path / "pc.jsonl").read_text())
    assert pc["prompt"][0] == {"role": "system", "content": "Kısa yanıt ver."}
    assert pc["completion"] == [{"role": "assistant", "content": "yanıt"}]
