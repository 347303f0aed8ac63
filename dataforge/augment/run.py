"""The augment pipeline: read records -> augmenter makes candidates -> post-filters -> write originals + kept.

Counting happens only here, through one Tally (tally.py): every candidate ends `kept` or rejected under exactly
one reason, and `candidates == kept + sum(rejected.values())` is checked before the summary is returned.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import orjson

from dataforge.augment.config import AugmentConfig
from dataforge.augment.filters import tool_calls_changed
from dataforge.augment.journal import Journal
from dataforge.augment.progress import count_records, progress_bar
from dataforge.augment.tally import AugmentSummary, Tally
from dataforge.augment.task import instruction_text, is_turkish, mentions, read_task
from dataforge.errors import DataforgeError, Problem
from dataforge.formats.registry import to_dict
from dataforge.io import file_sha256
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


Slot = tuple[int, "int | str | None"]  # (message index, part index, or "instruction"/"input", or None)


def _alpaca_input(rec: Record) -> str | None:
    """The alpaca `input` of a record read from alpaca, when its user turn is still `instruction\ninput`."""
    given = rec.meta.fields.get("input")
    if rec.meta.format != "alpaca" or not given or len(rec.messages) < 2:
        return None
    user = rec.messages[-2]
    return given if isinstance(user.content, str) and user.content.endswith("\n" + given) else None


def _slots(rec: Record, roles: set[str], keep_input: bool = False) -> Iterator[tuple[int, int | str | None, str]]:
    """(message index, part, text) of every rewritable text of a record. An alpaca user turn is two slots,
    `instruction` and `input`, rewritten apart and joined back, so the record keeps its shape (issue 13: the
    input used to be merged into the instruction and left empty); `keep_input` leaves the input out."""
    given = _alpaca_input(rec)
    for mi, msg in enumerate(rec.messages):
        if msg.role not in roles or msg.content is None or (msg.tool_calls and not msg.text().strip()):
            continue  # tool results are never in `roles`; a turn that only calls tools has no prose
        if given is not None and mi == len(rec.messages) - 2:
            yield mi, "instruction", msg.content[: -len(given) - 1]
            if not keep_input:
                yield mi, "input", given
        elif isinstance(msg.content, str):
            yield mi, None, msg.content
        else:
            for pi, part in enumerate(msg.content):
                yield mi, pi, part.text


def _rebuild(rec: Record, new: dict[tuple[int, int | str | None], str]) -> list[Message]:
    msgs = []
    for mi, msg in enumerate(rec.messages):
        if (mi, "instruction") in new:
            given = _alpaca_input(rec)
            msgs.append(Message(role=msg.role, content=f"{new[(mi, 'instruction')]}\n{new.get((mi, 'input'), given)}"))
        elif not any(k[0] == mi for k in new):
            msgs.append(msg)  # untouched, tool calls, results and all
        elif isinstance(msg.content, str):  # model_copy keeps the tool fields of the message
            msgs.append(msg.model_copy(update={"content": new.get((mi, None), msg.content)}))
        else:
            parts = [TextPart(type="text", text=new.get((mi, pi), p.text)) for pi, p in enumerate(msg.content)]
            msgs.append(msg.model_copy(update={"content": parts}))
    return msgs


def judge(filters: list, source: str, new: str) -> str | None:
    """The reason of the first filter that rejects, or None when all keep the candidate."""
    for f in filters:
        if not f.keep(source, new):
            return f.reason
    return None


def _augment_chunk(chunk: list[Record], path: str, cfg: AugmentConfig, augmenter: Augmenter, filters: list,
                   tally: Tally) -> list[bytes]:
    guards = [read_task(instruction_text(r.messages, _alpaca_input(r)), _alpaca_input(r)) for r in chunk]
    turkish = is_turkish(["\n".join(m.text() for m in r.messages) for r in chunk])
    texts, seeds, owners, keep = [], [], [], []
    for ri, rec in enumerate(chunk):
        if guards[ri].transform or not turkish[ri]:
            continue
        rid = record_id(rec, path)
        for v in range(cfg.variants):
            for mi, pi, text in _slots(rec, set(cfg.roles), guards[ri].keep_input):
                texts.append(text)
                seeds.append(derive_seed(cfg.seed, rid, v, mi, pi))
                owners.append((ri, v, mi, pi))
                keep.append(guards[ri].named)
    if not texts:
        outputs = []
    elif getattr(augmenter, "keeps_named_words", False):  # the synonym method avoids them in the first place
        outputs = augmenter.augment_texts(texts, seeds, keep=keep)
    else:
        outputs = augmenter.augment_texts(texts, seeds)
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
            if not turkish[ri] or guards[ri].transform:
                tally.add("not_turkish" if not turkish[ri] else "task_text")
                continue
            if not pairs:
                tally.add("no_text")
                continue
            new_texts = {k: n for k, (_, n) in pairs.items()}
            messages = _rebuild(rec, new_texts)
            # Filters see whole records joined as `dataforge check` joins them, so "near duplicate" here and
            # there is measured on the same text; untouched messages are equal on both sides.
            source = "\n".join(m.text() for m in rec.messages)
            new = "\n".join(m.text() for m in messages)
            named = guards[ri].named
            reason = "task_words_changed" if named and mentions(source, named) != mentions(new, named) else None
            reason = reason or _shape_changed(new_texts) or tool_calls_changed(rec.messages, messages) \
                or judge(filters, source, new)
            tally.add(reason)
            if reason is None:
                meta = rec.meta.model_copy(deep=True)
                if (len(rec.messages) - 2, "input") in new_texts:
                    meta.fields["input"] = new_texts[(len(rec.messages) - 2, "input")]
                meta.id = f"{rid}~{augmenter.method_name}{v}"
                meta.augmentation = Augmentation(method=augmenter.method_name, source_id=rid,
                                                 params={**augmenter.params(), "variant": v}, seed=cfg.seed)
                out = Record(messages=messages, tools=rec.tools, meta=meta)
                lines.append(orjson.dumps(to_dict(out, rec.meta.format or "chat")) + b"\n")
    return lines


def _shape_changed(new_texts: dict) -> str | None:
    """An alpaca instruction or input that came back empty would merge the two fields on output."""
    empty = any(isinstance(part, str) and not text.strip() for (_, part), text in new_texts.items())
    return "shape_changed" if empty else None


def fingerprint(cfg: AugmentConfig, fmt: str, extra: object) -> str:
    """The settings that shape the output, hashed for the journal. `extra`: the local engine's augmenter
    params, the Ray engine's block size (blocks are its unit of progress)."""
    data = json.dumps([cfg.model_dump(exclude=set(NOT_IN_OUTPUT)), extra, fmt], sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()


def augment_file(path: str, out: str, cfg: AugmentConfig, augmenter: Augmenter, filters: list, *,
                 fmt: str = "auto", resume: bool = False, progress: bool = True, allow_extra: bool = False,
                 report: Callable[[Problem], None] | None = None) -> AugmentSummary:
    fmt = resolve_format(path, fmt)
    journal = Journal(out, fingerprint(cfg, fmt, augmenter.params()), input_digest=file_sha256(path))
    tally = Tally(augmenter.method_name)
    last = journal.start(resume)
    done = last.get("done", 0)
    tally.restore(last.get("counts", {}))
    fs = FileSummary(path, fmt)
    bar = progress_bar(progress, done, count_records(path) if progress else None)
    try:
        chunk: list[Record] = []
        seen = 0
        for rec in iter_records(path, fmt, allow_extra=allow_extra, on_problem=report, summary=fs):
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
