"""Tool calling in training: tool definitions go to the template (`tools=`), the assistant's call tokens carry
loss, tool results and definitions do not; with the built-in ChatML (checked against its own generation markers),
with Qwen2.5's real template and vocabulary, and a template without tool support is refused before any weights."""

from __future__ import annotations

import json

import pytest

from dataforge.errors import UsageError
from dataforge.parse import parse_record
from dataforge.run.chat_format import probe, template_messages, template_tools
from dataforge.run.end_of_turn import end_of_turn_ids
from dataforge.train.assistant_mask import ChatFormat
from dataforge.train.labels import check_labels, render_labels
from dataforge.train.recipe import check_tool_support
from tests.train.conftest import SAMPLE

TOOLS = SAMPLE / "tools_tr.jsonl"
OLD_CHATML = (  # the built-in template before tool support: it drops calls and definitions silently
    "{%- for message in messages -%}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
    "'<|im_end|>\\n' }}{%- endfor -%}{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\\n' }}{%- endif -%}")


def records(*lines: int):
    text = TOOLS.read_text(encoding="utf-8").splitlines()
    out = []
    for n in lines:
        rec, problems = parse_record(json.loads(text[n - 1]), "chat")
        assert problems == []
        rec.source, rec.line = str(TOOLS), n
        out.append(rec)
    return out


def fmt_of(tok):
    return ChatFormat(tok, end_of_turn_ids(tok, None), probe(tok))


def test_builtin_chatml_renders_tools_and_trains_only_the_calls_and_answers(tok):
    fmt = fmt_of(tok)
    assert fmt.quirks.tools
    rec = records(1)[0]
    shown = render_labels(fmt, rec, 2048)
    # definitions in the system turn, no loss
    assert '<tools>\n{"type": "function", "function": {"name": "havale_eft"' in shown
    assert "⟦" not in shown.split("<|im_start|>user")[0]
    # the call is trained (the model learns to call) with its end-of-turn token
    assert ('<|im_start|>assistant\n⟦<tool_call>\n{"name": "doviz_kuru", "arguments": {"para_birimi": "USD"}}\n'
            "</tool_call><|im_end|>⟧") in shown
    # the tool's result is not (the model must not learn to invent results)
    assert '<|im_start|>tool\n{"alis": 34.12, "satis": 34.25}<|im_end|>' in shown
    assert "⟦Dolar bugün 34,12 TL'den alınıyor, 34,25 TL'den satılıyor.<|im_end|>⟧" in shown


def test_builtin_mask_equals_its_generation_markers_on_tool_records(tok):
    """The prefix-rendered mask and the template's own {% generation %} markers agree on every valid record."""
    fmt = fmt_of(tok)
    for rec in records(1, 2, 3, 4, 5, 6, 7):
        ids, mask = fmt.encode(rec)
        marked = tok.apply_chat_template(template_messages(rec), tools=template_tools(rec), tokenize=True,
                                         return_dict=True, return_assistant_tokens_mask=True)
        assert ids == list(marked["input_ids"])
        assert mask == list(marked["assistant_masks"]), rec.line
    report = check_labels(records(1, 2, 3, 4, 5, 6, 7), fmt, 2048)
    assert (report.records, report.tool_records, report.problems) == (7, 6, [])
    assert report.summary(2048).endswith("; 6 with tool calls (calls trained, tool results not)")


def test_records_without_tools_render_as_before(tok):
    plain = [{"role": "user", "content": "Merhaba"}, {"role": "assistant", "content": "Merhaba!"}]
    assert tok.apply_chat_template(plain, tokenize=False) == (
        "<|im_start|>user\nMerhaba<|im_end|>\n<|im_start|>assistant\nMerhaba!<|im_end|>\n")


def test_a_template_without_tool_support_is_refused_before_weights(tok):
    tok.chat_template = OLD_CHATML
    fmt = fmt_of(tok)
    assert not fmt.quirks.tools
    check_tool_support(fmt, "tokenizer", [])  # no tool record: nothing to say
    with pytest.raises(UsageError) as err:
        check_tool_support(fmt, "tokenizer", records(1, 2))
    lines = err.value.lines()
    assert lines[0].startswith("the chat template (tokenizer) cannot render tool calls") and "2 record(s)" in lines[0]
    assert "set chat.template=chatml chat.force=true" in lines[0]
    assert lines[1] == f"{TOOLS}:1: messages: first record with tool calls"


@pytest.mark.slow  # the 152k-token Qwen vocabulary takes ~15 s to convert
def test_qwen25_real_template_masks_calls_not_results(family_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(family_dir("qwen2.5"))
    fmt = fmt_of(tok)
    assert fmt.quirks.tools
    rec = records(5)[0]  # two parallel calls, two results
    shown = render_labels(fmt, rec, 4096)
    assert "<tools>" in shown and '"name": "kargo_takip"' in shown
    assert ('⟦<tool_call>\n{"name": "doviz_kuru", "arguments": {"para_birimi": "USD"}}\n</tool_call>\n'
            '<tool_call>\n{"name": "doviz_kuru", "arguments": {"para_birimi": "EUR"}}\n</tool_call>'
            "<|im_end|>⟧") in shown
    # Qwen2.5 renders results as <tool_response> inside a user turn: no loss
    assert '<tool_response>\n{"alis": 34.12, "satis": 34.25}\n</tool_response>' in shown
    assert "⟦<tool_response>" not in shown and "34.12, \"satis\": 34.25}⟧" not in shown
    report = check_labels(records(1, 2, 3, 4, 5, 6, 7), fmt, 4096)
    assert report.problems == []


@pytest.mark.slow  # the 128k-token Llama-3 vocabulary takes ~15 s to convert
def test_llama31_real_template_masks_calls_not_results(family_dir):
    """Llama-3.1's template puts the definitions into the first user turn, writes a call as
    {"name", "parameters"} JSON and the result as an `ipython` turn; it takes one call per turn (no parallel)."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(family_dir("llama3.1"))
    fmt = fmt_of(tok)
    assert fmt.quirks.tools
    shown = render_labels(fmt, records(1)[0], 8192)
    assert ('<|start_header_id|>assistant<|end_header_id|>\n\n⟦{"name": "doviz_kuru", "parameters": '
            '{"para_birimi": "USD"}}<|eot_id|>⟧<|start_header_id|>ipython<|end_header_id|>') in shown
    assert "⟦Dolar bugün 34,12 TL'den alınıyor, 34,25 TL'den satılıyor.<|eot_id|>⟧" in shown
    assert '"name": "havale_eft"' in shown.split("<|start_header_id|>assistant")[0]  # in the user turn, no loss
    assert "⟦" not in shown.split("<|start_header_id|>assistant")[0]
    report = check_labels(records(1, 2, 3, 4, 6, 7), fmt, 8192)
    assert report.problems == [] and report.records == 6


@pytest.mark.slow
def test_a_tiny_model_trains_on_tool_data(tiny_model, tmp_path):
    """train -> the label check passes on tool records, loss is computed only where the mask says, and the run
    finishes; the dataset handed to TRL is the checked mask (call tokens 1, results 0)."""
    from dataforge.train.recipe import train
    from dataforge.train.recipes import load_recipe

    data = tmp_path / "tools.jsonl"
    data.write_text("\n".join(TOOLS.read_text(encoding="utf-8").splitlines()[:7]) + "\n", encoding="utf-8")
    run = tmp_path / "run"
    said: list[str] = []
    recipe, path = load_recipe("tiny-cpu", [f"model.name={tiny_model}", f"output_dir={run}", f"data.train={data}",
                                            "data.val_fraction=0", "train.report_to=none", "train.show_labels=1",
                                            # the tiny BPE splits JSON finely: the tools block alone is ~1000 tokens
                                            "train.batch_size=2", "train.max_length=2048", "train.max_steps=4",
                                            "train.logging_steps=1", "chat.template=chatml", "chat.force=true"])
    train(recipe, path, skip_gate=True, say=said.append, quiet=True)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "completed" and manifest["label_check"]["records"] == 7
    shown = next(s for s in said if "⟦" in s)  # --show-labels of the first record, as the trainer gets it
    assert "⟦<tool_call>" in shown and '<|im_start|>tool\n{"alis": 34.12, "satis": 34.25}<|im_end|>' in shown
    assert any("6 with tool calls (calls trained, tool results not)" in s for s in said)
    history = json.loads((run / "metrics.json").read_text())["log_history"]
    assert len([r for r in history if "loss" in r]) == 4


def test_evaluate_prompts_a_tool_record_as_training_rendered_it(tok):
    """evaluate's generation prompt keeps the call, its result and the definitions: its ids are the trained ids up
    to the last answer, so the model is asked what it learnt to answer."""
    from dataforge.evaluate.examples import from_record
    from dataforge.evaluate.generation import prompt_as_trained

    rec = records(1)[0]
    fmt = fmt_of(tok)
    prompt, tools = prompt_as_trained(fmt, from_record(rec, "tools_tr.jsonl:1"))
    assert [m["role"] for m in prompt] == ["user", "assistant", "tool"]
    assert prompt[1]["tool_calls"][0]["function"]["name"] == "doviz_kuru" and tools == template_tools(rec)
    asked = tok.apply_chat_template(prompt, tools=tools, add_generation_prompt=True, tokenize=True,
                                    return_dict=True)["input_ids"]
    trained, mask = fmt.encode(rec)
    assert trained[:len(asked)] == list(asked) and not any(mask[:len(asked)][-3:])
    assert sum(mask[len(asked):]) > 0  # the answer after the prompt is what carries loss
