"""Load a run's base model + adapter and its evaluation data. Shared by evaluate, export and generate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dataforge.errors import DataError, InputError, MissingDependency


@dataclass
class Example:
    """One held-out conversation: `prompt` is every message before the last assistant turn."""

    messages: list[dict]
    prompt: list[dict]
    reference: str
    where: str


def require(module: str, extra: str):
    """Import an optional dependency, or raise MissingDependency naming the extra that installs it."""
    import importlib

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


def load_tokenizer(path: str):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path)
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
        raise InputError(f"{name}: base model cannot be loaded ({exc}): set config.model.name in the run's "
                         "manifest.json to a local path or a cached hub id") from None
    return model.to(device).eval()


def load_tuned(base_model, adapter_dir: str | Path, adapter_name: str = "default"):
    """Wrap a loaded base with a PEFT adapter (`disable_adapter()` then gives the base back for comparisons)."""
    from peft import PeftModel

    return PeftModel.from_pretrained(base_model, str(adapter_dir), adapter_name=adapter_name).eval()


def default_device() -> str:
    torch = require_torch()
    return "cuda" if torch.cuda.is_available() else "cpu"


def examples_from_messages(conversations: list[list[dict]], where: str) -> list[Example]:
    """Conversations (lists of {"role", "content"}) ending in an assistant turn -> Examples."""
    out = []
    for n, msgs in enumerate(conversations, 1):
        msgs = [{"role": m["role"], "content": m["content"]} for m in msgs]
        last = max((i for i, m in enumerate(msgs) if m["role"] == "assistant"), default=None)
        if last is not None:
            out.append(Example(msgs[:last + 1], msgs[:last], msgs[last]["content"], f"{where} #{n}"))
    if not out:
        raise DataError(f"{where}: no conversation with an assistant turn to evaluate on")
    return out


def load_examples(path: str | Path, limit: int | None = None) -> list[Example]:
    """Conversations ending in an assistant turn, from any format dataforge reads (invalid records are skipped
    and counted by the validator; a file without usable records is a data error)."""
    from dataforge.validate import iter_records

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file: pass --data FILE or set config.data.val in the run")
    out: list[Example] = []
    for rec in iter_records(str(path)):
        msgs = [{"role": m.role, "content": m.text()} for m in rec.messages]
        last = max((i for i, m in enumerate(msgs) if m["role"] == "assistant"), default=None)
        if last is None:
            continue
        out.append(Example(msgs[:last + 1], msgs[:last], msgs[last]["content"], f"{path}:{rec.line}"))
        if limit and len(out) >= limit:
            break
    if not out:
        raise DataError(f"{path}: no conversation with an assistant turn to evaluate on")
    return out
