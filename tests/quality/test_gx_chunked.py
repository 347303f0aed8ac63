"""run_suite_chunked (the Ray engine's suite run) gives run_suite's outcomes exactly: counts added up over the
slices, unexpected rows in order, `mostly` decided on the sums (a slice alone would decide it differently)."""

from __future__ import annotations

import dataclasses

import polars as pl

from dataforge.quality.gx_run import row_local, run_suite, run_suite_chunked


def _frame() -> pl.DataFrame:
    n = 1000
    return pl.DataFrame({
        "row": list(range(n)),
        # 15 flagged, all in the first 100 rows: 15% of the first slice, 1.5% of the whole
        "near_dup": [i < 100 and i % 7 == 0 for i in range(n)],
        # nulls (rejected records) are not counted as considered rows
        "pii_email": [None if i % 10 == 3 else int(i in (5, 505, 995)) for i in range(n)],
        "chars_user": [0 if i == 640 else 100 + i for i in range(n)],
    })


SUITE = [
    {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "near_dup", "value_set": [False],
                                                              "mostly": 0.98}, "meta": {"check": "near_duplicates"}},
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "pii_email", "min_value": 0,
                                                               "max_value": 0}, "meta": {"check": "pii_email"}},
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "chars_user", "min_value": 1,
                                                               "max_value": 20000}, "meta": {"check": "length"}},
]


def _plain(outcomes) -> list[dict]:
    return [dataclasses.asdict(o) for o in outcomes]


def test_chunked_outcomes_equal_the_whole_frame_run():
    df = _frame()
    whole = run_suite(df, SUITE, "t", None)
    chunked = run_suite_chunked(df, SUITE, "t", None, chunk_rows=100)
    assert _plain(chunked) == _plain(whole)
    near, email, length = chunked
    assert (near.success, near.unexpected_count, near.element_count) == (True, 15, 1000)  # 1.5% ≤ 2%
    assert near.rows == [i for i in range(100) if i % 7 == 0]
    assert (email.success, email.unexpected_count, email.rows) == (False, 3, [5, 505, 995])
    assert (length.success, length.rows) == (False, [640])


def test_mostly_is_decided_on_the_sums_not_per_slice():
    df = _frame()
    strict = [{**SUITE[0], "kwargs": {**SUITE[0]["kwargs"], "mostly": 0.986}}]  # 98.5% kept: fails
    assert run_suite_chunked(df, strict, "t", None, chunk_rows=100)[0].success is False
    assert run_suite(df, strict, "t", None)[0].success is False
    # the first slice alone (15% flagged) would fail the 0.98 rule that the whole frame passes
    assert run_suite(df.head(100), SUITE[:1], "t", None)[0].success is False
    assert run_suite_chunked(df, SUITE[:1], "t", None, chunk_rows=100)[0].success is True


def test_expectations_that_look_across_rows_run_on_the_whole_frame():
    unique = {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "chars_user"}}
    mean = {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "chars_user", "min_value": 0,
                                                                   "max_value": 700}}
    assert row_local(SUITE) and not row_local([*SUITE, unique]) and not row_local([mean])
    df = _frame().with_columns(pl.when(pl.col("row") == 999).then(100).otherwise(pl.col("chars_user"))
                               .alias("chars_user"))  # row 999 repeats row 0's value, in another slice
    out = run_suite_chunked(df, [unique, mean], "t", None, chunk_rows=100)
    assert _plain(out) == _plain(run_suite(df, [unique, mean], "t", None))
    assert out[0].success is False and sorted(out[0].rows) == [0, 999]
    assert out[1].success is True and round(out[1].observed, 3) == round(df["chars_user"].mean(), 3)
