"""Training rows from the recipe's data: sources -> validated records -> val split -> weighted mix -> token ids and
loss masks (ChatFormat.encode, the label check's own encoding) -> the tokenized cache -> datasets for TRL.

In memory (the default) the records of every source are read, the val split deals near-duplicate clusters whole,
and the mix is drawn from each source's training records. Streaming (data.streaming) reads the files twice: one
validation pass that counts the records of each source (nothing kept), then the rows are drawn, encoded and
trained lazily; memory holds a shuffle buffer, not the data. Either way the rows go through the tokenized cache
(token_cache.py) when data.cache is on: a hit reads them memory-mapped and skips reading and tokenizing entirely.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field

from dataforge.errors import DataError, Problem
from dataforge.progress import Say, silent
from dataforge.records import Record
from dataforge.run.config import Recipe
from dataforge.run.manifest import DataInfo, SourceInfo, TokenCacheInfo, file_ref, now
from dataforge.run.run_dir import RunDir
from dataforge.train import mix, token_cache
from dataforge.train.data import load_records, split_records, write_chat_jsonl

SHUFFLE_BUFFER = 10_000  # rows a stream shuffles among: ~10 MB of token ids at 256 tokens a row


@dataclass
class Prepared:
    # input_ids, assistant_masks, length, trained, source, line: a memory-mapped Dataset from the cache, an
    # in-memory one (data.cache=false), or an IterableDataset (streaming without the cache)
    train: object
    val: object | None
    data: DataInfo
    folded_records: int
    without_system: int
    cache: TokenCacheInfo | None
    problems: list[Problem] = field(default_factory=list)
    tool_records: int = 0  # records with tool calls (the label check's summary names them)


def prepare(recipe: Recipe, run: RunDir, fmt, template: str, say: Say = silent) -> Prepared:
    d = recipe.data
    refs = {p: file_ref(p) for p in [*d.train_paths, *d.val]}
    parts = token_cache.key_parts(recipe, {p: r.sha256 for p, r in refs.items()}, fmt.tokenizer, template,
                                  fmt.stop_ids)
    key = token_cache.cache_key(parts)
    path = token_cache.entry(key)
    if d.cache and token_cache.is_complete(path):
        return _from_cache(recipe, run, refs, key, path, say)
    if d.cache:
        say(f"tokenized cache: miss ({key[:12]}): tokenizing")
    tmp = token_cache.new_entry(key) if d.cache else None
    try:
        prepared = (_streaming if d.streaming else _in_memory)(recipe, run, fmt, refs, tmp)
        if tmp is not None:
            meta = {"key": key, "created": now(), "parts": parts, "files": [refs[p].path for p in refs],
                    "train_rows": prepared.data.train_records, "data": prepared.data.model_dump(),
                    "folded_records": prepared.folded_records, "without_system": prepared.without_system,
                    "tool_records": prepared.tool_records}
            if prepared.data.val_split is not None:
                shutil.copy(run.val_path, tmp / "val.jsonl")
            final = token_cache.commit(tmp, key, meta)
            prepared.train = token_cache.read_rows(final / "train.arrow")
            prepared.val = token_cache.read_rows(final / "val.arrow") if (final / "val.arrow").exists() else None
            prepared.cache = TokenCacheInfo(key=key, path=str(final), hit=False, parts=parts)
            say(f"tokenized cache: wrote {final}")
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return prepared


def _from_cache(recipe, run, refs, key, path, say) -> Prepared:
    meta = token_cache.read_meta(path)
    data = DataInfo.model_validate(meta["data"])
    data.train = [refs[p] for p in recipe.data.train_paths]  # same bytes; the paths as this recipe names them
    data.val = [refs[p] for p in recipe.data.val]
    for info, ref in zip(data.sources, data.train, strict=True):
        info.path = ref.path
    if (path / "val.jsonl").exists():  # the held-out records, into this run (evaluate reads them there)
        shutil.copy(path / "val.jsonl", run.val_path)
        data.val_split = file_ref(run.val_path)
    train = token_cache.read_rows(path / "train.arrow")
    val = token_cache.read_rows(path / "val.arrow") if (path / "val.arrow").exists() else None
    say(f"tokenized cache: hit ({key[:12]}): {len(train):,} rows read from {path}, reading and tokenizing skipped")
    return Prepared(train, val, data, meta["folded_records"], meta["without_system"],
                    TokenCacheInfo(key=key, path=str(path), hit=True, parts=meta["parts"]),
                    tool_records=meta.get("tool_records", 0))


def _in_memory(recipe: Recipe, run: RunDir, fmt, refs, tmp) -> Prepared:
    d = recipe.data
    sources = d.sources()
    per_source = [load_records([s.path], d.format, d.allow_extra) for s in sources]
    if d.val:
        val_recs = load_records(d.val, d.format, d.allow_extra)
        val_from = "data.val"
        train_lists = per_source
    else:
        everything = [r for recs in per_source for r in recs]
        _, val_recs = split_records(everything, d.val_fraction, recipe.seed)
        held = {id(r) for r in val_recs}
        train_lists = [[r for r in recs if id(r) not in held] for recs in per_source]
        val_from = f"val_fraction={d.val_fraction} (near-duplicate clusters kept on one side)"
    takes = _takes(sources, [len(t) for t in train_lists])
    problems: list[Problem] = []
    streams = [mix.expand(_rows(fmt, recs, i, recipe, problems), take, recipe.seed)
               for i, (recs, take) in enumerate(zip(train_lists, takes, strict=True))]
    rows = mix.interleave(streams, [t.drawn for t in takes], recipe.seed)
    val_rows = _rows(fmt, val_recs, -1, recipe, problems)
    train_ds, val_ds = _materialise(rows, val_rows if val_recs else None, tmp)
    if problems:
        raise DataError(f"{len({(p.path, p.line) for p in problems})} record(s) cannot be encoded for training",
                        problems)
    val_split = file_ref(write_chat_jsonl(val_recs, run.val_path)) if val_recs else None
    every = [r for recs in train_lists for r in recs] + val_recs
    folded, without = _template_counts(fmt, every)
    data = _data_info(recipe, refs, takes, len(val_recs), val_from, val_split)
    return Prepared(train_ds, val_ds, data, folded, without, None, tool_records=sum(map(_calls, every)))


def _streaming(recipe: Recipe, run: RunDir, fmt, refs, tmp) -> Prepared:
    """Two passes over the files, neither holding them: count (and validate), then draw and encode lazily."""
    from dataforge.validate import iter_records

    d = recipe.data
    sources = d.sources()
    counts, folded, without, tools = [], 0, 0, 0
    problems: list[Problem] = []
    for s in sources:
        n = 0
        for rec in iter_records(s.path, d.format, allow_extra=d.allow_extra, on_problem=problems.append):
            n += 1
            f, w = _template_counts(fmt, [rec])
            folded, without, tools = folded + f, without + w, tools + _calls(rec)
        counts.append(n)
    if problems:
        raise DataError(f"{len(problems)} problem(s) in the training data: fix them or filter with "
                        "`dataforge validate --out`", problems)
    takes = _takes(sources, counts)
    val_recs = load_records(d.val, d.format, d.allow_extra) if d.val else []  # data.val is small: held whole
    f, w = _template_counts(fmt, val_recs)
    folded, without, tools = folded + f, without + w, tools + sum(map(_calls, val_recs))

    def stream() -> Iterator[dict]:
        streams = [mix.expand(_rows(fmt, iter_records(s.path, d.format, allow_extra=d.allow_extra), i, recipe,
                                    problems), take, recipe.seed)
                   for i, (s, take) in enumerate(zip(sources, takes, strict=True))]
        rows = mix.interleave(streams, [t.drawn for t in takes], recipe.seed)
        for row in mix.shuffled(rows, SHUFFLE_BUFFER, recipe.seed):
            if problems:
                raise DataError("a record cannot be encoded for training", problems)
            yield row

    val_rows = _rows(fmt, val_recs, -1, recipe, problems) if val_recs else None
    if tmp is not None:
        train_ds, val_ds = _materialise(stream(), val_rows, tmp)
    else:
        from datasets import IterableDataset

        train_ds = IterableDataset.from_generator(stream, features=token_cache.features())
        val_ds = _in_memory_rows(val_rows) if val_rows is not None else None
    if problems:
        raise DataError(f"{len({(p.path, p.line) for p in problems})} record(s) cannot be encoded for training",
                        problems)
    val_split = file_ref(write_chat_jsonl(val_recs, run.val_path)) if val_recs else None
    data = _data_info(recipe, refs, takes, len(val_recs), "data.val" if d.val else "none (streaming)", val_split)
    data.streaming = True
    return Prepared(train_ds, val_ds, data, folded, without, None, tool_records=tools)


def _takes(sources, counts) -> list[mix.Take]:
    for s, n in zip(sources, counts, strict=True):
        if n == 0:
            raise DataError(f"data.train: {s.path}: no training records (every line is blank, or all were held "
                            "out for validation): remove the source or give it data")
    return mix.plan_mix(sources, counts)


def _rows(fmt, records, source: int, recipe: Recipe, problems: list[Problem]) -> Iterator[dict | None]:
    """Each record as a training row: ids and mask cut at max_length (TRL is given rows it need not truncate),
    with the full length and trained-token count kept for the label check and plan. None for a record that
    cannot be encoded (its problem is collected)."""
    limit, assistant_only = recipe.train.max_length, recipe.train.assistant_only_loss
    for rec in records:
        try:
            ids, mask = fmt.encode(rec, assistant_only)
        except DataError as exc:
            problems.extend(exc.problems)
            yield None
            continue
        yield {"input_ids": ids[:limit], "assistant_masks": mask[:limit], "length": len(ids), "trained": sum(mask),
               "source": source, "line": rec.line if rec.line is not None else -1}


def _materialise(rows, val_rows, tmp):
    """Rows to Arrow files in the cache entry (memory-mapped back), or to in-memory datasets without a cache."""
    rows = (r for r in rows if r is not None)
    if tmp is not None:
        token_cache.write_rows(tmp / "train.arrow", rows)
        if val_rows is not None:
            token_cache.write_rows(tmp / "val.arrow", (r for r in val_rows if r is not None))
        return None, None  # read back from the committed entry
    return _in_memory_rows(rows), _in_memory_rows(val_rows) if val_rows is not None else None


def _in_memory_rows(rows):
    from datasets import Dataset

    columns: dict[str, list] = {c: [] for c in token_cache.COLUMNS}
    for row in rows:
        if row is not None:
            for c in token_cache.COLUMNS:
                columns[c].append(row[c])
    return Dataset.from_dict(columns, features=token_cache.features())


def _calls(rec: Record) -> bool:
    """A record whose assistant calls tools (the label check's summary counts these)."""
    return any(m.tool_calls for m in rec.messages)


def _template_counts(fmt, records: list[Record]) -> tuple[int, int]:
    """(records whose system text was folded, records without a system message)."""
    folded = sum(1 for r in records if fmt.messages(r)[1] == "folded")
    without = sum(1 for r in records if not r.messages or r.messages[0].role != "system")
    return folded, without


def _data_info(recipe, refs, takes, val_records, val_from, val_split) -> DataInfo:
    wanted, got = mix.requested_shares(takes), mix.realised_shares(takes)
    sources = [SourceInfo(path=t.source.path, sha256=refs[t.source.path].sha256, records=t.records,
                          weight=t.source.weight, epochs=t.source.epochs, max_records=t.source.max_records,
                          requested_share=w, realised_share=g, rows=t.drawn, used=t.used, not_drawn=t.not_drawn)
               for t, w, g in zip(takes, wanted, got, strict=True)]
    return DataInfo(train=[refs[p] for p in recipe.data.train_paths], val=[refs[p] for p in recipe.data.val],
                    val_split=val_split, train_records=sum(t.drawn for t in takes), val_records=val_records,
                    val_from=val_from, sources=sources, streaming=recipe.data.streaming)
