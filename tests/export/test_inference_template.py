"""The template written into the merged tokenizer and the GGUF: the trained one without generation tags, rendering
exactly what the model's inference template renders."""

from pathlib import Path

import pytest

from dataforge.export.inference_template import has_generation_markers, inference_template, renders_bos
from dataforge.export.ollama import CHECKS
from dataforge.train.chat_template import CHATML

pytest.importorskip("trl")


def _trl(name: str) -> str:
    import trl

    return (Path(trl.__file__).parent / "chat_templates" / f"{name}.jinja").read_text(encoding="utf-8")


def _render(template: str, messages: list[dict], gen: bool) -> str:
    from transformers.utils.chat_template_utils import render_jinja_template

    rendered, _ = render_jinja_template(conversations=[messages], chat_template=template, add_generation_prompt=gen,
                                        bos_token="<|begin_of_text|>", eos_token="<|eot_id|>")
    return rendered[0]


@pytest.mark.parametrize("training, original", [("llama3_training", "llama3"), ("qwen2_5_training", "qwen2_5"),
                                                ("gemma3_training", "gemma3")])
def test_trl_training_variants_lose_their_tags_and_render_like_the_originals(training, original):
    stripped = inference_template(_trl(training))
    assert has_generation_markers(_trl(training)) and not has_generation_markers(stripped)
    convs = CHECKS if original != "gemma3" else [c for c in CHECKS if c[0]["role"] != "system"] + [CHECKS[1]]
    for conv in convs:
        conv = conv + [{"role": "assistant", "content": "Tamam."}]
        for gen in (False, True):
            assert _render(stripped, conv, gen) == _render(_trl(original), conv, gen)


def test_qwen3_training_variant_is_not_its_inference_template():
    """TRL's Qwen3 training variant writes a <think> block into every earlier answer (to stay prefix-stable), the
    original drops them from the history: so export takes the base tokenizer's own template for TRL variants."""
    conv = CHECKS[2] + [{"role": "assistant", "content": "Tamam."}]
    stripped, original = _render(inference_template(_trl("qwen3_training")), conv, False), _render(_trl("qwen3"), conv,
                                                                                                  False)
    assert "Merhaba, buyrun." in original and "<think>\n\n</think>\n\nMerhaba, buyrun." in stripped
    assert "<think>\n\n</think>\n\nMerhaba, buyrun." not in original


def test_builtin_chatml_and_bos():
    stripped = inference_template(CHATML)
    assert not has_generation_markers(stripped)
    conv = CHECKS[2] + [{"role": "assistant", "content": "İyiyim."}]
    assert _render(stripped, conv, False) == _render(CHATML, conv, False)
    assert not renders_bos(stripped) and renders_bos(_trl("llama3_1")) and renders_bos(_trl("gemma"))
    assert inference_template(None) is None
