"""`dataforge check --engine ray --tokenizer DIR [--tokenizer MORE...]`: token counts and the tokenizer-fit table,
block by block on the workers.

Token counts: each block's task calls quality.features.build_features with the tokenizer, max_seq_len and chat
policy the local engine uses (the `tokens` and `truncated` columns are per record, so a block's are the local
ones). The tokenizers are loaded by quality.tokens.load_tokenizer once per worker process (a module-level cache:
Ray reuses its worker processes from block to block), not once per block.

The fit table (quality.tokenizer_fit) is sums and counts (texts, words, tokens, characters, byte-fallback tokens,
failed round trips, records over the limit) plus the first three failed texts and one probe's round trip: each
block's task computes `tokenizer_fit.part` of its records for every tokenizer, and the driver merges the parts in
block order (`tokenizer_fit.merge`), which is `fit` over all records exactly. There is no quantile among the
figures, so nothing is approximated and no record travels to the driver.

A tokenizer directory must be readable at the same path on every node, like the input."""

from __future__ import annotations

import pickle

from dataforge.errors import DataError, UsageError

_loaded: dict[tuple[str, str | None], object] = {}  # (path, chat template override) -> tokenizer, per process


def tokenizer(path: str, chat_template: str | None = None):
    """The tokenizer at `path` (with `chat_template` in place of its own, as run_gate sets it), loaded once in
    this process."""
    key = (path, chat_template)
    if key not in _loaded:
        from dataforge.quality.tokens import load_tokenizer

        tok = load_tokenizer(path)
        if chat_template:
            tok.chat_template = chat_template
        _loaded[key] = tok
    return _loaded[key]


def options(name: str | None, max_seq_len: int | None, chat_template: str | None, chat: tuple[str, str],
            compare: list[str]) -> dict | None:
    """The token options every block task gets, resolved on the driver as run_gate resolves them: max_seq_len
    defaults to the tokenizer's model_max_length, and each tokenizer to compare gets max_seq_len or its own
    limit. Loading them here also turns a bad --tokenizer into the local engine's UsageError before any work is
    sent to the cluster. None without a tokenizer."""
    if max_seq_len is not None and max_seq_len <= 0:
        raise UsageError(f"--max-seq-len must be a positive number of tokens, got {max_seq_len}")
    if not name:
        return None
    from dataforge.quality.tokens import default_max_len

    max_seq_len = max_seq_len or default_max_len(tokenizer(name, chat_template))
    others = [(o, max_seq_len or default_max_len(tokenizer(o))) for o in compare if o != name]  # as run_gate
    return {"name": name, "max_seq_len": max_seq_len, "chat_template": chat_template, "chat": tuple(chat),
            "compare": others}


def block_tokens(records: list, topts: dict | None, features) -> tuple:
    """On a worker: (the block's feature frame with token columns, the pickled fit parts, the pickled error).
    `features(tokenizer=..., max_seq_len=..., chat=...)` builds the frame. A record the chat template cannot
    render is a DataError: it comes back as a value, (tokenizer index, error), so the driver raises the one the
    local engine raises (raise_first_error) rather than Ray's wrapped worker error."""
    if topts is None:
        return features(), pickle.dumps([]), pickle.dumps(None)
    from dataforge.quality.tokenizer_fit import part
    from dataforge.quality.tokens import token_counts

    tok = tokenizer(topts["name"], topts["chat_template"])
    try:
        df = features(tokenizer=tok, max_seq_len=topts["max_seq_len"], chat=topts["chat"])
    except DataError as exc:
        return features(), pickle.dumps([]), pickle.dumps((0, exc))
    counts = df["tokens"].head(len(records)).to_list()
    parts = [part(records, tok, counts, topts["max_seq_len"])]
    for i, (other, limit) in enumerate(topts["compare"], start=1):
        t = tokenizer(other)
        try:
            parts.append(part(records, t, token_counts(records, t, *topts["chat"]), limit))
        except DataError as exc:
            return df, pickle.dumps([]), pickle.dumps((i, exc))
    return df, pickle.dumps(parts), pickle.dumps(None)


def raise_first_error(blocks) -> None:
    """The DataError the local engine raises first (one small row per block): it counts the gate's tokenizer over
    all records, then each tokenizer to compare in turn, so the error of the lowest (tokenizer, block) wins. A
    block records the first tokenizer that failed on it; the lowest failing tokenizer overall is recorded by every
    block it fails on, since the ones before it failed nowhere."""
    errors = {}
    for row in blocks.select_columns(["block", "token_error"]).iter_rows():
        found = pickle.loads(row["token_error"])
        if found is not None:
            errors[(found[0], int(row["block"]))] = found[1]
    if errors:
        raise errors[min(errors)]


def fit_table(blocks, topts: dict) -> list[dict]:
    """The report's "tokenizers" list from the blocks' fit parts, merged in block order."""
    from dataforge.quality.tokenizer_fit import merge, part

    rows = sorted(blocks.select_columns(["block", "fit"]).iter_rows(), key=lambda r: int(r["block"]))
    by_block = [pickle.loads(r["fit"]) for r in rows]
    names = [(topts["name"], topts["max_seq_len"]), *topts["compare"]]
    out = []
    for i, (name, limit) in enumerate(names):
        parts = [b[i] for b in by_block]
        if not parts:  # an input without a block (an empty file): the probe still answers, as locally
            tok = tokenizer(name, topts["chat_template"] if i == 0 else None)
            parts = [part([], tok, [], limit)]
        out.append(merge(parts, name, limit))
    return out
