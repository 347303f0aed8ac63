"""Tool-calling conversations: the conversation rules (one error line per broken record), and lossless round trips
between OpenAI/TRL chat, LLaMA-Factory ShareGPT and prompt-completion.

Fixtures: sample_data/tools_tr.jsonl (written for the project: 7 valid records, then one broken record per rule)
and tests/formats/data/lf_tools_sharegpt.json, written for the project in the shape LLaMA-Factory documents in its
data/README.md (Apache-2.0): `function_call`/`observation` turns, `tools` as a JSON text, a parallel call as a JSON
list. tests/formats/data/lf_glaive_toolcall_demo.json is one record copied verbatim from LLaMA-Factory's
data/glaive_toolcall_en_demo.json (Apache-2.0; the records come from glaiveai/glaive-function-calling-v2,
Apache-2.0). The TRL-shaped records (calls without ids, tool messages with `name`) follow TRL's dataset_formats
docs (Apache-2.0).
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLE, read_jsonl, write_lines

TOOLS = SAMPLE / "tools_tr.jsonl"
LF = "tests/formats/data/lf_tools_sharegpt.json"

BROKEN = {  # line of tools_tr.jsonl -> (the one error line's field, kind)
    8: ("messages[1].tool_calls[0].id", "unanswered_call"),
    9: ("messages[3].tool_call_id", "unmatched_tool_result"),
    10: ("messages[1].tool_calls[0].function.name", "undeclared_function"),
    11: ("messages[1].tool_calls[0].function.arguments", "bad_arguments"),
    12: ("messages[1].tool_calls[0].function.arguments", "arguments_schema"),
    13: ("messages[1].tool_calls[1].id", "duplicate_call_id"),
    14: ("messages[2].role", "last_not_assistant"),
    15: ("messages[0].tool_call_id", "misplaced_tool_field"),
    16: ("tools[0]", "bad_tool_definition"),
}


def test_sample_file_each_broken_record_gives_exactly_its_one_line(run_cli, tmp_path):
    code, out, err = run_cli("validate", TOOLS, "--json", "--out", tmp_path / "ok.jsonl",
                             "--rejects", tmp_path / "bad.jsonl")
    summary = json.loads(out)
    assert code == 1
    assert (summary["records"], summary["valid"], summary["invalid"]) == (16, 7, 9)
    assert summary["errors_by_kind"] == {kind: 1 for _, kind in BROKEN.values()}
    problems = [ln for ln in err.splitlines() if re.match(rf"{re.escape(str(TOOLS))}:\d+: ", ln)]
    assert len(problems) == len(BROKEN)
    for line, (field, _) in BROKEN.items():
        assert sum(p.startswith(f"{TOOLS}:{line}: {field}: ") for p in problems) == 1, line
    assert len(read_jsonl(tmp_path / "ok.jsonl")) == 7
    assert [r["line"] for r in read_jsonl(tmp_path / "bad.jsonl")] == list(BROKEN)


def test_error_lines_say_what_and_how_to_fix(run_cli):
    _, _, err = run_cli("validate", TOOLS)
    assert (f"{TOOLS}:12: messages[1].tool_calls[0].function.arguments: 'ABC123' does not match "
            "'^[0-9]{10,12}$' at ['takip_no']: the arguments do not match the parameters of 'kargo_takip'; fix "
            "them or the schema") in err
    assert (f"{TOOLS}:8: messages[1].tool_calls[0].id: call 'call_e1' is not answered before the next user turn "
            "(messages[2]): add a tool message with its result, or remove the call") in err


@pytest.mark.parametrize("record, field, kind", [
    # a tool result before the call it answers
    ({"messages": [{"role": "user", "content": "a"}, {"role": "tool", "tool_call_id": "c1", "content": "r"},
                   {"role": "assistant", "content": "", "tool_calls": [
                       {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {}}}]},
                   {"role": "assistant", "content": "b"}]}, None, None),
    # a second answer to one call
    ({"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "r"}, {"role": "tool", "tool_call_id": "c1", "content": "r"},
        {"role": "assistant", "content": "b"}]}, "messages[3].tool_call_id", "unmatched_tool_result"),
    # arguments that are JSON but not an object
    ({"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "[1, 2]"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "r"}, {"role": "assistant", "content": "b"}]},
     "messages[1].tool_calls[0].function.arguments", "bad_arguments"),
    # a user message without content
    ({"messages": [{"role": "user"}, {"role": "assistant", "content": "b"}]}, "messages[0].content",
     "missing_field"),
])
def test_more_rules(run_cli, tmp_path, record, field, kind):
    path = write_lines(tmp_path / "in.jsonl", [record])
    code, out, err = run_cli("validate", path, "--json")
    assert code == 1
    kinds = json.loads(out)["errors_by_kind"]
    if field is None:  # the result before its call: it answers no open call, and the call stays unanswered
        assert kinds == {"unmatched_tool_result": 1, "unanswered_call": 1}
        return
    assert kinds == {kind: 1}
    assert f"in.jsonl:1: {field}: " in err


def test_lf_sharegpt_to_chat_and_back_is_exact(run_cli, tmp_path):
    code, _, err = run_cli("convert", LF, "--to", "chat", "-o", tmp_path / "chat.jsonl")
    assert code == 0, err
    chat = read_jsonl(tmp_path / "chat.jsonl")
    first = chat[0]["messages"]
    assert [m["role"] for m in first] == ["user", "assistant", "tool", "assistant"]
    assert first[1]["tool_calls"] == [{"id": "call_1_0", "type": "function",
                                       "function": {"name": "doviz_kuru", "arguments": {"para_birimi": "USD"}}}]
    assert first[2] == {"role": "tool", "content": '{"alis": 34.12, "satis": 34.25}', "tool_call_id": "call_1_0"}
    assert chat[0]["tools"][0]["name"] == "doviz_kuru"
    parallel = chat[1]["messages"]  # one observation, two results: two tool messages
    assert [(m["role"], m.get("tool_call_id")) for m in parallel[2:5]] == [
        ("assistant", None), ("tool", "call_2_0"), ("tool", "call_2_1")]
    code, _, err = run_cli("convert", tmp_path / "chat.jsonl", "--to", "sharegpt", "-o", tmp_path / "back.jsonl")
    assert code == 0, err
    assert read_jsonl(tmp_path / "back.jsonl") == json.load(open(LF, encoding="utf-8"))


def test_a_real_llama_factory_record_validates_and_round_trips(run_cli, tmp_path):
    src = "tests/formats/data/lf_glaive_toolcall_demo.json"
    code, _, err = run_cli("convert", src, "--to", "chat", "-o", tmp_path / "chat.jsonl")
    assert code == 0, err
    msgs = read_jsonl(tmp_path / "chat.jsonl")[0]["messages"]
    assert [(m["role"], m.get("tool_call_id")) for m in msgs[:4]] == [
        ("user", None), ("assistant", None), ("tool", "call_1_0"), ("assistant", None)]
    assert msgs[5]["tool_calls"][0] == {"id": "call_5_0", "type": "function", "function": {
        "name": "calculate_area", "arguments": {"shape": "circle", "dimensions": [4]}}}
    code, _, err = run_cli("convert", tmp_path / "chat.jsonl", "--to", "sharegpt", "-o", tmp_path / "back.jsonl")
    assert code == 0, err
    assert read_jsonl(tmp_path / "back.jsonl") == json.load(open(src, encoding="utf-8"))


# TRL's documented tool-calling example (docs/source/dataset_formats.md, Apache-2.0), verbatim; the `tools`
# column is what transformers' get_json_schema gives for its `control_light(room: str, state: str)`.
TRL_EXAMPLE = {"messages": [
    {"role": "user", "content": "Turn on the living room lights."},
    {"role": "assistant", "tool_calls": [
        {"type": "function", "function": {
            "name": "control_light",
            "arguments": {"room": "living room", "state": "on"}
        }}]
     },
    {"role": "tool", "name": "control_light", "content": "The lights in the living room are now on."},
    {"role": "assistant", "content": "Done!"}
], "tools": [{"type": "function", "function": {
    "name": "control_light", "description": "Controls the lights in a room.",
    "parameters": {"type": "object", "properties": {"room": {"type": "string", "description": "The name of the room."},
                                                    "state": {"type": "string", "description": "The state: on or off"}},
                   "required": ["room", "state"]}}}]}


def test_trls_documented_example_validates_and_round_trips(run_cli, tmp_path):
    src = write_lines(tmp_path / "trl.jsonl", [TRL_EXAMPLE])
    assert run_cli("validate", src)[0] == 0
    assert run_cli("convert", src, "--to", "sharegpt", "-o", tmp_path / "s.jsonl")[0] == 0
    turns = read_jsonl(tmp_path / "s.jsonl")[0]["conversations"]
    assert [t["from"] for t in turns] == ["human", "function_call", "observation", "gpt"]
    assert json.loads(turns[1]["value"]) == {"name": "control_light",
                                             "arguments": {"room": "living room", "state": "on"}}
    assert run_cli("convert", tmp_path / "s.jsonl", "--to", "chat", "-o", tmp_path / "back.jsonl")[0] == 0
    assert read_jsonl(tmp_path / "back.jsonl") == [TRL_EXAMPLE]


def test_openai_and_trl_chat_to_sharegpt_and_back_is_exact(run_cli, tmp_path):
    lines = TOOLS.read_text(encoding="utf-8").splitlines()
    valid = [json.loads(line) for line in lines[:5] + lines[6:7]]  # line 6 has text next to its call: below
    src = write_lines(tmp_path / "chat.jsonl", valid)
    for target in ("sharegpt", "prompt-completion"):
        code, _, err = run_cli("convert", src, "--to", target, "-o", tmp_path / f"{target}.jsonl")
        assert code == 0, err
        code, _, err = run_cli("convert", tmp_path / f"{target}.jsonl", "--to", "chat", "-o", tmp_path / "back.jsonl")
        assert code == 0, err
        back = read_jsonl(tmp_path / "back.jsonl")
        if target == "prompt-completion":  # message-list prompts say so in meta, as for any conversational record
            assert all(r.pop("meta") == {"fields": {"conversational": True}} for r in back)
        assert back == valid, target
    lf = read_jsonl(tmp_path / "sharegpt.jsonl")
    assert [t["from"] for t in lf[4]["conversations"]] == ["human", "function_call", "observation", "gpt"]
    assert json.loads(lf[4]["conversations"][1]["value"]) == [
        {"name": "doviz_kuru", "arguments": {"para_birimi": "USD"}},
        {"name": "doviz_kuru", "arguments": {"para_birimi": "EUR"}}]


def test_parallel_results_come_back_byte_for_byte(run_cli, tmp_path):
    calls = [{"id": f"c{k}", "type": "function", "function": {"name": "f", "arguments": {}}} for k in range(3)]
    results = [' 0', '{"a":1}', '{"a": 1}']  # JSON-looking texts a fresh json.dumps would spell differently
    rec = {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "", "tool_calls": calls},
                        *({"role": "tool", "tool_call_id": f"c{k}", "content": r} for k, r in enumerate(results)),
                        {"role": "assistant", "content": "b"}]}
    src = write_lines(tmp_path / "chat.jsonl", [rec])
    assert run_cli("convert", src, "--to", "sharegpt", "-o", tmp_path / "s.jsonl")[0] == 0
    observation = read_jsonl(tmp_path / "s.jsonl")[0]["conversations"][2]
    assert json.loads(observation["value"]) == [" 0", '{"a":1}', {"a": 1}]
    assert run_cli("convert", tmp_path / "s.jsonl", "--to", "chat", "-o", tmp_path / "back.jsonl")[0] == 0
    assert read_jsonl(tmp_path / "back.jsonl") == [rec]


def test_content_next_to_calls_cannot_go_to_sharegpt(run_cli, tmp_path):
    """LLaMA-Factory's function_call turn has no text: 'Hemen bakıyorum.' would be lost, so it is refused."""
    line = TOOLS.read_text(encoding="utf-8").splitlines()[5]
    src = write_lines(tmp_path / "chat.jsonl", [line + "\n"])
    code, _, err = run_cli("convert", src, "--to", "sharegpt", "-o", tmp_path / "out.jsonl")
    assert code == 1
    assert "chat.jsonl:1: record: converting to sharegpt would lose data (content changed)" in err


@pytest.mark.parametrize("target", ["alpaca", "parquet"])
def test_targets_without_tool_calls_refuse_by_name(run_cli, tmp_path, target):
    code, _, err = run_cli("convert", TOOLS, "--to", target, "-o", tmp_path / "out", "--lossy")
    assert code == 1
    assert f"{TOOLS}:1: record: " in err and "cannot hold tool calls or tool definitions" in err


def test_bad_function_call_json_in_sharegpt(run_cli, tmp_path):
    rec = {"conversations": [{"from": "human", "value": "a"}, {"from": "function_call", "value": "{name: f}"},
                             {"from": "observation", "value": "r"}, {"from": "gpt", "value": "b"}]}
    code, out, err = run_cli("validate", write_lines(tmp_path / "in.jsonl", [rec]), "--json")
    assert code == 1
    assert json.loads(out)["errors_by_kind"] == {"bad_tool_json": 1}
    assert "in.jsonl:1: conversations[1].value: the function_call value is not valid JSON" in err


LF_TOOLS = json.dumps([{"name": "doviz_kuru", "parameters": {"type": "object", "properties": {
    "para_birimi": {"type": "string"}}, "required": ["para_birimi"]}}])


@pytest.mark.parametrize("turns, field, kind", [
    ([("function_call", '{"name": "doviz_kuru", "arguments": {"para_birimi": 5}}'), ("observation", "r"),
      ("gpt", "b")], "conversations[1].value.arguments", "arguments_schema"),
    ([("function_call", '{"name": "altin_fiyati", "arguments": {}}'), ("observation", "r"), ("gpt", "b")],
     "conversations[1].value.name", "undeclared_function"),
    ([("function_call", '{"name": "doviz_kuru", "arguments": {"para_birimi": "USD"}}'), ("gpt", "b")],
     "conversations[1].value", "unanswered_call"),
    ([("observation", "r"), ("gpt", "b")], "conversations[1].from", "unmatched_tool_result"),
    ([("function_call", '[{"name": "doviz_kuru", "arguments": {"para_birimi": "USD"}}, '
                        '{"name": "doviz_kuru", "arguments": {}}]'), ("observation", '["r1", "r2"]'), ("gpt", "b")],
     "conversations[1].value[1].arguments", "arguments_schema"),
])
def test_sharegpt_tool_errors_name_the_turn(run_cli, tmp_path, turns, field, kind):
    rec = {"conversations": [{"from": "human", "value": "a"}, *({"from": f, "value": v} for f, v in turns)],
           "tools": LF_TOOLS}
    code, out, err = run_cli("validate", write_lines(tmp_path / "in.jsonl", [rec]), "--json")
    assert code == 1
    assert json.loads(out)["errors_by_kind"] == {kind: 1}
    assert f"in.jsonl:1: {field}: " in err


# --- hypothesis: random valid tool-calling conversations survive chat -> sharegpt -> chat and chat -> pc -> chat

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12) \
    .filter(lambda s: s.strip())
NAME = st.sampled_from(["havale_eft", "doviz_kuru", "randevu_al", "kargo_takip"])
ARGS = st.dictionaries(st.sampled_from(["iban", "tutar", "tarih", "not"]),
                       st.one_of(TEXT, st.integers(-10**6, 10**6), st.booleans(), st.none()), max_size=3)


def definitions(shape: str) -> list[dict]:
    """The four functions, with open parameter schemas (any arguments fit), in OpenAI's or LLaMA-Factory's shape."""
    defs = [{"name": n, "description": "açıklama", "parameters": {"type": "object"}}
            for n in ("havale_eft", "doviz_kuru", "randevu_al", "kargo_takip")]
    return defs if shape == "bare" else [{"type": "function", "function": d} for d in defs]


@st.composite
def conversations(draw):
    msgs = []
    n = 0
    with_ids = draw(st.booleans())  # OpenAI's ids, or TRL's shape: no ids, results name the function
    for _ in range(draw(st.integers(1, 3))):
        msgs.append({"role": "user", "content": draw(TEXT)})
        for _ in range(draw(st.integers(0, 2))):  # rounds of calls before the answer
            k = draw(st.integers(1, 3))
            calls = []
            for _ in range(k):
                args = draw(ARGS)
                as_text = draw(st.booleans())
                call = {"type": "function", "function": {
                    "name": draw(NAME), "arguments": json.dumps(args, ensure_ascii=False) if as_text else args}}
                calls.append({"id": f"c{n}", **call} if with_ids else call)
                n += 1
            msgs.append({"role": "assistant", "content": draw(st.sampled_from(["", None])), "tool_calls": calls})
            for c in calls:
                answer = {"tool_call_id": c["id"]} if with_ids else {"name": c["function"]["name"]}
                msgs.append({"role": "tool", **answer, "content": draw(TEXT)})
        msgs.append({"role": "assistant", "content": draw(TEXT)})
    out = {"messages": msgs}
    shape = draw(st.sampled_from(["none", "bare", "openai"]))
    if shape != "none":
        out["tools"] = definitions(shape)
    return out


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(records=st.lists(conversations(), min_size=1, max_size=3))
def test_tool_fields_round_trip(tmp_path, records):
    from dataforge.formats.registry import FORMATS
    from dataforge.parse import parse_record

    for rec in records:
        parsed, problems = parse_record(rec, "chat")
        assert problems == []
        for target in ("sharegpt", "prompt-completion"):
            obj = json.loads(json.dumps(FORMATS[target].from_record(parsed)))
            back, problems = parse_record(obj, target)
            assert problems == []
            out = FORMATS["chat"].from_record(back)
            if target == "prompt-completion" and "meta" in out:
                assert out.pop("meta") == {"fields": {"conversational": True}}
            assert out == rec
