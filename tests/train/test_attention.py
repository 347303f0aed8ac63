"""model.attn_implementation: auto picks what the model and the machine support; a backend the model cannot use
is a config error naming the choices."""

from __future__ import annotations

import pytest

from dataforge.errors import UsageError
from dataforge.run.config import Recipe


def test_choices_follow_the_model_class_and_the_machine():
    from transformers import Gemma2ForCausalLM, LlamaForCausalLM

    from dataforge.train.model import attention_choices

    assert attention_choices(Gemma2ForCausalLM, on_gpu=False, flash_installed=False) == ["eager"]
    assert attention_choices(Gemma2ForCausalLM, on_gpu=True, flash_installed=True) == ["flash_attention_2", "eager"]
    assert attention_choices(LlamaForCausalLM, on_gpu=False, flash_installed=True) == ["sdpa", "eager"]
    assert attention_choices(LlamaForCausalLM, on_gpu=True, flash_installed=True) == \
        ["flash_attention_2", "sdpa", "eager"]


def test_auto_is_eager_for_gemma2_and_sdpa_is_refused_naming_the_choices(family_dir):
    from dataforge.train.model import resolve_attention

    path = str(family_dir("gemma2"))
    assert Recipe(method="lora").model.attn_implementation == "auto"
    assert resolve_attention(Recipe(method="lora"), path) == "eager"
    with pytest.raises(UsageError, match=r"model.attn_implementation: sdpa: Gemma2ForCausalLM cannot use it here "
                                         r".*choose one of auto, eager"):
        resolve_attention(Recipe.model_validate({"method": "lora", "model": {"attn_implementation": "sdpa"}}), path)
