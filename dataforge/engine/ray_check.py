"""`dataforge check --engine ray`: the quality gate with the per-record work on a Ray cluster.

1. Ray Data maps over the input blocks: each task parses its block and runs quality.features.build_features on
   it (features, PII, mojibake, language, repetition: the local code) with the duplicate columns left open, and
   computes the block's MinHash signatures (the local function). Blocks stay in the object store.
2. Exact and near duplicates are found across blocks (engine.ray_duplicates).
3. The driver takes the feature table (without its text column) block by block, fills the duplicate columns
   and writes each block's part to an uncompressed Arrow IPC file in a temporary directory on its disk; the
   table is then read back memory-mapped (file-backed pages the kernel can drop, not the driver's heap) and
   handed to the same suite and report code as the local engine. The suite is validated SUITE_CHUNK_ROWS rows
   at a time (quality.gx_run.run_suite_chunked: exact for row-local expectations, which are all the shipped
   suites hold; other expectations, and a run that builds Data Docs, validate the whole table at once). The few
   texts the report quotes are fetched afterwards.
So report.json equals the local engine's up to timings. Chosen over per-block partial aggregates because it is
exact by construction (GX itself judges every row) and reuses the report code as is. The report is added up from
the suite's slices (quality.tally): per check the counts, the first rows and lines; value counts of the lengths,
language and token figures for the statistics and plots (exact medians and quantiles from counts). So no list as
long as the input is kept in the driver's heap; what still grows with the input there: the duplicate maps (an
entry per duplicate, not per record) and the rejected records' rows. Measured: ~0.05 KiB a record from 100k to
300k records (before the tally: ~0.17; with the table in the heap: ~1.0). The spill needs about the table's
in-memory size on disk (~0.23 KB a record). Figures: bench/RESULTS.md."""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import tempfile

import numpy as np
import polars as pl

from dataforge.engine import input_blocks
from dataforge.engine.ray_cluster import connected
from dataforge.engine.ray_duplicates import clusters, exact_duplicates, near_pairs
from dataforge.errors import UsageError
from dataforge.quality.load import Loaded
from dataforge.quality.near_duplicates import PARAMS

# GX validates the table this many rows at a time: its pandas copy is of one slice, not of the whole table
SUITE_CHUNK_ROWS = 50_000


class LoadedCounts(Loaded):
    """Loaded as the report reads it, without the records themselves (they stay on the cluster)."""

    def __init__(self, valid: int, rejected: list, files: list):
        super().__init__(records=[], rejected=rejected, files=files)
        self._valid = valid

    @property
    def valid(self) -> int:
        return self._valid


def _frame_bytes(df: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.write_ipc(buf)
    return buf.getvalue()


def _frame(b: bytes) -> pl.DataFrame:
    return pl.read_ipc(io.BytesIO(b))


def _check_block(batch: dict, opts: dict) -> dict:
    """One input block → its feature frame, signatures and rejects (runs on a worker)."""
    from dataforge.engine.ray_tokens import block_tokens
    from dataforge.quality.features import build_features
    from dataforge.quality.near_duplicates import shingles_from_words, signatures, word_hashes

    spec = input_blocks.Spec.from_batch(batch)
    block = input_blocks.parse(spec, allow_extra=opts["allow_extra"])
    loaded = Loaded(records=block.records, rejected=block.rejected, files=[block.summary])
    df, fit, token_error = block_tokens(block.records, opts["tokens"], lambda **tok: build_features(
        loaded, lang=opts["lang"], backend=opts["backend"], whole_input=False, **tok))
    n = len(block.records)
    texts = df["text"].head(n)
    doc, h = shingles_from_words(*word_hashes(texts), n, PARAMS.shingle)
    sig = signatures(doc, h, n, PARAMS)
    active = np.unique(doc)
    return {"block": np.array([spec.index]), "n_valid": np.array([n]), "n_rejected": np.array([len(block.rejected)]),
            "frame": np.array([_frame_bytes(df)], dtype=object),
            "sig": np.array([sig[active].tobytes()], dtype=object),
            "sig_rows": np.array([active.astype(np.int64).tobytes()], dtype=object),
            "rejected": np.array([pickle.dumps(block.rejected)], dtype=object),
            "summary": np.array([pickle.dumps(block.summary)], dtype=object),
            "fit": np.array([fit], dtype=object), "token_error": np.array([token_error], dtype=object)}


def _exact_keys(batch: dict, voff: np.ndarray) -> dict:
    keys, ords = [], []
    for b, n, fr in zip(batch["block"], batch["n_valid"], batch["frame"], strict=True):
        h = _frame(fr)["exact_hash"].head(int(n)).to_numpy()
        keys.append(h.astype(np.uint64))
        ords.append(voff[b] + np.arange(int(n), dtype=np.int64))
    key = np.concatenate(keys)
    return {"key": key, "key2": np.zeros(len(key), np.uint64), "ord": np.concatenate(ords)}


def _signatures(batch: dict, voff: np.ndarray) -> dict:
    sigs, ords = [], []
    for b, s, rows in zip(batch["block"], batch["sig"], batch["sig_rows"], strict=True):
        sigs.append(np.frombuffer(s, dtype=np.uint32).reshape(-1, PARAMS.num_perm))
        ords.append(voff[b] + np.frombuffer(rows, dtype=np.int64))
    return {"ord": np.concatenate(ords), "sig": np.concatenate(sigs)}


def _texts(batch: dict, voff: np.ndarray, wanted: np.ndarray) -> dict:
    rows, texts = [], []
    for b, n, fr in zip(batch["block"], batch["n_valid"], batch["frame"], strict=True):
        g = voff[b] + np.arange(int(n), dtype=np.int64)
        hit = np.flatnonzero(np.isin(g, wanted))
        if len(hit):
            rows += g[hit].tolist()
            texts += _frame(fr)["text"].gather(hit).to_list()
    return {"row": np.array(rows, dtype=np.int64), "text": np.array(texts, dtype=object)}


def run_gate_ray(paths: list[str], *, address: str | None = None, suite: str | None = None, report_dir: str,
                 lang: str = "tr", backend: str = "default", data_docs: bool = True, report_lang: str | None = None,
                 allow_extra: bool = False, on_problem=None, progress=None, tokenizer: str | None = None,
                 max_seq_len: int | None = None, chat_template: str | None = None, chat_system: str = "fold",
                 default_system: str = "keep", compare_tokenizers: list[str] | None = None,
                 block_bytes: int = input_blocks.BLOCK_BYTES, partitions: int | None = None):
    """run_gate's result, computed on a Ray cluster (see the module doc; the token columns and the tokenizer-fit
    table: engine.ray_tokens). Same errors as run_gate."""
    from dataforge.engine import ray_tokens
    from dataforge.quality.gate import REPORT_LANGS, write_report
    from dataforge.quality.stages import Stages
    from dataforge.quality.suite import load_suite, suite_path

    report_lang = report_lang or ("tr" if lang == "tr" else "en")
    if report_lang not in REPORT_LANGS:
        raise UsageError(f"--report-lang {report_lang}: choose one of {', '.join(REPORT_LANGS)}")
    spath = suite_path(suite)
    spec = load_suite(spath)
    topts = ray_tokens.options(tokenizer, max_seq_len, chat_template, (chat_system, default_system),
                               compare_tokenizers or [])
    specs = input_blocks.plan(paths, "auto", block_bytes)
    stages = Stages(say=progress)
    with contextlib.ExitStack() as stack:
        ray = stack.enter_context(connected(address))
        opts = {"lang": lang, "backend": backend, "allow_extra": allow_extra, "tokens": topts}
        with stages.stage("ray: features", len(specs), "blocks"):
            blocks = (ray.data.from_items([s.__dict__ for s in specs], override_num_blocks=len(specs))
                      .map_batches(_check_block, batch_size=1, fn_kwargs={"opts": opts})
                      .materialize())
        ray_tokens.raise_first_error(blocks)
        counts, rejected, summaries = _gather_meta(blocks, len(specs))
        voff = np.r_[0, np.cumsum(counts[:, 0])][:-1].astype(np.int64)
        n_valid = int(counts[:, 0].sum())
        parts = partitions or max(1, min(64, len(specs)))
        with stages.stage("ray: duplicates", n_valid):
            dup_ord, dup_first = exact_duplicates(
                blocks.map_batches(_exact_keys, fn_kwargs={"voff": voff}, batch_format="numpy"), parts)
            nodes, labels, sizes = clusters(near_pairs(
                blocks.map_batches(_signatures, fn_kwargs={"voff": voff}, batch_format="numpy"), parts))
        spill = stack.enter_context(tempfile.TemporaryDirectory(prefix="dataforge-check-"))
        df = _feature_table(blocks, voff, counts, n_valid, spill,
                            lambda part: _fill_duplicates(part, (dup_ord, dup_first), (nodes, labels, sizes)))
        if on_problem:
            for rej in rejected:
                for p in rej.problems:
                    on_problem(p)
        loaded = LoadedCounts(n_valid, rejected, input_blocks.merge_summaries(summaries))

        def texts(rows: list[int]) -> dict[int, str]:
            wanted = np.array(rows, dtype=np.int64)
            got = _collect_texts(blocks.map_batches(_texts, fn_kwargs={"voff": voff, "wanted": wanted},
                                                    batch_format="numpy"))
            return dict(zip(got["row"].to_list(), got["quoted"].to_list(), strict=True))

        options = {"lang": lang, "language_backend": backend, "tokenizer": tokenizer,
                   "max_seq_len": topts["max_seq_len"] if topts else max_seq_len}
        fit = (lambda: ray_tokens.fit_table(blocks, topts)) if topts else None
        try:
            return write_report(loaded, df, spec, spath, report_dir, options=options, data_docs=data_docs,
                                report_lang=report_lang, stages=stages, texts=texts,
                                suite_chunk_rows=SUITE_CHUNK_ROWS, tokenizer_fit=fit)
        finally:
            stages.close()


def _gather_meta(blocks, n: int) -> tuple[np.ndarray, list, list]:
    counts = np.zeros((n, 2), dtype=np.int64)
    rejected: list[list] = [[] for _ in range(n)]
    summaries: list = [None] * n
    for row in blocks.select_columns(["block", "n_valid", "n_rejected", "rejected", "summary"]).iter_rows():
        b = int(row["block"])
        counts[b] = (row["n_valid"], row["n_rejected"])
        rejected[b] = pickle.loads(row["rejected"])
        summaries[b] = pickle.loads(row["summary"])
    return counts, [r for part in rejected for r in part], summaries


def _feature_table(blocks, voff: np.ndarray, counts: np.ndarray, n_valid: int, spill: str,
                   fill) -> pl.DataFrame:
    """Valid rows of every block in input order, then rejected rows, numbered as the local engine numbers them;
    the text column is kept (for its place) but empty. `fill` completes a part (the duplicate columns).
    Each part is written to an uncompressed Arrow IPC file in `spill` as its block arrives and the table is read
    back memory-mapped: its pages are the page cache's (file-backed, the kernel drops them under pressure), not
    the driver's heap, so the driver never holds more than a block of it at once."""
    roff = np.r_[0, np.cumsum(counts[:, 1])][:-1]
    first: pl.DataFrame | None = None  # the first valid block's columns and types (no rows)
    first_block = len(counts)
    valid_files: dict[int, str] = {}
    rejected: dict[int, pl.DataFrame] = {}  # as many rows as rejected records: written after the valid ones
    for row in blocks.select_columns(["block", "frame"]).iter_rows():
        b = int(row["block"])
        df = _frame(row["frame"]).with_columns(pl.lit(None, pl.String).alias("text"))
        n = int(counts[b, 0])
        if n:
            if b < first_block:  # blocks arrive in any order
                first, first_block = df.head(0), b
            valid_files[b] = os.path.join(spill, f"valid_{b:08d}.arrow")
            fill(df.head(n).with_columns((pl.col("row") + int(voff[b])).alias("row"))).write_ipc(valid_files[b])
        if df.height > n:
            # a copy of the few rejected rows: a slice would share, and so keep alive, the whole block's buffers
            # (every block with one rejected record held its frame: ~8 MB a block, 45 blocks at 1M records)
            rejected[b] = _copy(df.slice(n).with_columns((pl.col("row") - n + n_valid + int(roff[b])).alias("row")))
    if first is None:
        parts = [fill(rejected[b]) for b in sorted(rejected)]
        return pl.concat(parts, how="diagonal") if parts else pl.DataFrame()
    first = fill(first)  # as the local engine's one frame has them
    parts = [_mapped(valid_files[b]) for b in sorted(valid_files)]
    for i, b in enumerate(sorted(rejected)):
        path = os.path.join(spill, f"rejected_{i:08d}.arrow")
        pl.concat([first, fill(rejected[b])], how="diagonal").select(first.columns).write_ipc(path)
        parts.append(_mapped(path))
    return pl.concat([first, *parts], how="diagonal", rechunk=False).select(first.columns)


def _copy(df: pl.DataFrame) -> pl.DataFrame:
    """A frame with buffers of its own (polars slices and selections share their parent's)."""
    buf = io.BytesIO()
    df.write_ipc(buf)
    return pl.read_ipc(buf.getvalue())


def _mapped(path: str) -> pl.DataFrame:
    """An IPC file as a frame over its memory-mapped pages, without a copy (polars' own read_ipc copies the string
    views into the heap; pyarrow's memory map does not, and from_arrow keeps its buffers)."""
    import pyarrow as pa

    return pl.from_arrow(pa.ipc.open_file(pa.memory_map(path)).read_all(), rechunk=False)


def _fill_duplicates(df: pl.DataFrame, exact: tuple, near: tuple) -> pl.DataFrame:
    if "exact_hash" not in df.columns:
        return df
    ex = pl.DataFrame({"row": exact[0], "_first": exact[1]}, schema={"row": pl.Int64, "_first": pl.Int64})
    nr = pl.DataFrame({"row": near[0], "_label": near[1], "_size": near[2]},
                      schema={"row": pl.Int64, "_label": pl.Int64, "_size": pl.Int64})
    df = df.join(ex, on="row", how="left", maintain_order="left").join(nr, on="row", how="left",
                                                                        maintain_order="left")
    valid = pl.col("valid")
    df = df.with_columns(
        pl.when(valid).then(pl.coalesce("_first", "row")).alias("exact_group"),
        pl.when(valid).then(pl.col("_first").is_not_null()).alias("exact_dup"),
        pl.when(valid).then(pl.coalesce("_label", "row")).alias("near_cluster"),
        pl.when(valid).then(pl.coalesce("_size", pl.lit(1, pl.Int64))).alias("near_cluster_size"))
    df = df.with_columns(pl.when(valid).then((pl.col("near_cluster") != pl.col("row")) & ~pl.col("exact_dup"))
                         .alias("near_dup"))
    return df.drop("_first", "_label", "_size", "exact_hash")


def _collect_texts(ds) -> pl.DataFrame:
    rows, texts = [], []
    for batch in ds.iter_batches(batch_format="numpy", batch_size=None):
        rows += batch["row"].tolist()
        texts += [str(t) for t in batch["text"]]
    return pl.DataFrame({"row": rows, "quoted": texts}, schema={"row": pl.Int64, "quoted": pl.String})
