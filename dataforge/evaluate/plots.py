"""Loss curves as PNG (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

from dataforge.run.overfitting import Series, Verdict


def loss_curves(train: Series, evals: Series, verdict: Verdict, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, gap_ax) = plt.subplots(2, 1, figsize=(8, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    if train:
        ax.plot(*zip(*train, strict=True), label="train loss", color="#1f77b4", alpha=0.8)
    if evals:
        ax.plot(*zip(*evals, strict=True), "o-", label="val loss", color="#d62728")
    if verdict.best_step is not None:
        ax.axvline(verdict.best_step, color="green", linestyle="--", label=f"best (step {verdict.best_step})")
    if verdict.onset_step is not None:
        ax.axvline(verdict.onset_step, color="orange", linestyle=":",
                   label=f"{verdict.verdict} onset (step {verdict.onset_step})")
    ax.set_ylabel("cross-entropy")
    ax.set_title(f"loss curves: {verdict.verdict}")
    ax.legend()
    gaps = [(g["step"], g["gap"]) for g in verdict.gap if g["gap"] is not None]
    if gaps:
        gap_ax.plot(*zip(*gaps, strict=True), "s-", color="#9467bd")
    gap_ax.axhline(0, color="grey", linewidth=0.5)
    gap_ax.set_ylabel("val - train")
    gap_ax.set_xlabel("step")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
