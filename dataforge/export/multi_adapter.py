"""Several adapters on one base: load the base once, attach each adapter by name, answer with each.

peft keeps every loaded adapter's small matrices beside the one copy of the base weights; `set_adapter(name)`
switches which one is active, so N adapters cost one base plus N adapters of memory.
"""

from __future__ import annotations

from pathlib import Path

from dataforge.errors import UsageError
from dataforge.run.run_dir import open_run


def resolve_adapter(spec: str) -> tuple[str, Path, str | None]:
    """NAME=RUN_DIR (or NAME=ADAPTER_DIR) -> (name, adapter folder, its base model if known)."""
    name, sep, path = spec.partition("=")
    if not sep or not name or not path:
        raise UsageError(f"--adapter {spec}: expected NAME=RUN_DIR, e.g. --adapter hukuk=runs/hukuk-lora")
    run = open_run(path)
    return name, run.final_adapter(), run.base_model()


def generate_with_adapters(prompt: str, adapters: list[str], *, base: str | None = None, with_base: bool = False,
                           system: str | None = None, max_new_tokens: int = 128, device: str | None = None) -> dict:
    """{name: answer} for each adapter (and "base" with `with_base`), greedy, from one loaded base model."""
    from dataforge.evaluate.generation import generate
    from dataforge.run.loading import default_device, load_base, load_tokenizer, load_tuned

    if not adapters:
        raise UsageError("no --adapter given: pass one or more NAME=RUN_DIR")
    resolved = [resolve_adapter(a) for a in adapters]
    names = [n for n, _, _ in resolved]
    if len(set(names)) != len(names):
        raise UsageError(f"--adapter names must differ: got {', '.join(names)}")
    if with_base and "base" in names:
        raise UsageError("an adapter is named 'base', which --with-base also uses: rename it")
    bases = sorted({b for _, _, b in resolved if b})
    if base is None and len(bases) > 1:
        raise UsageError(f"adapters were trained on different bases ({', '.join(bases)}): pass --base to choose "
                         "one, or serve them separately")
    base = base or resolved[0][2]
    tok_dir = resolved[0][1] if (resolved[0][1] / "tokenizer_config.json").exists() else base
    tok = load_tokenizer(str(tok_dir))
    model = load_tuned(load_base(base, device=device or default_device()), resolved[0][1], adapter_name=names[0])
    for name, path, _ in resolved[1:]:
        model.load_adapter(str(path), adapter_name=name)
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
    answers = {}
    if with_base:
        with model.disable_adapter():
            answers["base"] = generate(model, tok, [messages], max_new_tokens=max_new_tokens)[0]
    for name in names:
        model.set_adapter(name)
        answers[name] = generate(model, tok, [messages], max_new_tokens=max_new_tokens)[0]
    return answers
