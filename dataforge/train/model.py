"""Base model, tokenizer and PEFT config for a recipe. Heavy imports stay inside the functions."""

from __future__ import annotations

import os

from dataforge.errors import UsageError
from dataforge.run.config import Recipe


def device_map():
    """Where the base weights go: one GPU per process (DDP), none under FSDP (it shards them), else CPU."""
    import torch

    if os.environ.get("ACCELERATE_USE_FSDP", "false").lower() == "true":
        return None
    if torch.cuda.is_available():
        return {"": int(os.environ.get("LOCAL_RANK", 0))}
    return {"": "cpu"}


def module_names(path: str, trust_remote_code: bool = False) -> list[str]:
    """Names of the model's linear layers, from its config alone: the model is built on the meta device, so no
    weight is read or allocated."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(path, trust_remote_code=trust_remote_code)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, trust_remote_code=trust_remote_code)
    return [name for name, mod in model.named_modules() if isinstance(mod, torch.nn.Linear)]


def check_target_modules(recipe: Recipe, path: str) -> None:
    """Every lora/ia3 target names a linear layer of this model (PEFT matches by name suffix), checked before
    any weight is loaded; UsageError with the model's own names otherwise."""
    if recipe.method in ("qlora", "lora", "dora"):
        key, targets = "lora.target_modules", recipe.lora.target_modules
    elif recipe.method == "ia3":
        key, targets = "ia3.target_modules", recipe.ia3.target_modules
    else:
        return
    if targets in (["all-linear"], "all-linear"):
        return
    names = module_names(path, recipe.model.trust_remote_code)
    missing = [t for t in targets if not any(n == t or n.endswith("." + t) for n in names)]
    if missing:
        known = sorted({n.rsplit(".", 1)[-1] for n in names} - {"lm_head"})
        raise UsageError(f"{key}: {', '.join(missing)}: no such module in {path}; its linear layers are: "
                         f"{', '.join(known)}")


def model_class(path: str, trust_remote_code: bool = False):
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING

    config = AutoConfig.from_pretrained(path, trust_remote_code=trust_remote_code)
    return MODEL_FOR_CAUSAL_LM_MAPPING.get(type(config), None)


def attention_choices(cls, on_gpu: bool, flash_installed: bool) -> list[str]:
    """Backends this model class can run here, best first. An unknown class (remote code) gets sdpa and eager:
    transformers itself then says whether sdpa works."""
    out = []
    if cls is None or getattr(cls, "_supports_flash_attn", False):
        if on_gpu and flash_installed:
            out.append("flash_attention_2")
    if cls is None or getattr(cls, "_supports_sdpa", False):
        out.append("sdpa")
    return [*out, "eager"]


def resolve_attention(recipe: Recipe, path: str) -> str:
    """model.attn_implementation, with auto resolved: flash_attention_2 when installed on a GPU, else sdpa, else
    eager (Gemma-2 has no sdpa path). A requested backend the model cannot use here is a UsageError naming the
    ones it can."""
    import importlib.util

    import torch

    cls = model_class(path, recipe.model.trust_remote_code)
    choices = attention_choices(cls, torch.cuda.is_available(), importlib.util.find_spec("flash_attn") is not None)
    wanted = recipe.model.attn_implementation
    if wanted == "auto":
        return choices[0]
    if wanted not in choices:
        name = cls.__name__ if cls is not None else path
        raise UsageError(f"model.attn_implementation: {wanted}: {name} cannot use it here (flash_attention_2 "
                         "needs the flash-attn package and a GPU): choose one of auto, " + ", ".join(choices))
    return wanted


def bnb_config(recipe: Recipe):
    import torch
    from transformers import BitsAndBytesConfig

    q = recipe.quant
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type=q.quant_type,
                              bnb_4bit_use_double_quant=q.double_quant,
                              bnb_4bit_compute_dtype=getattr(torch, q.compute_dtype),
                              bnb_4bit_quant_storage=getattr(torch, q.quant_storage))


def load_model(recipe: Recipe, path: str, attn_implementation: str):
    import torch
    from transformers import AutoModelForCausalLM

    kwargs = dict(dtype=getattr(torch, recipe.model.dtype), attn_implementation=attn_implementation,
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


def records_isolated(model, atol: float = 2e-2) -> bool:
    """Does this model, with the attention backend it was loaded with, keep packed records apart?

    Two short records are run alone and then concatenated with position_ids restarting at 0 and no attention mask,
    as TRL's padding-free collator gives them. Where the backend builds a per-record mask from position_ids
    (flash_attention_2 via cu_seqlens; sdpa and eager through transformers' masking_utils, which finds the record
    boundaries from the position_ids) the second record's logits equal its logits alone; where it does not, they
    differ because the second record attends to the first. Two forward passes of 8 and 14 tokens. The tolerance
    (2% of the largest logit) is above bf16 rounding between a packed and a lone pass and far below a leak: the
    tiny test model's logits move by up to 15 when the second record sees the first."""
    import torch

    device = next(model.parameters()).device
    vocab = model.get_input_embeddings().weight.shape[0]
    a = torch.arange(3, 9, device=device) % vocab
    b = torch.arange(20, 28, device=device) % vocab
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            # use_cache=False as TRL's compute_loss passes it: with a KV cache transformers builds no per-record mask
            alone = model(input_ids=b[None], use_cache=False).logits[0].float()
            packed = model(input_ids=torch.cat([a, b])[None], use_cache=False,
                           position_ids=torch.cat([torch.arange(len(a)), torch.arange(len(b))]).to(device)[None]
                           ).logits[0, len(a):].float()
    finally:
        model.train(was_training)
    scale = alone.abs().max().clamp(min=1.0)
    return bool(((packed - alone).abs().max() / scale) < atol)


def packing_isolation(recipe: Recipe, model, attn_implementation: str, say=None) -> bool | None:
    """train.packing against the backend: padding_free refuses one that lets records see each other (a config
    error), bfd trains but warns. None when nothing is packed."""
    mode = recipe.train.packing
    if mode == "none":
        return None
    isolated = records_isolated(model)
    if isolated:
        return True
    if mode == "padding_free":
        raise UsageError(f"train.packing=padding_free: with model.attn_implementation={attn_implementation} this "
                         "model lets a record attend to the one before it in a padding-free batch (checked on the "
                         "loaded model): use model.attn_implementation=flash_attention_2 (GPU, flash-attn "
                         "installed), or train.packing=none")
    if say is not None:
        say(f"WARNING: train.packing=bfd with model.attn_implementation={attn_implementation}: packed records can "
            "attend to each other with this backend (checked on the loaded model), so each record's loss depends on "
            "its neighbours; use flash_attention_2, or train.packing=none")
    return False
