"""The report's plots as PNG data URIs (embedded, so report.html is one self-contained file)."""

from __future__ import annotations

import base64
import io

import numpy as np
import polars as pl

from dataforge.quality.features import ROLES
from dataforge.quality.summary import exact_group_sizes, near_cluster_sizes, valid_columns


def _uri(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def make_plots(df: pl.DataFrame, max_seq_len: int | None) -> dict[str, str]:
    """Title -> data URI. Only plots with data are made."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and CI
    import matplotlib.pyplot as plt

    valid = valid_columns(df)
    out: dict[str, str] = {}
    roles = [r for r in ROLES if valid[f"chars_{r}"].sum() > 0]
    if roles:
        fig, axes = plt.subplots(1, len(roles), figsize=(4 * len(roles), 3), squeeze=False)
        for ax, role in zip(axes[0], roles, strict=True):
            x = valid.filter(pl.col(f"chars_{role}") > 0)[f"chars_{role}"].to_numpy()
            ax.hist(x, bins=40, color="#4c72b0")
            ax.set_title(f"{role}: characters (n={len(x)})")
            ax.set_xlabel("characters")
        axes[0][0].set_ylabel("records")
        out["Length per role"] = _uri(fig)
    if "tokens" in valid.columns and valid.height:
        t = np.sort(valid["tokens"].to_numpy())
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.plot(t, np.arange(1, len(t) + 1) / len(t), color="#4c72b0")
        if max_seq_len:
            ax.axvline(max_seq_len, color="#c44e52", linestyle="--", label=f"max-seq-len {max_seq_len}")
            ax.legend(loc="lower right")
        ax.set_xlabel("tokens (chat template applied)")
        ax.set_ylabel("share of records ≤ x")
        ax.set_title("Token length CDF")
        out["Token length CDF"] = _uri(fig)
    langs = valid["lang"].value_counts(sort=True).head(12)
    if langs.height:
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.bar(langs["lang"].to_list(), langs["count"].to_list(), color="#55a868")
        ax.set_yscale("log")
        ax.set_title("Languages (log scale)")
        ax.set_ylabel("records")
        out["Language distribution"] = _uri(fig)
    # Each duplicate plot draws what its check counted: sum over groups of (size - 1) == the check's flagged
    # count. Exact copies used to be drawn as near-duplicate clusters (13 clusters where the check said 0).
    out["Exact duplicate group sizes"] = _sizes_plot(exact_group_sizes(df), "exact duplicate group sizes",
                                                     "no exact duplicates", "#c44e52")
    out["Near-duplicate cluster sizes"] = _sizes_plot(near_cluster_sizes(df), "Near-duplicate cluster sizes",
                                                      "no near-duplicate clusters", "#8172b2")
    return out


def _sizes_plot(sizes: pl.Series, title: str, empty: str, color: str) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3))
    if sizes.len():
        counts = sizes.value_counts().sort("size")
        ax.bar([str(s) for s in counts["size"].to_list()], counts["count"].to_list(), color=color)
    else:
        ax.text(0.5, 0.5, empty, ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("group size (the first record and its copies)")
    ax.set_ylabel("groups")
    ax.set_title(title[0].upper() + title[1:] + f" ({sizes.len()} groups)")
    return _uri(fig)
