"""The quality gate: records → features → expectation suite (great-expectations) → report.json + report.html.
`dataforge check` is a thin wrapper around `run_gate`; `dataforge train` calls it before training."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dataforge.errors import Problem, UsageError
from dataforge.io import AtomicWriter

if TYPE_CHECKING:
    import polars as pl

    from dataforge.quality.load import Loaded


@dataclass
class GateResult:
    passed: bool
    report_json: str  # path
    report_html: str  # path
    summary: dict[str, Any]  # the report.json content
    # names of the gated checks that failed, plus "no_valid_records" when nothing could be checked: what
    # `train` and the service name when they refuse data
    failed_checks: list[str] = field(default_factory=list)


REPORT_LANGS = ("tr", "en")


def run_gate(paths: list[str], *, suite: str | None = None, report_dir: str, tokenizer: str | None = None,
             max_seq_len: int | None = None, lang: str = "tr", backend: str = "default",
             data_docs: bool = True, report_lang: str | None = None, allow_extra: bool = False,
             on_problem: Callable[[Problem], None] | None = None,
             progress: Callable[[str], None] | None = None, show_progress: bool = False,
             chat_template: str | None = None, chat_system: str = "fold", default_system: str = "keep",
             compare_tokenizers: list[str] | None = None) -> GateResult:
    """Check `paths` against `suite` (a file, a shipped suite name, or None for turkish_sft) and write the
    report into `report_dir`, in `report_lang` (tr or en; default Turkish for --lang tr). `show_progress`
    draws a bar per stage on a terminal; `progress` gets one line per finished stage otherwise. Raises
    UsageError/InputError for bad options, suites or unreadable files.
    `chat_template` (train passes the one it trains with) replaces the tokenizer's own for the token count.
    `compare_tokenizers`: more tokenizers whose Turkish fit goes beside `tokenizer`'s (report "tokenizers")."""
    from dataforge.quality.stages import Stages

    report_lang = report_lang or ("tr" if lang == "tr" else "en")
    if report_lang not in REPORT_LANGS:
        raise UsageError(f"--report-lang {report_lang}: choose one of {', '.join(REPORT_LANGS)}")
    if max_seq_len is not None and max_seq_len <= 0:
        raise UsageError(f"--max-seq-len must be a positive number of tokens, got {max_seq_len}")
    stages = Stages(show=show_progress, say=progress)
    try:
        return _run(paths, suite, report_dir, tokenizer, max_seq_len, lang, backend, data_docs, report_lang,
                    on_problem, stages, allow_extra, chat_template, (chat_system, default_system),
                    compare_tokenizers or [])
    finally:
        stages.close()


def _run(paths, suite, report_dir, tokenizer, max_seq_len, lang, backend, data_docs, report_lang, on_problem,
         stages, allow_extra, chat_template, chat, compare_tokenizers) -> GateResult:
    from dataforge.quality.features import build_features
    from dataforge.quality.load import load
    from dataforge.quality.suite import load_suite, suite_path

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
    with stages.stage("read", None) as advance:
        loaded = load(paths, on_record=advance, allow_extra=allow_extra)
    if on_problem:
        for rej in loaded.rejected:
            for p in rej.problems:
                on_problem(p)
    df = build_features(loaded, lang=lang, backend=backend, tokenizer=tok, max_seq_len=max_seq_len, stages=stages,
                        chat=chat)
    fit = None
    if tok is not None:  # how the tokenizer(s) fit Turkish text
        def fit():
            return _tokenizer_fit(loaded.records, tokenizer, tok, df, compare_tokenizers, max_seq_len, chat)
    options = {"lang": lang, "language_backend": backend, "tokenizer": tokenizer, "max_seq_len": max_seq_len}
    return write_report(loaded, df, spec, spath, report_dir, options=options, data_docs=data_docs,
                        report_lang=report_lang, stages=stages, tokenizer_fit=fit)


def write_report(loaded: Loaded, df: pl.DataFrame, spec, spath: str, report_dir: str, *, options: dict,
                 data_docs: bool, report_lang: str, stages, tokenizer_fit: Callable[[], list] | None = None,
                 texts: Callable[[list[int]], dict[int, str]] | None = None,
                 suite_chunk_rows: int | None = None) -> GateResult:
    """Suite → report.json + report.html from a feature frame, however it was computed (here, or block by block
    on a cluster by dataforge.engine). The frame is read slice by slice (`suite_chunk_rows` rows at a time; the
    whole frame when None) into a quality.tally.Tally, and GX validates the slices where the results are the
    same (gx_run.run_suite_sliced), so the report's own memory does not grow with the frame: the Ray engine's
    frame is memory-mapped from disk. Only the rows the report quotes are read whole, with their texts from
    `texts(rows) -> {row: text}` when an engine kept the frame without its text column."""
    from dataforge.quality.gx_run import check_name, run_suite_sliced
    from dataforge.quality.suite import check_columns
    from dataforge.quality.tally import Tally

    run, skipped = check_columns(spec, df.columns)
    os.makedirs(report_dir, exist_ok=True)
    tally = Tally(df.columns, [check_name(e) for e in run])
    docs_dir = os.path.join(report_dir, "data_docs") if data_docs else None
    features = df.drop("text")
    with stages.stage(f"suite {spec.name}", len(run), "expectations") as advance:
        outcomes = run_suite_sliced(features, run, spec.name, docs_dir, tally.add, suite_path=spath,
                                    chunk_rows=suite_chunk_rows)
        advance(len(run))
    rows_df = _quoted(df, tally.example_rows(), texts)
    from dataforge.quality.html import render
    from dataforge.quality.plots import make_plots
    from dataforge.quality.report import build_report

    with stages.stage("report", 3, "files") as advance:
        summary = build_report(loaded, tally, rows_df, outcomes, skipped, suite={"name": spec.name, "path": spath},
                               options=options, report_lang=report_lang)
        if docs_dir and os.path.exists(os.path.join(docs_dir, "index.html")):
            summary["data_docs"] = "data_docs/index.html"
        if tokenizer_fit is not None:
            summary["tokenizers"] = tokenizer_fit()
        json_path = os.path.join(report_dir, "report.json")
        html_path = os.path.join(report_dir, "report.html")
        _write(json_path, json.dumps(summary, ensure_ascii=False, indent=2, default=str).encode() + b"\n")
        advance(1)
        plots = make_plots(tally, options.get("max_seq_len"))
        advance(1)
        page = render(summary, plots)
        if summary.get("tokenizers"):
            from dataforge.quality.tokenizer_fit import table_html

            page = page.replace("</body>", table_html(summary["tokenizers"]) + "</body>", 1)
        _write(html_path, page.encode())
        advance(1)
    return GateResult(passed=summary["passed"], report_json=json_path, report_html=html_path, summary=summary,
                      failed_checks=list(summary["failed_checks"]))


def _quoted(df: pl.DataFrame, rows: list[int], texts) -> pl.DataFrame:
    """The rows the report quotes and the first records of their duplicate groups (row == position), whole."""
    import polars as pl

    firsts = df.select(pl.col(c).gather(rows) for c in ("exact_group", "near_cluster") if c in df.columns)
    wanted = sorted(set(rows).union(*(set(firsts[c].drop_nulls().to_list()) for c in firsts.columns)))
    out = df.select(pl.all().gather(wanted))
    if texts is not None:
        got = texts(wanted)
        out = out.with_columns(pl.Series("text", [got.get(r) for r in wanted], dtype=pl.String))
    return out


def _tokenizer_fit(records, name, tok, df, others: list[str], max_seq_len, chat) -> list[dict]:
    """Fit figures of the gate's tokenizer (its token counts reused) and of each one to compare."""
    from dataforge.quality.tokenizer_fit import fit
    from dataforge.quality.tokens import default_max_len, load_tokenizer, token_counts

    valid = df.filter(df["valid"])["tokens"].to_list() if "tokens" in df.columns else None
    out = [fit(records, tok, name, valid, max_seq_len)]
    for other in others:
        if other == name:
            continue
        t = load_tokenizer(other)
        limit = max_seq_len or default_max_len(t)
        out.append(fit(records, t, other, token_counts(records, t, *chat), limit))
    return out


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
