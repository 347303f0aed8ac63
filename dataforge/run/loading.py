"""The one model and tokenizer loader: train, evaluate, export and generate all load through here.

`check_model_source` answers "can model.name be loaded at all?" in milliseconds, so a typo fails before a run
directory, a gate or a tiny model is built.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from dataforge.errors import InputError, MissingDependency, UsageError


def require(module: str, extra: str):
    """Import an optional dependency, or raise MissingDependency naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependency(module, extra) from None


def require_torch():
    try:
        import peft  # noqa: F401
        import torch
        import transformers  # noqa: F401
    except ImportError as exc:
        raise MissingDependency(exc.name or "torch", "train") from None
    return torch


def check_model_source(name: str, key: str = "model.name") -> None:
    """A local path must be a model folder (config.json), a tokenizer folder or a GGUF (a .gguf file, a folder
    holding one, package:DIST); a hub id must be in the local cache when offline. UsageError naming `key`
    otherwise."""
    from dataforge.run.gguf_source import gguf_file

    if gguf_file(name, key) is not None:
        return
    path = Path(name)
    looks_local = path.is_absolute() or name.startswith((".", "~")) or path.exists()
    if looks_local:
        if not path.exists():
            raise UsageError(f"{key}: {name}: no such directory: give a local model folder (with config.json) "
                             "or a hub id")
        if path.is_dir() and not any((path / f).is_file() for f in ("config.json", "tokenizer_config.json")):
            raise UsageError(f"{key}: {name}: not a model folder (no config.json or tokenizer_config.json inside)")
        return
    import os

    if os.environ.get("HF_HUB_OFFLINE") in ("1", "true", "True"):
        try:
            from huggingface_hub import try_to_load_from_cache
        except ImportError:
            return
        if not isinstance(try_to_load_from_cache(name, "config.json"), str) and \
                not isinstance(try_to_load_from_cache(name, "tokenizer_config.json"), str):
            raise UsageError(f"{key}: {name}: not a local folder and not in the hub cache, and HF_HUB_OFFLINE=1: "
                             "download it first or give a local folder")


def resolve_model_source(name: str, key: str = "model.name", say=None) -> str:
    """What from_pretrained can load for `name`: the name itself, or for a GGUF its cached Hugging Face folder
    (converted once; see gguf_source.py). Train, plan and export resolve model.name here and nowhere else."""
    from dataforge.run.gguf_source import converted_folder, gguf_file

    check_model_source(name, key)
    gguf = gguf_file(name, key)
    return str(converted_folder(gguf, say)) if gguf is not None else name


def load_tokenizer(path: str, trust_remote_code: bool = False, key: str = "model.name"):
    """The tokenizer of a model folder or hub id, with a pad token (the EOS token when it has none)."""
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as exc:
        raise UsageError(f"{key}: cannot load a tokenizer from {path!r}: {str(exc).splitlines()[0]}") from None
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def load_base(name: str, dtype: str = "float32", device: str = "cpu"):
    """The base model in full precision (never 4-bit: merging and evaluation want real weights)."""
    torch = require_torch()
    from transformers import AutoModelForCausalLM

    try:
        model = AutoModelForCausalLM.from_pretrained(name, dtype=getattr(torch, dtype))
    except OSError as exc:
        raise InputError(f"{name}: base model cannot be loaded ({str(exc).splitlines()[0]}): the run's "
                         "manifest.json names it under base_model.path; make it available there") from None
    return model.to(device).eval()


def load_tuned(base_model, adapter_dir: str | Path, adapter_name: str = "default"):
    """Wrap a loaded base with a PEFT adapter (`disable_adapter()` then gives the base back for comparisons)."""
    from peft import PeftModel

    return PeftModel.from_pretrained(base_model, str(adapter_dir), adapter_name=adapter_name).eval()


def default_device() -> str:
    torch = require_torch()
    return "cuda" if torch.cuda.is_available() else "cpu"
