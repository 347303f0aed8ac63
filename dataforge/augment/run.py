"""The augment pipeline: read records -> augmenter makes candidates -> post-filters -> write originals + kept.

Counting happens only here, through one Tally (tally.py): every candidate ends `kept` or rejected under exactly
one reason, and `candidates == kept + sum(rejected.values())` is checked before the summary is returned.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import orjson

from dataforge.augment.config import AugmentConfig
from dataforge.augment.journal import Journal
from dataforge.augment.tally import AugmentSummary, Tally
from dataforge.errors import DataforgeError, Problem
from dataforge.formats.registry import to_dict
from dataforge.records import Augmentation, Message, Record, TextPart
from dataforge.validate import FileSummary, iter_records, resolve_format

CHUNK = 64  # source records per augmenter call and journal checkpoint: big enough to batch models well
# Settings that change how answers are fetched, never what is written: a resumed run may change them (e.g. more
# --retries after a flaky night) and still append to the same output.
NOT_IN_OUTPUT = ("cache", "retries", "timeout", "rate_limit", "concurrency", "api_key_env")


class Augmenter(Protocol):
    method_name: str

    def params(self) -> dict[str, Any]: ...

    def augment_texts(self, texts: list[str], seeds: list[int]) -> list[str]: ...


def derive_seed(*parts: object) -> int:
    """A 63-bit seed from the run seed and a record's identity: the same record gets the same choices whatever
    its position, so a resumed run and a full run write the same bytes."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def record_id(rec: Record, path: str) -> str:
    return rec.meta.id or f"{Path(path).name}:{rec.line}"


def _slots(rec: Record, roles: set[str]) -> Iterator[tuple[int, int | None, str]]:
    """(message index, part index or None, text) of every rewritable text of a record."""
    for mi, msg in enumerate(rec.messages):
        if msg.role not in roles:
            continue
        if isinstance(msg.content, str):
            yield mi, None, msg.content
        else:
            for pi, part in enumerate(msg.content):
                yield mi, pi, part.text


def _rebuild(rec: Record, new: dict[tuple[int, int | None], str]) -> list[Message]:
    msgs = []
    for mi, msg in enumerate(rec.messages):
        if isinstance(msg.content, str):
            msgs.append(Message(role=msg.role, content=new.get((mi, None), msg.content)))
        else:
            parts = [TextPart(type="text", text=new.get((mi, pi), p.text)) for pi, p in enumerate(msg.content)]
            msgs.append(Message(role=msg.role, content=parts))
    return msgs


def judge(filters: list, source: str, new: str) -> str | None:
    """The reason of the first filter that rejects, or None when all keep the candidate."""
    for f in filters:
        if not f.keep(source, new):
            return f.reason
    return None


def _augment_chunk(chunk: list[Record], path: str, cfg: AugmentConfig, augmenter: Augmenter, filters: list,
                   tally: Tally) -> list[bytes]:
    texts, seeds, owners = [], [], []
    for ri, rec in enumerate(chunk):
        rid = record_id(rec, path)
        for v in range(cfg.variants):
            for mi, pi, text in _slots(rec, set(cfg.roles)):
                texts.append(text)
                seeds.append(derive_seed(cfg.seed, rid, v, mi, pi))
                owners.append((ri, v, mi, pi))
    outputs = augmenter.augment_texts(texts, seeds) if texts else []
    by_candidate: dict[tuple[int, int], dict] = {}
    for (ri, v, mi, pi), old, new in zip(owners, texts, outputs, strict=True):
        by_candidate.setdefault((ri, v), {})[(mi, pi)] = (old, new)
    lines = []
    for ri, rec in enumerate(chunk):
        tally.records += 1
        if not cfg.only_new:
            lines.append(orjson.dumps(to_dict(rec, rec.meta.format or "chat")) + b"\n")
            tally.originals_written += 1
        rid = record_id(rec, path)
        for v in range(cfg.variants):
            pairs = by_candidate.get((ri, v), {})
            if not pairs:
                tally.add("no_text")
                continue
            messages = _rebuild(rec, {k: n for k, (_, n) in pairs.items()})
            # Filters see whole records joined as `dataforge check` joins them, so "near duplicate" here and
            # there is measured on the same text; untouched messages are equal on both sides.
            source = "\n".join(m.text() for m in rec.messages)
            reason = judge(filters, source, "\n".join(m.text() for m in messages))
            tally.add(reason)
            if reason is None:
                meta = rec.meta.model_copy(deep=True)
                meta.id = f"{rid}~{augmenter.method_name}{v}"
                meta.augmentation = Augmentation(method=augmenter.method_name, source_id=rid,
                                                 params={**augmenter.params(), "variant": v}, seed=cfg.seed)
                out = Record(messages=messages, meta=meta)
                lines.append(orjson.dumps(to_dict(out, rec.meta.format or "chat")) + b"\n")
    return lines


def augment_file(path: str, out: str, cfg: AugmentConfig, augmenter: Augmenter, filters: list, *,
                 fmt: str = "auto", resume: bool = False, progress: bool = True,
                 report: Callable[[Problem], None] | None = None) -> AugmentSummary:
    fmt = resolve_format(path, fmt)
    fingerprint = json.dumps([cfg.model_dump(exclude=set(NOT_IN_OUTPUT)), augmenter.params(), fmt], sort_keys=True)
    journal = Journal(out, hashlib.sha256(fingerprint.encode()).hexdigest())
    tally = Tally(augmenter.method_name)
    done, state = journal.start(resume)
    tally.restore(state)
    fs = FileSummary(path, fmt)
    bar = _progress(progress, done)
    try:
        chunk: list[Record] = []
        seen = 0
        for rec in iter_records(path, fmt, on_problem=report, summary=fs):
            seen += 1
            if seen <= done:
                continue
            if rec.meta.format is None:
                rec.meta.format = fmt
            chunk.append(rec)
            if len(chunk) == CHUNK:
                _flush(chunk, path, cfg, augmenter, filters, tally, journal, seen, bar)
                chunk = []
        if chunk:
            _flush(chunk, path, cfg, augmenter, filters, tally, journal, seen, bar)
    except BaseException as exc:
        _stop(journal, exc, fresh=not done and tally.records == 0, path=path, records=tally.records,
              cache=getattr(augmenter, "cache", None))
        raise
    finally:
        if bar is not None:
            bar.close()
    journal.finish()
    summary = AugmentSummary(path, out, fmt, tally, invalid=fs.invalid, resumed_at=done)
    if not summary.as_json()["counts_add_up"]:  # a bug, not a data problem: never report numbers that lie
        raise AssertionError(f"augment counts do not add up: {tally.state()}")
    return summary


def _stop(journal: Journal, exc: BaseException, *, fresh: bool, path: str, records: int, cache=None) -> None:
    """On any failure: a fresh run that wrote nothing leaves nothing behind (not even an answer cache it
    created); otherwise the partial output stays and the error says how to continue."""
    if fresh:
        journal.discard()
        if cache is not None:
            cache.discard()
        return
    journal.close()
    note = f"finished records are kept in {journal.partial}: rerun the same command with --resume"
    if isinstance(exc, DataforgeError):
        exc.args = (f"{exc} ({note})",)
    elif not isinstance(exc, KeyboardInterrupt):
        raise DataforgeError(f"{path}: augment stopped after {records} records "
                             f"({type(exc).__name__}: {exc}); {note}") from exc


def _flush(chunk, path, cfg, augmenter, filters, tally, journal, seen, bar) -> None:
    for line in _augment_chunk(chunk, path, cfg, augmenter, filters, tally):
        journal.write(line)
    journal.checkpoint(seen, tally.state())
    if bar is not None:
        bar.update(len(chunk))


def _progress(enabled: bool, done: int):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(desc="augment", unit="rec", initial=done, file=sys.stderr, dynamic_ncols=True)
