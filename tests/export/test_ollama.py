"""Modelfile TEMPLATE derived from the chat template, and stops that end generation (EOS + end of turn)."""

import pytest

from dataforge.errors import UsageError
from dataforge.export.ollama import assemble, derive_wrappers, go_template, stop_tokens, write_modelfile
from tests.evaluate import tiny

LLAMA3 = ("{{ bos_token }}{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\\n\\n' "
          "+ m['content'] | trim + '<|eot_id|>' }}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}")
MISTRAL = ("{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}"
           "{{ '[INST] ' + m['content'] + ' [/INST]' }}"
           "{% elif m['role'] == 'assistant' %}{{ m['content'] + eos_token }}{% else %}"
           "{{ raise_exception('only user and assistant roles are supported') }}{% endif %}{% endfor %}")


@pytest.fixture
def tok(tiny_root):
    from transformers import AutoTokenizer

    tiny.build_tokenizer(tiny_root / "base")
    return AutoTokenizer.from_pretrained(tiny_root / "base")  # a fresh copy: tests change its template


def test_chatml_wrappers_and_stops(tok, tmp_path):
    w = derive_wrappers(tok)
    assert w.user == ("<|im_start|>user\n", "<|im_end|>\n")
    assert w.assistant == ("<|im_start|>assistant\n", "<|im_end|>\n")
    assert w.system == ("<|im_start|>system\n", "<|im_end|>\n")
    assert stop_tokens(tok, w) == ["<|im_end|>", "<|im_start|>"]
    info = write_modelfile(tok, tmp_path / "model-q4_0.gguf", tmp_path / "Modelfile")
    text = (tmp_path / "Modelfile").read_text()
    assert "FROM ./model-q4_0.gguf" in text
    assert 'PARAMETER stop "<|im_end|>"' in text and 'PARAMETER stop "<|im_start|>"' in text
    assert '{{ if and $last (ne $m.Role "assistant") }}<|im_start|>assistant\n{{ end }}' in text
    # no whitespace trimming after a role suffix: its newline belongs to the prompt format
    assert "{{ $m.Content }}<|im_end|>\n{{ else if" in text and "\n{{-" not in text
    assert info["template"] is True


def test_llama3_style_template(tok):
    tok.chat_template = LLAMA3
    w = derive_wrappers(tok)
    assert w.user == ("<|start_header_id|>user<|end_header_id|>\n\n", "<|eot_id|>")
    assert w.assistant[0] == "<|start_header_id|>assistant<|end_header_id|>\n\n"
    assert "<|eot_id|>" in stop_tokens(tok, w)
    msgs = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]
    assert assemble(w, msgs) == tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    assert "<|eot_id|>" in go_template(w)


def test_mistral_inst_template_without_system_still_decomposes(tok):
    tok.chat_template = MISTRAL
    w = derive_wrappers(tok)  # system messages are rejected: the TEMPLATE folds them into the first user turn
    assert w.system is None and not w.system_supported and w.fold == "first"
    assert w.user == ("[INST] ", " [/INST]")
    assert w.assistant == ("", "<|im_end|>")  # the eos_token closes an assistant turn
    assert stop_tokens(tok, w)[0] == "<|im_end|>"


def test_template_that_does_not_decompose_falls_back_with_a_note(tok, tmp_path):
    tok.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}{% if messages|length > 2 %}!{% endif %}"
    with pytest.raises(UsageError):
        derive_wrappers(tok)
    info = write_modelfile(tok, tmp_path / "m.gguf", tmp_path / "Modelfile")
    assert info["template"] is False and "GGUF's chat template" in info["note"]
    assert 'PARAMETER stop "<|im_end|>"' in (tmp_path / "Modelfile").read_text()
