"""The detector as a plain function over loss series (fast), and on real tiny runs trained with TRL."""

import json

import pytest

from dataforge.run.overfitting import OverfittingConfig, detect_overfitting, generalisation_gap
from dataforge.run.run_dir import open_run

TRAIN_FALLING = [(s, 3.0 - 0.05 * s) for s in range(1, 31)]


def test_sustained_rise_with_falling_train_is_overfitting():
    evals = [(5, 2.5), (10, 2.2), (15, 2.1), (20, 2.2), (25, 2.3), (30, 2.4)]
    v = detect_overfitting(TRAIN_FALLING, evals)
    assert (v.verdict, v.best_step, v.onset_step, v.best_val_loss) == ("overfitting", 15, 20, 2.1)


def test_single_bad_eval_is_noise():
    evals = [(5, 2.5), (10, 2.2), (15, 2.3), (20, 2.1), (25, 2.05), (30, 2.0)]
    v = detect_overfitting(TRAIN_FALLING, evals)
    assert (v.verdict, v.best_step, v.onset_step) == ("ok", 30, None)


def test_rise_shorter_than_patience_is_not_flagged_yet():
    evals = [(5, 2.5), (10, 2.2), (15, 2.3), (20, 2.4)]
    assert detect_overfitting(TRAIN_FALLING, evals).verdict == "ok"
    assert detect_overfitting(TRAIN_FALLING, evals, OverfittingConfig(patience=2)).onset_step == 15


def test_rise_within_min_delta_is_noise():
    evals = [(5, 2.5), (10, 2.2), (15, 2.205), (20, 2.209), (25, 2.208)]
    assert detect_overfitting(TRAIN_FALLING, evals).verdict == "ok"


def test_val_and_train_rising_together_is_unstable_not_overfitting():
    train = [(s, 2.0 + 0.01 * s) for s in range(1, 31)]
    evals = [(5, 2.1), (10, 2.3), (15, 2.5), (20, 2.7)]
    v = detect_overfitting(train, evals)
    assert (v.verdict, v.best_step, v.onset_step) == ("unstable", 5, 10)


def test_no_eval_losses():
    assert detect_overfitting(TRAIN_FALLING, []).verdict == "no_eval"
    assert detect_overfitting(TRAIN_FALLING, [(10, 2.0)]).verdict == "no_eval"


def test_gap_is_val_minus_smoothed_train():
    gap = generalisation_gap([(1, 3.0), (2, 2.0), (3, 1.0)], [(3, 2.5)])
    assert gap == [{"step": 3, "train_loss": 2.0, "val_loss": 2.5, "gap": 0.5}]


def test_config_rejects_unknown_keys():
    with pytest.raises(ValueError, match="patiense"):
        OverfittingConfig(patiense=2)


@pytest.mark.slow
def test_overfitting_tiny_run_is_flagged(overfit_run):
    run = open_run(overfit_run)
    log = run.losses()
    v = detect_overfitting(log.train, log.eval)
    last = log.eval[-1][0]
    assert v.verdict == "overfitting"
    assert v.onset_step < last
    assert v.best_step < last and v.best_step in run.checkpoints()
    assert v.gap[-1]["gap"] > v.gap[0]["gap"]  # the generalisation gap widened


@pytest.mark.slow
def test_healthy_tiny_run_is_not_flagged(healthy_run):
    log = open_run(healthy_run).losses()
    assert detect_overfitting(log.train, log.eval).verdict == "ok"


@pytest.mark.slow
def test_callback_stops_training_at_onset_plus_patience(tmp_path, tiny_root):
    from dataforge.run.overfitting import OverfittingCallback
    from tests.evaluate import tiny

    rows = tiny.chats(clip=tiny.OVERFIT_CLIP)
    run = tiny.train_run(tmp_path / "run", tiny.build_base(tiny_root / "base"), rows[:4], rows[60:66],
                         steps=tiny.OVERFIT_STEPS, lr=tiny.OVERFIT_LR, eval_every=3, callbacks=[OverfittingCallback()])
    saved = json.loads(open_run(run).overfitting_path.read_text())
    offline = detect_overfitting(*_series(run))
    assert saved["verdict"] == offline.verdict == "overfitting"
    assert saved["onset_step"] == offline.onset_step and saved["best_step"] == offline.best_step
    # stopped when the rise was confirmed: onset + (patience - 1) evals, well before max_steps
    assert max(open_run(run).checkpoints()) == offline.onset_step + 3 * 2 < tiny.OVERFIT_STEPS


def _series(run):
    log = open_run(run).losses()
    return log.train, log.eval
