"""The tokenized-data cache: $DATAFORGE_CACHE/tokenized/<key>/, so a second run on the same data skips tokenizing.

The key is a sha256 over everything the rows depend on (`key_parts`): the data files' sha256 and the mix, the
tokenizer's files, the chat template text and system handling, the end-of-turn ids, max_length, packing and the
dataforge version. Change any one and the key changes: a miss, never a stale hit. An entry is written into a
temporary folder and renamed when complete, so a killed run leaves no half entry behind.

An entry holds train.arrow and val.arrow (memory-mapped when read: a hit costs no RAM for the rows), val.jsonl
(the held-out records, copied into the run) and meta.json (the key's parts and what the run records about the
data: counts, mix shares, template counts).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

from dataforge import __version__
from dataforge.errors import UsageError
from dataforge.run.gguf_source import cache_root

# the files a tokenizer is made of (sentencepiece .model, BPE vocab/merges, tokenizer.json and its configs)
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
                   "vocab.json", "merges.txt", "tokenizer.model", "spiece.model", "vocab.txt")
COLUMNS = ("input_ids", "assistant_masks", "length", "trained", "source", "line")


TOKEN_CACHE_ENV = "DATAFORGE_TOKEN_CACHE"  # overrides $DATAFORGE_CACHE/tokenized (the tests use a temporary one)


def tokenized_root() -> Path:
    return Path(os.environ.get(TOKEN_CACHE_ENV) or cache_root() / "tokenized")


def tokenizer_digest(tokenizer) -> str:
    """sha256 over the tokenizer's files when it was loaded from a folder, else over its serialised form."""
    folder = Path(getattr(tokenizer, "name_or_path", "") or "")
    h = hashlib.sha256()
    files = [folder / f for f in TOKENIZER_FILES if (folder / f).is_file()] if folder.is_dir() else []
    if files:
        for f in files:
            h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
        return h.hexdigest()
    backend = getattr(tokenizer, "backend_tokenizer", None)
    h.update(backend.to_str().encode() if backend is not None else repr(tokenizer.get_vocab()).encode())
    h.update(json.dumps(tokenizer.special_tokens_map, sort_keys=True).encode())
    return h.hexdigest()


def cache_key(parts: dict) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]


def key_parts(recipe, file_digests: dict[str, str], tokenizer, template: str, stop_ids: list[int]) -> dict:
    """Everything the cached rows depend on; a change in any one is a miss."""
    d, t = recipe.data, recipe.train
    return {
        "data": [{"sha256": file_digests[s.path], "weight": s.weight, "epochs": s.epochs,
                  "max_records": s.max_records} for s in d.sources()],
        "val": [file_digests[p] for p in d.val],
        "val_fraction": 0 if d.val else d.val_fraction,
        "seed": recipe.seed, "format": d.format, "allow_extra": d.allow_extra, "streaming": d.streaming,
        "tokenizer": tokenizer_digest(tokenizer),
        "chat_template": template, "chat_system": recipe.chat.system, "default_system": recipe.chat.default_system,
        "end_of_turn": list(stop_ids), "assistant_only_loss": t.assistant_only_loss,
        "max_length": t.max_length, "packing": t.packing,
        "dataforge": __version__,
    }


def entry(key: str) -> Path:
    return tokenized_root() / key


def is_complete(path: Path) -> bool:
    return (path / "meta.json").is_file()


def features():
    from datasets import Features, Sequence, Value

    return Features({"input_ids": Sequence(Value("int32")), "assistant_masks": Sequence(Value("int8")),
                     "length": Value("int32"), "trained": Value("int32"), "source": Value("int16"),
                     "line": Value("int64")})


def write_rows(path: Path, rows: Iterable[dict]) -> int:
    """Rows to one Arrow file, a batch at a time (memory holds one writer batch, not the data)."""
    from datasets.arrow_writer import ArrowWriter

    n = 0
    with ArrowWriter(path=str(path), features=features(), writer_batch_size=1000) as writer:
        for row in rows:
            writer.write(row)
            n += 1
        writer.finalize()
    return n


def read_rows(path: Path):
    """The Arrow file as a memory-mapped Dataset."""
    from datasets import Dataset

    return Dataset.from_file(str(path))


def new_entry(key: str) -> Path:
    tmp = tokenized_root() / f".tmp-{key}-{time.time_ns()}"
    tmp.mkdir(parents=True)
    return tmp


def commit(tmp: Path, key: str, meta: dict) -> Path:
    (tmp / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    final = entry(key)
    try:
        tmp.rename(final)
    except OSError:  # another run (another worker under accelerate) wrote the same key meanwhile: same rows
        if not is_complete(final):
            raise
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def read_meta(path: Path) -> dict:
    return json.loads((path / "meta.json").read_text(encoding="utf-8"))


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def list_entries() -> list[dict]:
    """`dataforge cache ls`: every complete entry, newest first."""
    root = tokenized_root()
    out = []
    for path in sorted(root.iterdir()) if root.is_dir() else []:
        if path.name.startswith(".") or not is_complete(path):
            continue
        meta = read_meta(path)
        parts = meta.get("parts", {})
        out.append({"key": path.name, "path": str(path), "bytes": folder_bytes(path), "created": meta.get("created"),
                    "files": meta.get("files", []), "train_rows": meta.get("train_rows"),
                    "max_length": parts.get("max_length"), "packing": parts.get("packing"),
                    "dataforge": parts.get("dataforge")})
    return sorted(out, key=lambda e: e["created"] or "", reverse=True)


def remove(keys: list[str], everything: bool = False) -> list[str]:
    """`dataforge cache rm`: remove entries by key (a unique prefix is enough) or all; the removed keys."""
    root = tokenized_root()
    present = [p.name for p in root.iterdir()] if root.is_dir() else []
    if everything:
        targets = present
    else:
        targets = []
        for k in keys:
            found = [p for p in present if p.startswith(k) and not p.startswith(".")]
            if len(found) != 1:
                what = "no entry" if not found else f"{len(found)} entries"
                raise UsageError(f"cache rm {k}: {what} with this key: see `dataforge cache ls`")
            targets.append(found[0])
    for name in targets:
        shutil.rmtree(root / name, ignore_errors=True)
    return [t for t in targets if not t.startswith(".")]
