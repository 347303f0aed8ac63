"""The overfitting detector: one plain function over loss series, and a TrainerCallback that uses it.

Training (the callback) and `dataforge evaluate` (the function over the logged series) run the same code with the
same thresholds, so they never disagree about the onset or the best checkpoint.

The rule, with its thresholds (OverfittingConfig):
  * best   = the eval step with the lowest val loss before the onset (its checkpoint is the one to keep).
  * onset  = the first eval after the best whose val loss is above best + `min_delta` (smaller moves are noise on
             a small validation set), provided the rise is
             *sustained*: that eval and the next `patience - 1` evals all stay above best + `min_delta` with no
             new best (one bad eval is noise; `patience` in a row is a trend, as in EarlyStoppingCallback).
  * and train loss keeps falling: the mean train loss logged after the best step is lower than the mean logged
    up to it by more than `min_delta`. Val rising while train does *not* fall is "unstable" (learning rate too
    high, a data problem), not overfitting.
Verdicts: "overfitting", "ok", "unstable", "no_eval" (fewer than 2 eval losses: nothing to judge).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

Series = list[tuple[int, float]]


class OverfittingConfig(BaseModel):
    """Thresholds of the detector (all in eval steps and nats of cross-entropy)."""

    model_config = ConfigDict(extra="forbid")
    min_delta: float = Field(0.01, ge=0, description="val loss must rise more than this (nats) above its best to "
                             "count as a rise; 0.01 nats is about a 1% perplexity change")
    patience: int = Field(3, ge=1, description="evals in a row above the best before the rise counts as sustained")


@dataclass
class Verdict:
    verdict: str
    onset_step: int | None = None
    best_step: int | None = None
    best_val_loss: float | None = None
    last_val_loss: float | None = None
    gap: list[dict] = field(default_factory=list)  # [{"step", "train_loss", "val_loss", "gap"}] at each eval
    config: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return asdict(self)


def _clean(series: Series) -> Series:
    return sorted((int(s), float(v)) for s, v in series if v is not None and math.isfinite(float(v)))


def train_loss_at(train: Series, step: int, window: int = 5) -> float | None:
    """Mean of the last `window` train losses logged at or before `step` (train loss is noisy per batch)."""
    before = [v for s, v in train if s <= step][-window:]
    return sum(before) / len(before) if before else None


def generalisation_gap(train: Series, evals: Series) -> list[dict]:
    """val loss minus (smoothed) train loss at each eval step: a growing gap is the signature of memorising."""
    rows = []
    for step, val in evals:
        tr = train_loss_at(train, step)
        rows.append({"step": step, "train_loss": tr, "val_loss": val, "gap": None if tr is None else val - tr})
    return rows


def detect_overfitting(train: Series, evals: Series, config: OverfittingConfig | None = None) -> Verdict:
    """Judge (step, loss) series: see the module docstring for the rule."""
    cfg = config or OverfittingConfig()
    train, evals = _clean(train), _clean(evals)
    out = Verdict("no_eval", gap=generalisation_gap(train, evals), config=cfg.model_dump())
    if len(evals) < 2:
        if evals:
            out.best_step, out.best_val_loss = evals[0]
            out.last_val_loss = evals[-1][1]
        return out
    out.last_val_loss = evals[-1][1]
    best_i, onset_i = 0, None
    # scan in order, as the callback sees evals during training: the first sustained rise ends the search
    for i in range(1, len(evals)):
        best = evals[best_i][1]
        if evals[i][1] < best:
            best_i = i
        elif all(v > best + cfg.min_delta for _, v in evals[i:i + cfg.patience]) and len(evals) - i >= cfg.patience:
            onset_i = i
            break
    out.best_step, out.best_val_loss = evals[best_i]
    if onset_i is None:
        out.verdict = "ok"
    elif _train_kept_falling(train, evals[best_i][0], cfg):
        out.verdict, out.onset_step = "overfitting", evals[onset_i][0]
    else:
        out.verdict, out.onset_step = "unstable", evals[onset_i][0]
    return out


def _train_kept_falling(train: Series, best_step: int, cfg: OverfittingConfig) -> bool:
    before = [v for s, v in train if s <= best_step]
    after = [v for s, v in train if s > best_step]
    if not before or not after:
        return False
    return sum(after) / len(after) < sum(before) / len(before) - cfg.min_delta


def _build_callback_class():
    """Imported lazily (transformers is heavy; `dataforge runs` only needs the function above)."""
    from transformers import TrainerCallback

    class OverfittingCallback(TrainerCallback):
        """Stop training at the onset of overfitting plus patience, and record the best step.

        Use with `save_steps == eval_steps`, `load_best_model_at_end=True`, `metric_for_best_model="eval_loss"`
        so that the Trainer keeps the best checkpoint out of rotation and loads it at the end. The verdict is
        written to OUTPUT_DIR/overfitting.json.
        """

        def __init__(self, config: OverfittingConfig | None = None):
            self.config = config or OverfittingConfig()
            self.verdict: Verdict | None = None

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            train = [(e["step"], e["loss"]) for e in state.log_history if "loss" in e and "step" in e]
            evals = [(e["step"], e["eval_loss"]) for e in state.log_history if "eval_loss" in e and "step" in e]
            self.verdict = detect_overfitting(train, evals, self.config)
            if self.verdict.verdict == "overfitting":
                control.should_training_stop = True
            return control

        def on_train_end(self, args, state, control, **kwargs):
            if self.verdict is not None and state.is_world_process_zero:
                Path(args.output_dir).mkdir(parents=True, exist_ok=True)
                (Path(args.output_dir) / "overfitting.json").write_text(json.dumps(self.verdict.as_json(), indent=2))

    return OverfittingCallback


def __getattr__(name: str):
    if name == "OverfittingCallback":
        cls = _build_callback_class()
        globals()[name] = cls
        return cls
    raise AttributeError(name)
