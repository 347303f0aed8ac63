"""The quality gate: records → features → expectation suite (great-expectations) → report.json + report.html.
`dataforge check` is a thin wrapper around `run_gate`; `dataforge train` calls it before training."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dataforge.errors import Problem, UsageError
from dataforge.io import AtomicWriter


@dataclass
class GateResult:
    passed: bool
    report_json: str  # path
    report_html: str  # path
    summary: dict[str, Any]  # the report.json content


def run_gate(paths: list[str], *, suite: str | None = None, report_dir: str, tokenizer: str | None = None,
             max_seq_len: int | None = None, lang: str = "tr", backend: str = "default",
             data_docs: bool = True, on_problem: Callable[[Problem], None] | None = None,
             progress: Callable[[str], None] | None = None, chat_template: str | None = None) -> GateResult:
    """Check `paths` against `suite` (a file, a shipped suite name, or None for turkish_sft) and write the
    report into `report_dir`. `chat_template` replaces the tokenizer's own for the token counts (train passes the
    template it trains with). Raises UsageError/InputError for bad options, suites or unreadable files."""
    import time

    from dataforge.quality.features import build_features
    from dataforge.quality.load import load
    from dataforge.quality.suite import check_columns, load_suite, suite_path

    start = time.perf_counter()

    def say(msg: str) -> None:
        if progress:
            progress(f"{msg} (at {time.perf_counter() - start:.1f} s)")

    if max_seq_len is not None and max_seq_len <= 0:
        raise UsageError(f"--max-seq-len must be a positive number of tokens, got {max_seq_len}")
    spath = suite_path(suite)
    spec = load_suite(spath)  # a bad suite fails before any slow work
    tok = None
    if tokenizer:
        from dataforge.quality.tokens import default_max_len, load_tokenizer

        tok = load_tokenizer(tokenizer)
        if chat_template:
            tok.chat_template = chat_template
        max_seq_len = max_seq_len or default_max_len(tok)
    _import_gx_in_background()
    say("reading records")
    loaded = load(paths)
    if on_problem:
        for rej in loaded.rejected:
            for p in rej.problems:
                on_problem(p)
    say(f"computing features of {len(loaded.records)} records")
    df = build_features(loaded, lang=lang, backend=backend, tokenizer=tok, max_seq_len=max_seq_len)
    run, skipped = check_columns(spec, df.columns)
    os.makedirs(report_dir, exist_ok=True)
    say(f"running suite {spec.name} ({len(run)} expectations) through great-expectations")
    from dataforge.quality.gx_run import run_suite

    docs_dir = os.path.join(report_dir, "data_docs") if data_docs else None
    outcomes = run_suite(df.drop("text"), run, spec.name, docs_dir, suite_path=spath)
    say("writing the report")
    from dataforge.quality.report import build_report

    options = {"lang": lang, "language_backend": backend, "tokenizer": tokenizer, "max_seq_len": max_seq_len}
    summary = build_report(loaded, df, outcomes, skipped, suite={"name": spec.name, "path": spath},
                           options=options)
    if docs_dir and os.path.exists(os.path.join(docs_dir, "index.html")):
        summary["data_docs"] = "data_docs/index.html"
    json_path = os.path.join(report_dir, "report.json")
    html_path = os.path.join(report_dir, "report.html")
    _write(json_path, json.dumps(summary, ensure_ascii=False, indent=2, default=str).encode() + b"\n")
    from dataforge.quality.html import render
    from dataforge.quality.plots import make_plots

    _write(html_path, render(summary, make_plots(df, max_seq_len)).encode())
    return GateResult(passed=summary["passed"], report_json=json_path, report_html=html_path, summary=summary)


def _import_gx_in_background() -> None:
    """great-expectations takes seconds to import; start it now so it overlaps the feature work (polars and
    numpy release the GIL). The suite runner's own import then finds it loaded."""
    import sys
    import threading

    if "great_expectations" not in sys.modules:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        threading.Thread(target=__import__, args=("great_expectations",), daemon=True).start()


def _write(path: str, data: bytes) -> None:
    w = AtomicWriter(path)
    try:
        w.write(data)
        w.commit()
    except BaseException:
        w.abort()
        raise
