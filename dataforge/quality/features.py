"""Per-record features: one polars row per record, the table the expectation suite runs on.

Rows for records rejected by structural validation are included too (so nothing is lost): `invalid` says the
record broke the schema, `empty_turns` counts blank turns, the tool-call problem counts (`undeclared_functions`,
`schema_violations`, `unanswered_calls`) come from their error kinds, and every other feature is null for them (GX
expectations skip nulls).

Tool calling: `tool_calls` counts a record's calls; tool results are message text like any other, and the string
values inside call arguments are searched for PII too (a TCKN or IBAN in a banking call's arguments).
"""

from __future__ import annotations

import json

import numpy as np
import polars as pl

from dataforge.quality import language, near_duplicates, pii, repetition
from dataforge.quality.load import Loaded
from dataforge.quality.stages import Stages
from dataforge.text.asciified import TURKISH_LETTERS
from dataforge.text.mojibake import PATTERN as MOJIBAKE
from dataforge.text.normalize import normalize_expr

ROLES = ("system", "user", "assistant")
TURKISH_LETTER_CLASS = f"[{''.join(sorted(TURKISH_LETTERS))}]"  # the one set of letters, as a regex class
# A cheap test for "may contain PII" so the exact validators run on few texts only.
PII_HINT = r"[1-9]\d{10}|(?i:tr)\d{2}|@|\d[\d \-().]{8,}\d"
# rejected rows: error kinds -> the tool-call problem column that counts them
TOOL_PROBLEMS = {"undeclared_functions": ("undeclared_function",),
                 "schema_violations": ("arguments_schema", "bad_arguments", "bad_tool_definition"),
                 "unanswered_calls": ("unanswered_call", "unmatched_tool_result")}


def argument_strings(rec) -> str:
    """The string values inside a record's call arguments, one per line (what PII can hide in)."""
    from dataforge.formats.tool_calls import arguments_of

    out: list[str] = []
    for m in rec.messages:
        for call in m.tool_calls or []:
            args, _ = arguments_of(call)
            stack = [args if args is not None else call.function.arguments]
            while stack:
                v = stack.pop()
                if isinstance(v, str):
                    out.append(v)
                elif isinstance(v, dict):
                    stack.extend(v.values())
                elif isinstance(v, list):
                    stack.extend(v)
    return "\n".join(out)


def _base_columns(loaded: Loaded) -> pl.DataFrame:
    """Record-level columns; per-message normalisation (for the exact-duplicate key and blank turns) runs
    vectorised over an exploded message table."""
    rec_i: list[int] = []
    roles: list[str] = []
    texts: list[str] = []
    calls: list[str] = []  # the calls as JSON: part of the exact-duplicate key ("" without calls)
    for i, rec in enumerate(loaded.records):
        for m in rec.messages:
            rec_i.append(i)
            roles.append(m.role)
            texts.append(m.text())
            calls.append(json.dumps([c.model_dump() for c in m.tool_calls], sort_keys=True) if m.tool_calls else "")
    msgs = pl.DataFrame({"rec": rec_i, "role": roles, "t": texts, "call_json": calls},
                        schema={"rec": pl.Int64, "role": pl.String, "t": pl.String, "call_json": pl.String})
    msgs = msgs.with_columns((pl.col("call_json") != "").alias("calls"))
    msgs = msgs.with_columns(normalize_expr(pl.col("t")).alias("norm"))
    per_rec = msgs.group_by("rec", maintain_order=True).agg(
        pl.len().cast(pl.Int64).alias("turns"),
        ((pl.col("norm") == "") & ~pl.col("calls")).sum().cast(pl.Int64).alias("empty_turns"),  # zero-width-only text
        # is empty too; an assistant turn that calls tools may have no text
        pl.col("t").str.join("\n").alias("text"),
        pl.concat_str("role", pl.lit("\x1f"), "norm", "call_json").str.join("\x1e").alias("exact_key"),
        *(pl.col("t").filter(pl.col("role") == r).str.join("\n").alias(f"text_{r}") for r in ROLES))
    meta = pl.DataFrame({"file": [r.source for r in loaded.records], "line": [r.line for r in loaded.records],
                         "id": [r.meta.id for r in loaded.records],
                         "tool_calls": [sum(len(m.tool_calls or []) for m in r.messages) for r in loaded.records],
                         "tool_args": [argument_strings(r) for r in loaded.records],
                         **{k: [0] * len(loaded.records) for k in TOOL_PROBLEMS}},
                        schema={"file": pl.String, "line": pl.Int64, "id": pl.String, "tool_calls": pl.Int64,
                                "tool_args": pl.String, **{k: pl.Int64 for k in TOOL_PROBLEMS}})
    return pl.concat([meta, per_rec.drop("rec")], how="horizontal")


def _lengths() -> list[pl.Expr]:
    out = []
    for r in ROLES:
        out.append(pl.col(f"text_{r}").str.len_chars().alias(f"chars_{r}"))
        out.append(pl.col(f"text_{r}").str.count_matches(r"\S+").cast(pl.Int64).alias(f"words_{r}"))
    return out


def _duplicates(df: pl.DataFrame, words: tuple[np.ndarray, np.ndarray]) -> pl.DataFrame:
    df = df.with_columns(pl.col("exact_key").hash(seed=0).alias("exact_hash"))
    df = df.with_columns(pl.col("row").min().over("exact_hash").alias("exact_group"))
    df = df.with_columns((pl.col("exact_group") != pl.col("row")).alias("exact_dup"))
    cl = near_duplicates.cluster(df["text"], words=words)
    df = df.with_columns(pl.Series("near_cluster", cl.cluster), pl.Series("near_cluster_size", cl.size))
    # A near duplicate is a record whose cluster has an earlier member and that is not an exact copy.
    return df.with_columns(((pl.col("near_cluster") != pl.col("row")) & ~pl.col("exact_dup")).alias("near_dup"))


def _duplicates_left_open(df: pl.DataFrame) -> pl.DataFrame:
    """The duplicate columns, empty, in their places: an engine that sees one block at a time fills them after
    grouping the whole input (dataforge.engine). `exact_hash` is kept for that grouping."""
    df = df.with_columns(pl.col("exact_key").hash(seed=0).alias("exact_hash"))
    open_ = {"exact_group": pl.Int64, "exact_dup": pl.Boolean, "near_cluster": pl.Int64, "near_cluster_size": pl.Int64,
             "near_dup": pl.Boolean}
    return df.with_columns(pl.lit(None, dtype).alias(name) for name, dtype in open_.items())


def _pii(texts: pl.Series, stages: Stages) -> pl.DataFrame:
    counts = {k: np.zeros(len(texts), dtype=np.int64) for k in pii.KINDS}
    maybe = np.flatnonzero(texts.str.contains(PII_HINT).to_numpy())
    with stages.stage("PII", len(maybe), "candidate texts") as advance:
        for i in maybe:
            for hit in pii.find_pii(texts[int(i)]):
                counts[hit.kind][i] += 1
            advance(1)
    return pl.DataFrame({f"pii_{k}": v for k, v in counts.items()})


def _repaired(texts: pl.Series, mojibake: pl.Series) -> pl.Series:
    """Mojibake repaired before the language is read: "BugÃ¼n" has no Turkish letter, and without the repair a
    mojibake record would also count as asciified (or as another language). The mojibake check explains it."""
    from dataforge.text.mojibake import fix_mojibake

    rows = np.flatnonzero(mojibake.to_numpy())
    if not len(rows):
        return texts
    fixed = texts.to_list()
    for i in rows:
        fixed[i] = fix_mojibake(fixed[i])
    return pl.Series(texts.name, fixed, dtype=pl.String)


LANG_CHUNK = 2000  # texts per progress step of language detection


def _language(texts: pl.Series, answers: pl.Series, mojibake: pl.Series, lang: str, backend: str,
              stages: Stages) -> pl.DataFrame:
    texts = _repaired(texts, mojibake)
    unique = texts.unique(maintain_order=True).to_list()  # copies are common: detect each distinct text once
    detected: list[tuple[str, float]] = []
    with stages.stage("language", len(unique), "distinct texts") as advance:
        for lo in range(0, len(unique), LANG_CHUNK):
            detected += language.detect_languages(unique[lo : lo + LANG_CHUNK], backend)
            advance(len(unique[lo : lo + LANG_CHUNK]))
    found = dict(zip(unique, detected, strict=True))
    langs = [found[t] for t in texts.to_list()]
    codes = [c for c, _ in langs]
    ok_set = {lang, "asciified"} if lang == "tr" else {lang}  # asciified Turkish is Turkish; its own check flags it
    asciified = np.array([c == "asciified" for c in codes], dtype=bool)
    asciified[_asciified_answers(answers, asciified | mojibake.to_numpy(), backend)] = True
    return pl.DataFrame({"lang": codes, "lang_conf": [p for _, p in langs], "lang_ok": [c in ok_set for c in codes],
                         "asciified": asciified})


def _asciified_answers(answers: pl.Series, already: np.ndarray, backend: str) -> np.ndarray:
    """Rows whose assistant text alone is asciified Turkish: a Turkish question does not excuse an answer
    typed without ç ğ ı ö ş ü. Only answers without any Turkish letter are candidates, so few texts are
    re-detected."""
    from dataforge.text.asciified import MIN_LETTERS_WITH_MARKERS

    cand = answers.to_frame("a").select(
        ~pl.col("a").str.contains(TURKISH_LETTER_CLASS)
        & (pl.col("a").str.count_matches(r"\p{L}") >= MIN_LETTERS_WITH_MARKERS))["a"].to_numpy() & ~already
    rows = np.flatnonzero(cand)
    if not len(rows):
        return rows
    found = language.detect_languages(answers.gather(rows).to_list(), backend)
    return rows[np.array([c == "asciified" for c, _ in found], dtype=bool)]


def _rejected_rows(loaded: Loaded, schema: dict) -> pl.DataFrame:
    rows = [{"file": r.path, "line": r.line, "valid": False, "invalid": not r.blank_only,
             "empty_turns": sum(p.kind == "empty_content" for p in r.problems),
             **{col: sum(p.kind in kinds for p in r.problems) for col, kinds in TOOL_PROBLEMS.items()}}
            for r in loaded.rejected]
    cols = ("file", "line", "valid", "invalid", "empty_turns", *TOOL_PROBLEMS)
    return pl.DataFrame(rows, schema={k: schema[k] for k in cols})


def build_features(loaded: Loaded, *, lang: str = "tr", backend: str = "default", tokenizer=None,
                   max_seq_len: int | None = None, stages: Stages | None = None,
                   chat: tuple[str, str] = ("fold", "keep"), whole_input: bool = True) -> pl.DataFrame:
    """The feature frame: valid records first (in input order), then rejected ones; `row` numbers them.
    `whole_input=False` (one block of a larger input) leaves the duplicate columns null and keeps `exact_hash`."""
    stages = stages or Stages()
    with stages.stage("duplicates", len(loaded.records)) as advance:
        df, words = _exact_and_near(loaded, whole_input)
        advance(len(loaded.records))
    pii_cols = _pii(df.select(pl.concat_str(["text", "tool_args"], separator="\n")).to_series(), stages)
    lang_cols = _language(df["text"], df["text_assistant"], df["mojibake"], lang, backend, stages)
    with stages.stage("repetition", df.height) as advance:
        rep_cols = repetition.repetition(df["text"], *words)
        advance(df.height)
    df = pl.concat([df, pii_cols, lang_cols, rep_cols], how="horizontal")
    tool_cols = ["tool_calls", *TOOL_PROBLEMS]  # after the older features: their order is documented
    df = df.select([c for c in df.columns if c not in tool_cols] + tool_cols)
    if tokenizer is not None:
        from dataforge.quality.tokens import token_counts

        with stages.stage("tokens", len(loaded.records)) as advance:
            counts = token_counts(loaded.records, tokenizer, *chat, advance=advance)
        df = df.with_columns(pl.Series("tokens", counts, dtype=pl.Int64))
        if max_seq_len:
            df = df.with_columns((pl.col("tokens") > max_seq_len).alias("truncated"))
    df = df.drop("exact_key", "tool_args", *(["exact_hash"] if whole_input else []), *(f"text_{r}" for r in ROLES))
    if loaded.rejected:
        rej = _rejected_rows(loaded, df.schema)
        df = pl.concat([df, rej], how="diagonal").with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("row"))
    return df


def _exact_and_near(loaded: Loaded, whole_input: bool = True) -> tuple[pl.DataFrame, tuple[np.ndarray, np.ndarray]]:
    """Record columns, lengths, mojibake, and the exact and near-duplicate groups; plus the word hashes."""
    df = _base_columns(loaded).with_row_index("row").with_columns(
        pl.col("row").cast(pl.Int64), pl.lit(True).alias("valid"), pl.lit(False).alias("invalid"), *_lengths(),
        pl.col("text").str.contains(MOJIBAKE).alias("mojibake"),
        (pl.col("text").str.count_matches(TURKISH_LETTER_CLASS)
         / pl.max_horizontal(pl.col("text").str.count_matches(r"\p{L}"), 1)).round(4).alias("tr_letter_ratio"))
    words = near_duplicates.word_hashes(df["text"])
    df = _duplicates(df, words) if whole_input else _duplicates_left_open(df)
    return df, words
