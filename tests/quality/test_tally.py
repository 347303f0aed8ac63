"""The report's tally: the same report.json however the frame is sliced, and value-count statistics equal to
polars' own on the values."""

from __future__ import annotations

import json
from collections import Counter

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from dataforge.quality.features import build_features
from dataforge.quality.gate import write_report
from dataforge.quality.load import load
from dataforge.quality.stages import Stages
from dataforge.quality.suite import load_suite, suite_path
from dataforge.quality.tally import describe
from tests.quality.helpers import PLANTED, SAMPLE, write_planted


def _polars_describe(values: list[int]) -> dict:
    s = pl.Series(values, dtype=pl.Int64)
    return {"min": int(s.min()), "median": float(s.median()), "p95": float(s.quantile(0.95)), "max": int(s.max()),
            "mean": round(float(s.mean()), 1)}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=40_000), min_size=1, max_size=400))
def test_describe_from_value_counts_is_polars_on_the_values(values):
    assert describe(Counter(values)) == _polars_describe(values)


def test_describe_of_nothing_is_empty():
    assert describe({}) == {}


def _report(paths: list[str], out, chunk_rows: int | None, data_docs: bool = False) -> dict:
    loaded = load(paths)
    df = build_features(loaded)
    spath = suite_path(None)
    write_report(loaded, df, load_suite(spath), spath, str(out), options={"lang": "tr"}, data_docs=data_docs,
                 report_lang="en", stages=Stages(), suite_chunk_rows=chunk_rows)
    return json.loads((out / "report.json").read_text())


def test_report_is_the_same_however_the_frame_is_sliced(tmp_path):
    # two files, so the advice names lines per file; the planted problems in the first, and in the second
    # enough asciified records that the check flags more than the ten lines its advice names per file
    a = write_planted(tmp_path / "a.jsonl", clean_records=30)
    asciified = next(rec for name, rec, _ in PLANTED if name == "asciified")
    lines = (SAMPLE / "chat_tr.jsonl").read_text(encoding="utf-8").splitlines()[30:50]
    lines += [json.dumps(asciified, ensure_ascii=False).replace("iki", f"{i + 2} tane") for i in range(14)]
    b = tmp_path / "b.jsonl"
    b.write_text("\n".join(lines) + "\n", encoding="utf-8")
    paths = [str(a), str(b)]
    whole = _report(paths, tmp_path / "whole", None)
    asc = next(c for c in whole["checks"] if c["name"] == "asciified")
    assert asc["flagged"] == 16 and len(asc["examples"]) == 5
    assert "a.jsonl lines " in asc["advice"]["fix"] and "b.jsonl lines " in asc["advice"]["fix"]
    assert " and 4 more" in asc["advice"]["fix"]  # 14 in b.jsonl: ten named
    # what clean keeps of them, counted on the whole frame: not dropped for a language, a copy or a blank turn
    df = build_features(load(paths))
    kept = df.filter(pl.col("asciified").fill_null(False) & pl.col("lang_ok") & ~pl.col("exact_dup")
                     & ~pl.col("near_dup") & (pl.col("empty_turns") == 0))
    assert whole["summary"]["after_clean"]["still_flagged"]["asciified"] == kept.height > 0
    for rows in (1, 7, 50):
        assert _report(paths, tmp_path / f"by{rows}", rows) == whole, rows
    # Data Docs: GX validates the whole frame once, and the tally cuts its unexpected rows at the slices' edges
    docs = _report(paths, tmp_path / "docs", 7, data_docs=True)
    assert docs.pop("data_docs") == "data_docs/index.html"
    assert docs == whole
