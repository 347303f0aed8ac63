"""Base model, tokenizer and PEFT config for a recipe. Heavy imports stay inside the functions."""

from __future__ import annotations

import os

from dataforge.errors import UsageError
from dataforge.train.config import Recipe


def device_map():
    """Where the base weights go: one GPU per process (DDP), none under FSDP (it shards them), else CPU."""
    import torch

    if os.environ.get("ACCELERATE_USE_FSDP", "false").lower() == "true":
        return None
    if torch.cuda.is_available():
        return {"": int(os.environ.get("LOCAL_RANK", 0))}
    return {"": "cpu"}


def load_tokenizer(path: str, trust_remote_code: bool):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
    except OSError as exc:
        raise UsageError(f"model.tokenizer / model.name: cannot load a tokenizer from {path!r}: {exc}") from exc


def bnb_config(recipe: Recipe):
    import torch
    from transformers import BitsAndBytesConfig

    q = recipe.quant
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type=q.quant_type,
                              bnb_4bit_use_double_quant=q.double_quant,
                              bnb_4bit_compute_dtype=getattr(torch, q.compute_dtype),
                              bnb_4bit_quant_storage=getattr(torch, q.quant_storage))


def load_model(recipe: Recipe, path: str):
    import torch
    from transformers import AutoModelForCausalLM

    kwargs = dict(dtype=getattr(torch, recipe.model.dtype), attn_implementation=recipe.model.attn_implementation,
                  trust_remote_code=recipe.model.trust_remote_code, device_map=device_map())
    if recipe.method == "qlora":
        kwargs["quantization_config"] = bnb_config(recipe)
    try:
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    except OSError as exc:
        raise UsageError(f"model.name: cannot load {path!r}: {exc}") from exc
    # No peft.prepare_model_for_kbit_training: it casts embeddings and LM head to fp32, which for a 128k vocabulary
    # adds ~2 GB at 8B. Llama's RMSNorm already computes in fp32, and non-reentrant checkpointing needs no input grads.
    model.config.use_cache = False  # the KV cache is for generation; in training it only costs memory
    return model


def peft_config(recipe: Recipe, tokenizer_path: str):
    """The PEFT config for recipe.method (SFTTrainer wraps the model with it)."""
    import peft

    m = recipe.method
    if m in ("qlora", "lora", "dora"):
        lo = recipe.lora
        return peft.LoraConfig(r=lo.r, lora_alpha=lo.alpha, lora_dropout=lo.dropout, bias=lo.bias,
                               target_modules=lo.target_modules, use_dora=m == "dora", task_type="CAUSAL_LM")
    if m == "ia3":
        return peft.IA3Config(target_modules=recipe.ia3.target_modules,
                              feedforward_modules=recipe.ia3.feedforward_modules, task_type="CAUSAL_LM")
    p = recipe.prompt
    if m == "prompt-tuning":
        if p.init_text:
            return peft.PromptTuningConfig(num_virtual_tokens=p.num_virtual_tokens, task_type="CAUSAL_LM",
                                           prompt_tuning_init=peft.PromptTuningInit.TEXT,
                                           prompt_tuning_init_text=p.init_text, tokenizer_name_or_path=tokenizer_path)
        return peft.PromptTuningConfig(num_virtual_tokens=p.num_virtual_tokens, task_type="CAUSAL_LM")
    if m == "prefix-tuning":
        return peft.PrefixTuningConfig(num_virtual_tokens=p.num_virtual_tokens, task_type="CAUSAL_LM")
    if m == "p-tuning":
        return peft.PromptEncoderConfig(num_virtual_tokens=p.num_virtual_tokens, task_type="CAUSAL_LM",
                                        encoder_hidden_size=p.encoder_hidden_size)
    raise UsageError(f"method: unknown PEFT method {m!r}")
