"""The duplicate plots draw what their checks counted: exact copies are not near-duplicate clusters."""

import json

from dataforge.quality import plots
from dataforge.quality.features import build_features
from dataforge.quality.load import load
from dataforge.quality.tally import Tally
from tests.quality.helpers import SAMPLE, expected_flags, write_planted


def _drawn(monkeypatch, df) -> dict[str, list[int]]:
    seen: dict[str, list[int]] = {}

    def capture(sizes, title, empty, color):
        seen[title] = sorted(size for size, groups in sizes.items() for _ in range(groups))
        return "data:image/png;base64,"

    monkeypatch.setattr(plots, "_sizes_plot", capture)
    tally = Tally(df.columns)
    tally.add(df, [])
    out = plots.make_plots(tally, None)
    assert "Near-duplicate cluster sizes" in out and "Exact duplicate group sizes" in out
    return {"exact": seen["exact duplicate group sizes"], "near": seen["Near-duplicate cluster sizes"]}


def test_exact_copies_are_not_drawn_as_near_duplicate_clusters(tmp_path, monkeypatch):
    lines = (SAMPLE / "chat_tr.jsonl").read_text(encoding="utf-8").splitlines()[:20]
    path = tmp_path / "copies.jsonl"
    path.write_text("\n".join(lines + lines[:13]) + "\n", encoding="utf-8")  # 13 exact copies, no near copy
    df = build_features(load([str(path)]))
    assert int(df["exact_dup"].sum()) == 13 and int(df["near_dup"].sum()) == 0
    assert _drawn(monkeypatch, df) == {"exact": [2] * 13, "near": []}


def test_sizes_add_up_to_the_flagged_counts(tmp_path, monkeypatch):
    from dataforge.quality.gate import run_gate

    path = write_planted(tmp_path / "p.jsonl")
    drawn = _drawn(monkeypatch, build_features(load([str(path)])))
    flags = expected_flags()
    assert sum(s - 1 for s in drawn["exact"]) == len(flags["exact_duplicates"]) == 1
    assert sum(s - 1 for s in drawn["near"]) == len(flags["near_duplicates"]) == 1
    res = run_gate([str(path)], report_dir=str(tmp_path / "r"), data_docs=False)
    stats = json.loads(open(res.report_json).read())["stats"]
    assert stats["near_duplicate_clusters"] == 1 and stats["cluster_sizes"] == {"2": 1}
    assert stats["exact_duplicate_groups"] == 1
