"""The run directory: its layout in one place (paths as properties) and its typed manifest.

`dataforge train` writes a run only through this class; evaluate, export, generate and `dataforge runs` read it
only through it. The layout (docs/train.md's table is generated from LAYOUT and a test keeps them equal):
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from dataforge.errors import InputError
from dataforge.run.manifest import Manifest, process_alive, read_manifest

# name -> what it holds; the properties of RunDir below return these paths
LAYOUT = {
    "manifest.json": "recipe, resolved config, data files and their sha256, quality gate, chat template, label "
                     "check, package versions, git commit, seed, status (running/completed/interrupted/failed)",
    "quality/": "the quality gate's report.html and report.json on the training data",
    "val.jsonl": "the held-out records training evaluated on (evaluate reads this file)",
    "base_model/": "the tiny demo model and tokenizer, when the recipe names no model.name",
    "checkpoints/checkpoint-N/": "adapter, optimizer and trainer_state.json every train.save_steps",
    "checkpoints/overfitting.json": "the overfitting detector's verdict when training ended (early stopping on)",
    "adapter/": "the final adapter and the tokenizer with the chat template it trained with",
    "logs/": "tensorboard event files",
    "metrics.json": "train and eval metrics, and the whole log_history",
    "eval/": "`dataforge evaluate`: report.html, report.json, loss_curves.png",
    "export/": "`dataforge export`: merged/, model-*.gguf, Modelfile, export.json",
}
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


@dataclass
class LossLog:
    """Loss series from the log history: (step, value) pairs, sorted by step."""

    train: list[tuple[int, float]] = field(default_factory=list)
    eval: list[tuple[int, float]] = field(default_factory=list)
    trainer_best_checkpoint: str | None = None
    trainer_best_metric: float | None = None


@dataclass
class RunDir:
    path: Path
    _manifest: Manifest | None = None

    # the layout
    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    @property
    def quality_dir(self) -> Path:
        return self.path / "quality"

    @property
    def val_path(self) -> Path:
        return self.path / "val.jsonl"

    @property
    def base_model_dir(self) -> Path:
        return self.path / "base_model"

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / "checkpoints"

    @property
    def overfitting_path(self) -> Path:
        return self.checkpoints_dir / "overfitting.json"

    @property
    def adapter_dir(self) -> Path:
        return self.path / "adapter"

    @property
    def logs_dir(self) -> Path:
        return self.path / "logs"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.json"

    @property
    def eval_dir(self) -> Path:
        return self.path / "eval"

    @property
    def export_dir(self) -> Path:
        return self.path / "export"

    @property
    def name(self) -> str:
        return self.path.name

    # the manifest
    @property
    def manifest(self) -> Manifest:
        if self._manifest is None:
            self._manifest = read_manifest(self.manifest_path)
        return self._manifest

    def attach(self, manifest: Manifest) -> None:
        """Use `manifest` in memory (train, before the run is recorded on disk)."""
        self._manifest = manifest

    def write_manifest(self, manifest: Manifest) -> None:
        self._manifest = manifest
        manifest.write(self.manifest_path)

    @property
    def max_length(self) -> int:
        """The sequence length training truncated to, so perplexity scores the same tokens eval_loss did."""
        return self.manifest.config.train.max_length

    def status(self) -> str:
        """The manifest's status, or "interrupted" for a "running" run whose process is gone (SIGKILL)."""
        m = self.manifest
        if m.status == "running" and process_alive(m.process) is False:
            return "interrupted"
        return m.status

    def checkpoints(self) -> dict[int, Path]:
        """step -> checkpoint folder, for every checkpoints/checkpoint-<step>/ that holds an adapter."""
        found = {}
        if self.checkpoints_dir.is_dir():
            for p in self.checkpoints_dir.iterdir():
                m = _CHECKPOINT.match(p.name)
                if m and p.is_dir() and (p / "adapter_config.json").exists():
                    found[int(m.group(1))] = p
        return dict(sorted(found.items()))

    def final_adapter(self) -> Path:
        if not (self.adapter_dir / "adapter_config.json").exists():
            raise InputError(f"{self.adapter_dir}: no adapter_config.json (run status: {self.status()}): the run "
                             "did not finish; resume it with `dataforge train RECIPE --resume`, or pass "
                             "--checkpoint STEP")
        return self.adapter_dir

    def pick_adapter(self, which: str = "final", best_step: int | None = None) -> Path:
        """final -> the final adapter; best -> the best checkpoint; a number -> checkpoints/checkpoint-<number>."""
        if which == "final":
            return self.final_adapter()
        step = best_step if which == "best" else int(which) if which.isdigit() else None
        if which != "best" and step is None:
            raise InputError(f"--checkpoint {which}: expected final, best or a step number")
        ckpts = self.checkpoints()
        if step is None or step not in ckpts:
            raise InputError(f"{self.checkpoints_dir}: no checkpoint-{step}/ with an adapter (have: "
                             f"{', '.join(str(s) for s in ckpts) or 'none'}): pick one of those steps")
        return ckpts[step]

    def adapter_config(self) -> dict:
        return json.loads((self.final_adapter() / "adapter_config.json").read_text(encoding="utf-8"))

    def base_model(self) -> str:
        """What training loaded: a hub id or a folder (the tiny demo model lives in the run)."""
        ref = self.manifest.base_model
        if ref is None:
            raise InputError(f"{self.manifest_path}: base_model: missing: the run stopped before its model was "
                             "chosen; train it again")
        path = Path(ref.path)
        if not path.is_absolute() and (self.path / path).exists():
            return str(self.path / path)
        return ref.path

    def tokenizer_dir(self) -> str:
        """The tokenizer training used, with the chat template it trained with: saved beside the final adapter."""
        if (self.adapter_dir / "tokenizer_config.json").exists():
            return str(self.adapter_dir)
        return self.base_model()

    def is_quantized(self) -> bool:
        return self.manifest.config.method == "qlora"

    def val_records_file(self) -> Path | None:
        """val.jsonl when training held records out, else None."""
        info = self.manifest.data
        if info is None or info.val_split is None:
            return None
        if not self.val_path.is_file():
            raise InputError(f"{self.val_path}: missing, but the manifest lists it: the run directory is incomplete")
        return self.val_path

    def losses(self) -> LossLog:
        """Loss series: metrics.json's log_history (the whole run) when training finished, else the newest
        checkpoint's trainer_state.json (it holds the history up to that step)."""
        state: dict = {}
        states = [p / "trainer_state.json" for p in self.checkpoints().values()]
        states = [p for p in states if p.exists()]
        if states:
            state = json.loads(states[-1].read_text(encoding="utf-8"))
        history = state.get("log_history", [])
        if self.metrics_path.exists():
            history = json.loads(self.metrics_path.read_text(encoding="utf-8")).get("log_history") or history
        # entries after the train summary (train_runtime) are evaluations *after* training, often of the best
        # model reloaded at the end: they are not part of the curve
        end = next((i for i, e in enumerate(history) if "train_runtime" in e), len(history))
        log = LossLog(trainer_best_checkpoint=state.get("best_model_checkpoint") or self.manifest.best_checkpoint,
                      trainer_best_metric=state.get("best_metric"))
        for entry in history[:end]:
            if "loss" in entry and "step" in entry:
                log.train.append((int(entry["step"]), float(entry["loss"])))
            if "eval_loss" in entry and "step" in entry:
                log.eval.append((int(entry["step"]), float(entry["eval_loss"])))
        return log

    def data_fingerprint(self) -> str | None:
        """A short hash over the sha256 of every training and validation file (same data -> same fingerprint)."""
        import hashlib

        info = self.manifest.data
        if info is None:
            return None
        digests = sorted({f.sha256 for f in info.train + info.val})
        return hashlib.sha256("".join(digests).encode()).hexdigest()[:12] if digests else None


def markdown() -> str:
    """The run-directory and manifest tables of docs/train.md, from LAYOUT and the Manifest model
    (`python -m dataforge.run.run_dir` prints them; a test keeps the docs equal to this)."""
    rows = ["| path in the run | what it holds |", "|---|---|"]
    rows += [f"| `{k}` | {v} |" for k, v in LAYOUT.items()]
    rows += ["", "| manifest.json key | type | what |", "|---|---|---|"]
    for name, f in Manifest.model_fields.items():
        kind = getattr(f.annotation, "__name__", None) or str(f.annotation)
        kind = kind.replace("typing.", "").replace("dataforge.run.manifest.", "").replace("|", "or")
        rows.append(f"| `{name}` | {kind} | {f.description or ''} |")
    return "\n".join(rows)


def open_run(path: str | Path) -> RunDir:
    """Read a run directory written by `dataforge train`; InputError (exit 2) when it is not one."""
    path = Path(path)
    if not path.is_dir():
        raise InputError(f"{path}: not a directory: pass a run directory written by `dataforge train`")
    run = RunDir(path)
    if not run.manifest_path.is_file():
        raise InputError(f"{path}: not a run directory: no manifest.json inside (written by `dataforge train`)")
    run.manifest  # noqa: B018 - read and validate now, so a bad manifest fails before any work
    return run


if __name__ == "__main__":
    print(markdown())
