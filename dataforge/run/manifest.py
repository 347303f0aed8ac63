"""manifest.json, typed: what was trained on what. Written by `train` through this module only, read by evaluate,
export and runs through it too. Unknown keys are rejected, and a manifest of another schema version gets one clear
error naming the field instead of a guess.

Written when a run starts (status "running"), after the label check, and again when it ends ("completed"), or
"interrupted" when the process is stopped (SIGINT/SIGTERM or an exception in training).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import socket
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dataforge import __version__
from dataforge.errors import InputError
from dataforge.io import AtomicWriter, file_sha256
from dataforge.run.config import Recipe

SCHEMA_VERSION = 3
PACKAGES = ("torch", "transformers", "peft", "trl", "accelerate", "datasets", "bitsandbytes", "tokenizers")
Status = Literal["running", "completed", "interrupted", "failed"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FileRef(_Strict):
    """A file and its content hash: same sha256, same bytes."""

    path: str
    sha256: str
    bytes: int


class RecipeRef(_Strict):
    path: str
    sha256: str


class BaseModelRef(_Strict):
    name: str | None = Field(None, description="model.name as the recipe gave it (None: the tiny demo model)")
    path: str = Field(description="what training loaded: a hub id, or a folder (relative to the run for the "
                      "tiny model built in base_model/)")


class SourceInfo(_Strict):
    """One source of the training mix: what was asked of it and what it gave."""

    path: str
    sha256: str
    records: int = Field(description="valid training records in the file (held-out val records excluded)")
    weight: float | None = Field(None, description="the recipe's weight (null: no weights, files concatenated)")
    epochs: float = 1.0
    max_records: int | None = None
    requested_share: float | None = Field(None, description="weight / sum of weights")
    realised_share: float = Field(description="rows / all rows of the mix")
    rows: int = Field(description="rows it gave the mix, repeats (epochs > 1) included")
    used: int = Field(description="distinct records that trained")
    not_drawn: int = Field(description="records the mix did not draw (weight share or max_records): counted, not "
                           "lost")


class TokenCacheInfo(_Strict):
    key: str
    path: str
    hit: bool = Field(description="true: the rows were read from the cache, tokenizing skipped")
    parts: dict[str, Any] = Field(description="what the key is made of: data sha256 and mix, tokenizer files' "
                                  "sha256, chat template, max_length, packing, dataforge version")


class PackingInfo(_Strict):
    mode: Literal["none", "bfd", "padding_free"]
    records_isolated: bool | None = Field(None, description="probe on the loaded model: packed records gave the "
                                          "same logits as each record alone (null: no packing, not probed)")


class DataInfo(_Strict):
    train: list[FileRef]
    val: list[FileRef] = Field(default_factory=list, description="data.val files, when the recipe names them")
    val_split: FileRef | None = Field(None, description="val.jsonl in the run: the held-out records training "
                                      "evaluated on (evaluate reads this file)")
    train_records: int
    val_records: int
    val_from: str = Field(description="data.val, or val_fraction=F (near-duplicate clusters kept on one side)")
    sources: list[SourceInfo] = Field(default_factory=list, description="the mix, one entry per data.train source")
    streaming: bool = False


class SourceGate(_Strict):
    """The gate on one source of a mix (its own report under quality/sources/)."""

    path: str
    passed: bool
    report_json: str
    records: int | None = None
    failed_checks: list[str] = Field(default_factory=list)


class GateInfo(_Strict):
    skipped: bool
    passed: bool | None = None
    report_json: str | None = None
    report_sha256: str | None = None
    report_html: str | None = None
    records: int | None = None
    failed_checks: list[str] = Field(default_factory=list)
    sources: list[SourceGate] = Field(default_factory=list, description="a mix of several sources: each one's own "
                                      "gate; the fields above are the gate on the whole mix")


class ChatTemplateInfo(_Strict):
    source: str
    template: str
    end_of_turn: list[str]
    system_role: Literal["native", "rejected", "dropped"] = Field(
        "native", description="what the template does with a system message (probed by rendering)")
    system_policy: Literal["fold", "refuse"] = Field("fold", description="chat.system")
    folded_records: int = Field(0, description="records whose system text was folded into the first user turn")
    default_system: str | None = Field(None, description="the system prompt the template adds to records without "
                                       "one (Qwen2.5's), or null")
    default_system_policy: Literal["keep", "drop"] = Field("keep", description="chat.default_system")
    default_system_records: int = Field(0, description="records without a system message, which got the default "
                                        "(keep) or an empty one (drop)")


class LabelCheck(_Strict):
    records: int
    truncated: int
    tokens: int
    trained_tokens: int
    longest: int


class Process(_Strict):
    """Who runs the training, so `dataforge runs` can tell a run whose process is gone (killed) from a live one."""

    pid: int
    host: str


class ServiceRecord(_Strict):
    """What `dataforge serve` accepted before it queued the training: its gate per data version, or the
    override that let a failed gate through, with who decided and why."""

    data_versions: list[str] = Field(description="the dataset version ids (sha256) the run trained on")
    gate: dict[str, Any] = Field(description="the service's gate: passed, the latest check of each version, "
                                 "the failed ones")
    user: str | None = Field(None, description="who overrode a failed gate")
    reason: str | None = Field(None, description="why the failed gate was accepted")


class Manifest(_Strict):
    schema_version: Literal[3] = Field(SCHEMA_VERSION, description="3 (3 added the mix, the token cache and "
                                       "packing); a run of another version is refused with one clear error")
    status: Status = Field("running", description="running, completed, interrupted (stopped by a signal or "
                           "Ctrl-C), failed (an error; see `error`); `dataforge runs` shows a running run whose "
                           "process is gone as interrupted")
    created: str = Field(description="UTC time the run started")
    updated: str | None = Field(None, description="UTC time of the last write")
    command: list[str] = Field(description="the argv of the run")
    recipe: RecipeRef = Field(description="{path, sha256} of the recipe file")
    config: Recipe = Field(description="the resolved recipe, every key, overrides applied (typed: the same "
                           "model train read, e.g. config.train.max_length)")
    versions: dict[str, str | None] = Field(description="python, dataforge, torch, transformers, peft, trl, "
                                            "accelerate, datasets, bitsandbytes, tokenizers")
    git_commit: str | None = Field(None, description="commit of the dataforge checkout (-dirty when modified); "
                                   "null when installed from a wheel")
    process: Process | None = Field(None, description="{pid, host} of the training process")
    base_model: BaseModelRef | None = Field(None, description="{name: model.name or null, path: what was loaded}")
    quality_gate: GateInfo | None = Field(None, description="{skipped} or {passed, report_json, report_sha256, "
                                          "report_html, records, failed_checks, sources: each source's gate}")
    data: DataInfo | None = Field(None, description="{train, val: [{path, sha256, bytes}], val_split: val.jsonl's "
                                  "{path, sha256, bytes}, train_records, val_records, val_from, sources: the mix "
                                  "[{path, sha256, records, weight, epochs, max_records, requested_share, "
                                  "realised_share, rows, used, not_drawn}], streaming}")
    token_cache: TokenCacheInfo | None = Field(None, description="{key, path, hit, parts} of the tokenized cache "
                                               "entry (null: data.cache=false)")
    packing: PackingInfo | None = Field(None, description="{mode, records_isolated}: train.packing and whether "
                                        "the attention backend kept packed records apart (probed)")
    chat_template: ChatTemplateInfo | None = Field(None, description="{source, template: the Jinja text trained "
                                                   "with, end_of_turn: [tokens], system_role, system_policy, "
                                                   "folded_records, default_system, default_system_policy, "
                                                   "default_system_records}")
    label_check: LabelCheck | None = Field(None, description="{records, truncated, tokens, trained_tokens, "
                                           "longest}")
    attn_implementation: str | None = Field(None, description="the attention backend the model was loaded with "
                                            "(model.attn_implementation, auto resolved)")
    trainable_params: int | None = Field(None, description="as PEFT counts them (plan reports the same number)")
    total_params: int | None = Field(None, description="base model plus adapter")
    global_step: int | None = Field(None, description="optimizer steps done")
    best_checkpoint: str | None = Field(None, description="the trainer's best checkpoint (early stopping on)")
    train_loss: float | None = Field(None, description="mean training loss over every logged step of the whole "
                                     "run, resumed parts included")
    eval_loss: float | None = Field(None, description="val loss of the final model")
    error: str | None = Field(None, description="why the run stopped, when it did not complete")
    service: ServiceRecord | None = Field(None, description="train jobs of `dataforge serve`: data version ids and "
                                          "the gate or override the service accepted")

    def write(self, path: Path) -> Path:
        if os.environ.get("RANK", "0") != "0":  # under accelerate launch only the main process writes it
            return path
        self.updated = now()
        writer = AtomicWriter(path)
        writer.write(self.model_dump_json(indent=2).encode() + b"\n")
        writer.commit()
        return path


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


sha256 = file_sha256  # the name the run layer and its tests know


def file_ref(path: str | Path) -> FileRef:
    return FileRef(path=str(path), sha256=sha256(path), bytes=Path(path).stat().st_size)


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version(), "dataforge": __version__}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_commit() -> str | None:
    """The commit of the checkout dataforge runs from (None when installed from a wheel)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def new_manifest(recipe: Recipe, recipe_path: Path, argv: list[str] | None = None) -> Manifest:
    return Manifest(created=now(), command=list(argv if argv is not None else sys.argv),
                    recipe=RecipeRef(path=str(recipe_path), sha256=sha256(recipe_path)), config=recipe,
                    versions=versions(), git_commit=git_commit(),
                    process=Process(pid=os.getpid(), host=socket.gethostname()))


def read_manifest(path: Path) -> Manifest:
    """The typed manifest; InputError (exit 2) naming the first bad field when it is not one this version wrote."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: manifest: not valid JSON ({exc.msg})") from None
    if not isinstance(raw, dict):
        raise InputError(f"{path}: manifest: expected a JSON object")
    version = raw.get("schema_version")
    if version != SCHEMA_VERSION:
        raise InputError(f"{path}: schema_version: {'missing' if version is None else repr(version)}, expected "
                         f"{SCHEMA_VERSION}: this run was written by an older dataforge; train it again with this "
                         "version (its data and recipe are listed in the same file)")
    try:
        return Manifest.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "manifest"
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise InputError(f"{path}: {field}: {err['msg']}{more}: the manifest was not written by this version of "
                         "`dataforge train`; train the run again") from None


def process_alive(proc: Process | None) -> bool | None:
    """True/False when the training process is on this host (alive or gone); None when it is elsewhere."""
    if proc is None or proc.host != socket.gethostname():
        return None
    try:
        os.kill(proc.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

