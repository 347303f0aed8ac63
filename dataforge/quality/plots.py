"""The report's plots as PNG data URIs (embedded, so report.html is one self-contained file)."""

from __future__ import annotations

import base64
import io

import numpy as np

from dataforge.quality.features import ROLES
from dataforge.quality.tally import Tally


def _uri(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _arrays(counts: dict, positive: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Values and how many records hold each, sorted by value."""
    items = sorted((v, c) for v, c in counts.items() if v is not None and (not positive or v > 0))
    return np.array([v for v, _ in items]), np.array([c for _, c in items])


def make_plots(tally: Tally, max_seq_len: int | None) -> dict[str, str]:
    """Title -> data URI. Only plots with data are made. Drawn from the tally's value counts (a histogram with
    weights has the same bins and bars as one of the values themselves)."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and CI
    import matplotlib.pyplot as plt

    out: dict[str, str] = {}
    roles = [r for r in ROLES if len(_arrays(tally.values.get(f"chars_{r}", {}), positive=True)[0])]
    if roles:
        fig, axes = plt.subplots(1, len(roles), figsize=(4 * len(roles), 3), squeeze=False)
        for ax, role in zip(axes[0], roles, strict=True):
            x, w = _arrays(tally.values.get(f"chars_{role}", {}), positive=True)
            ax.hist(x, bins=40, weights=w, color="#4c72b0")
            ax.set_title(f"{role}: characters (n={int(w.sum())})")
            ax.set_xlabel("characters")
        axes[0][0].set_ylabel("records")
        out["Length per role"] = _uri(fig)
    t, w = _arrays(tally.values.get("tokens", {}))
    if len(t):
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.step(t, np.cumsum(w) / w.sum(), where="post", color="#4c72b0")
        if max_seq_len:
            ax.axvline(max_seq_len, color="#c44e52", linestyle="--", label=f"max-seq-len {max_seq_len}")
            ax.legend(loc="lower right")
        ax.set_xlabel("tokens (chat template applied)")
        ax.set_ylabel("share of records ≤ x")
        ax.set_title("Token length CDF")
        out["Token length CDF"] = _uri(fig)
    langs = sorted(tally.values.get("lang", {}).items(), key=lambda kv: (-kv[1], str(kv[0])))[:12]
    if langs:
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.bar([str(k) for k, _ in langs], [c for _, c in langs], color="#55a868")
        ax.set_yscale("log")
        ax.set_title("Languages (log scale)")
        ax.set_ylabel("records")
        out["Language distribution"] = _uri(fig)
    # Each duplicate plot draws what its check counted: sum over groups of (size - 1) == the check's flagged
    # count. Exact copies used to be drawn as near-duplicate clusters (13 clusters where the check said 0).
    out["Exact duplicate group sizes"] = _sizes_plot(tally.sizes(tally.exact), "exact duplicate group sizes",
                                                     "no exact duplicates", "#c44e52")
    out["Near-duplicate cluster sizes"] = _sizes_plot(tally.sizes(tally.near), "Near-duplicate cluster sizes",
                                                      "no near-duplicate clusters", "#8172b2")
    return out


def _sizes_plot(sizes: dict[int, int], title: str, empty: str, color: str) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3))
    if sizes:
        ax.bar([str(s) for s in sizes], list(sizes.values()), color=color)
    else:
        ax.text(0.5, 0.5, empty, ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("group size (the first record and its copies)")
    ax.set_ylabel("groups")
    ax.set_title(title[0].upper() + title[1:] + f" ({sum(sizes.values())} groups)")
    return _uri(fig)
