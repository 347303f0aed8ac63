"""Everything evaluate/export/runs read from a run directory, in one place.

The contract (written by `dataforge train`, HF Trainer/TRL layout), read tolerantly:
  RUN_DIR/manifest.json       recipe, config (resolved: model.name, method, seed, data.train/val/val_fraction,
                              train.*), base_model {name, path}, data files with sha256, quality_gate (or gate)
  RUN_DIR/checkpoints/checkpoint-<step>/ (or RUN_DIR/checkpoint-<step>/)
                              trainer_state.json (log_history, best_model_checkpoint) + PEFT adapter files
  RUN_DIR/metrics.json        {"log_history": [...]} of the whole run, when training finished
  RUN_DIR/adapter/            the final adapter and tokenizer (also accepted: RUN_DIR itself, RUN_DIR/final/)
Only this module knows these names; adjust here if the training side changes them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from dataforge.errors import InputError

ADAPTER_FILES = ("adapter_config.json",)
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


@dataclass
class LossLog:
    """Loss series from trainer_state.json's log_history: (step, value) pairs, sorted by step."""

    train: list[tuple[int, float]] = field(default_factory=list)
    eval: list[tuple[int, float]] = field(default_factory=list)
    trainer_best_checkpoint: str | None = None
    trainer_best_metric: float | None = None


@dataclass
class RunDir:
    path: Path
    manifest: dict

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def config(self) -> dict:
        return self.manifest.get("config") or {}

    def checkpoints(self) -> dict[int, Path]:
        """step -> checkpoint folder, for every checkpoint-<step>/ that holds an adapter."""
        found = {}
        for folder in (self.path, self.path / "checkpoints"):
            if not folder.is_dir():
                continue
            for p in folder.iterdir():
                m = _CHECKPOINT.match(p.name)
                if m and p.is_dir() and (p / "adapter_config.json").exists():
                    found[int(m.group(1))] = p
        return dict(sorted(found.items()))

    def adapter_dir(self) -> Path:
        """The final adapter: RUN_DIR/adapter, RUN_DIR/final, RUN_DIR itself, else the last checkpoint."""
        for cand in (self.path / "adapter", self.path / "final", self.path):
            if (cand / "adapter_config.json").exists():
                return cand
        ckpts = self.checkpoints()
        if ckpts:
            return ckpts[max(ckpts)]
        raise InputError(f"{self.path}: no adapter found: expected adapter/adapter_config.json "
                         "(or final/, or checkpoint-<step>/): did training finish?")

    def adapter_config(self) -> dict:
        return json.loads((self.adapter_dir() / "adapter_config.json").read_text(encoding="utf-8"))

    def base_model(self) -> str:
        """The base model: what training loaded (manifest base_model.path: a hub id or a folder, e.g. the tiny
        demo model built in RUN_DIR/base_model), else config.model.name, else the adapter's base_model_name_or_path."""
        built = (self.manifest.get("base_model") or {}).get("path")
        if built and not Path(built).is_absolute() and not Path(built).exists() and (self.path / "base_model").is_dir():
            built = str(self.path / "base_model")  # a relative path written from another working directory
        name = built or (self.config.get("model") or {}).get("name") \
            or self.adapter_config().get("base_model_name_or_path")
        if not name:
            raise InputError(f"{self.path / 'manifest.json'}: config.model.name: missing, and the adapter config "
                             "names no base_model_name_or_path: set config.model.name to the base model")
        return str(name)

    def tokenizer_dir(self) -> str:
        """Where the tokenizer lives: saved beside the adapter by training, else the base model's."""
        adapter = self.adapter_dir()
        if (adapter / "tokenizer_config.json").exists():
            return str(adapter)
        return self.base_model()

    def is_quantized(self) -> bool:
        """A QLoRA run (4-bit/8-bit base), from the resolved config."""
        cfg = self.config
        method = str(cfg.get("method", "")).lower()
        quant = cfg.get("quantization") or (cfg.get("model") or {}).get("quantization") or {}
        return method == "qlora" or bool(quant.get("load_in_4bit") or quant.get("load_in_8bit"))

    def max_length(self, default: int = 2048) -> int:
        """The sequence length training truncated to, so perplexity scores the same tokens eval_loss did."""
        cfg = self.config
        for section in (cfg.get("train") or {}, cfg.get("data") or {}, cfg):
            for key in ("max_length", "max_seq_length", "max_seq_len"):
                if isinstance(section.get(key), int):
                    return section[key]
        return default

    def val_files(self) -> list[Path]:
        val = (self.config.get("data") or {}).get("val") or []
        return [Path(v) for v in ([val] if isinstance(val, str) else val)]

    def held_out(self) -> tuple[list[list[dict]], str] | None:
        """The validation conversations training used when they were split off the training files
        (data.val_fraction), re-drawn with training's own seeded split; None when not reproducible."""
        data = self.config.get("data") or {}
        if self.val_files() or not data.get("val_fraction") or not data.get("train"):
            return None
        try:
            from dataforge.train.data import load_examples, split_examples
        except ImportError:
            return None
        train = [data["train"]] if isinstance(data["train"], str) else list(data["train"])
        _, val = split_examples(load_examples(train, data.get("format", "auto")), data["val_fraction"],
                                self.config.get("seed", 0))
        return [list(e.messages) for e in val], f"val_fraction={data['val_fraction']} of {', '.join(train)}"

    def gate(self) -> dict | None:
        return self.manifest.get("quality_gate", self.manifest.get("gate"))

    def losses(self) -> LossLog:
        """Loss series: metrics.json's log_history (the whole run) when present, else the newest
        trainer_state.json (the last checkpoint holds the history up to it)."""
        state: dict = {}
        states = [p / "trainer_state.json" for p in self.checkpoints().values()]
        states = [p for p in states if p.exists()] or [p for p in (self.path / "trainer_state.json",) if p.exists()]
        if states:
            state = json.loads(states[-1].read_text(encoding="utf-8"))
        history = state.get("log_history", [])
        if (self.path / "metrics.json").exists():
            history = json.loads((self.path / "metrics.json").read_text(encoding="utf-8")).get("log_history") or history
        # entries after the train summary (train_runtime) are evaluations *after* training, often of the best
        # model reloaded at the end: they are not part of the curve
        end = next((i for i, e in enumerate(history) if "train_runtime" in e), len(history))
        best = state.get("best_model_checkpoint") or self.manifest.get("best_checkpoint")
        log = LossLog(trainer_best_checkpoint=best,
                      trainer_best_metric=state.get("best_metric"))
        for entry in history[:end]:
            if "loss" in entry and "step" in entry:
                log.train.append((int(entry["step"]), float(entry["loss"])))
            if "eval_loss" in entry and "step" in entry:
                log.eval.append((int(entry["step"]), float(entry["eval_loss"])))
        return log

    def data_fingerprint(self) -> str | None:
        """A short hash over the sha256 of every data file in the manifest (same data -> same fingerprint)."""
        digests: list[str] = []

        def walk(node) -> None:
            if isinstance(node, dict):
                if isinstance(node.get("sha256"), str):
                    digests.append(node["sha256"])
                for v in node.values():
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)

        walk(self.manifest.get("data"))
        digests = sorted(set(digests))
        return hashlib.sha256("".join(digests).encode()).hexdigest()[:12] if digests else None

    def eval_dir(self) -> Path:
        return self.path / "eval"

    def export_dir(self) -> Path:
        return self.path / "export"


def open_run(path: str | Path) -> RunDir:
    """Read a run directory; InputError (exit 2) when it is not one."""
    path = Path(path)
    if not path.is_dir():
        raise InputError(f"{path}: not a directory: pass a run directory written by `dataforge train`")
    manifest_path = path / "manifest.json"
    manifest: dict = {}
    if manifest_path.exists():
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(f"{manifest_path}:{exc.lineno}: manifest: not valid JSON ({exc.msg})") from None
    run = RunDir(path=path, manifest=manifest)
    if not manifest and not run.checkpoints() and not (path / "adapter_config.json").exists():
        raise InputError(f"{path}: not a run directory: no manifest.json, adapter or checkpoint-<step>/ inside")
    return run
