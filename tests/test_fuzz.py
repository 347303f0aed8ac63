"""dataforge's own fuzzing: real lines from sample_data, mutated, through validate, convert, clean and check.

Each example takes the lines of one sample file, mutates a few of them (byte flips, truncation, wrong types, deep
nesting, odd unicode, duplicate keys, a BOM in the middle, a line of another format) and may switch the whole file
to CRLF or CR-only line ends. Whatever happens: no traceback and no "internal error", an exit code in {0, 1, 2},
every non-blank line in exactly one of --out or --rejects, and the untouched (valid) lines byte-identical in --out.

`make test` runs a few hundred examples (well under a minute); `make fuzz` runs DATAFORGE_FUZZ_SCALE=20 times more.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import random
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dataforge.cli import main
from tests.conftest import SAMPLE

SCALE = int(os.environ.get("DATAFORGE_FUZZ_SCALE", "1"))
FILES = {"chat": "chat_tr.jsonl", "alpaca": "instructions_tr.jsonl", "sharegpt": "sharegpt_tr.jsonl",
         "prompt-completion": "prompt_completion_tr.jsonl"}
LINES = {fmt: (SAMPLE / name).read_bytes().split(b"\n")[:-1] for fmt, name in FILES.items()}
LINES["chat"] += (SAMPLE / "tools_tr.jsonl").read_bytes().split(b"\n")[:7]  # its valid tool-calling records
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
                derandomize=SCALE == 1, database=None)  # the short run is the same every time; `make fuzz` explores

ODD = ["\ud800", "\udfff", "\x00", "\u200f", "\u202e", "\u0301", "\u0130\u0131", "\ufeff", "\u2028", "\u00a0",
       "\U0001f600"]


def _leaves(obj, path=()):
    """(path, value) of every string in a parsed record."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaves(v, (*path, i))
    elif isinstance(obj, str):
        yield path, obj


def _set(obj, path, value):
    for p in path[:-1]:
        obj = obj[p]
    obj[path[-1]] = value


def mutate(line: bytes, how: str, rnd: random.Random) -> bytes:
    if how == "flip":  # never a newline or CR: the line must stay one line for the bookkeeping below
        pos = rnd.randrange(len(line))
        byte = rnd.choice([b for b in range(256) if b not in (10, 13)])
        return line[:pos] + bytes([byte]) + line[pos + 1:]
    if how == "truncate":
        return line[:rnd.randrange(len(line))]
    if how == "bom":
        pos = rnd.randrange(len(line))
        return line[:pos] + b"\xef\xbb\xbf" + line[pos:]
    if how == "deep":
        n = rnd.choice([70, 985, 1100])
        return line[:-1] + b', "x": ' + b"[" * n + b"]" * n + b"}"
    if how == "duplicate_key":
        key = next(iter(json.loads(line)))
        return line[:-1] + b", " + json.dumps(key).encode() + b': "ikinci"}'
    if how == "not_object":
        return rnd.choice([b"[]", b"42", b'"metin"', b"null", b"[" + line + b"]"])
    obj = json.loads(line)
    leaves = list(_leaves(obj))
    where, text = rnd.choice(leaves)
    if how == "wrong_type":
        _set(obj, where, rnd.choice([5, 1.5, None, True, [], {}, [text], {"text": text}]))
    elif how == "unicode":
        pos = rnd.randrange(len(text) + 1)
        _set(obj, where, text[:pos] + rnd.choice(ODD) + text[pos:])
    elif how == "empty_key":
        obj[""] = text
    return json.dumps(obj, ensure_ascii=rnd.random() < 0.5).encode("utf-8", "surrogatepass")


MUTATIONS = ["flip", "truncate", "bom", "deep", "duplicate_key", "not_object", "wrong_type", "unicode", "empty_key",
             "other_format", "blank"]


@st.composite
def files(draw):
    """(file bytes, line end, indexes of untouched lines, the lines, format, mutations used)."""
    fmt = draw(st.sampled_from(sorted(FILES)))
    pool = LINES[fmt]
    n = draw(st.integers(1, 12))
    start = draw(st.integers(0, len(pool) - 1))
    lines = [pool[(start + i) % len(pool)] for i in range(n)]
    rnd = random.Random(draw(st.integers(0, 2**32)))
    touched = draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=min(n, 4)))
    hows = set()
    for i in touched:
        how = draw(st.sampled_from(MUTATIONS))
        hows.add(how)
        if how == "other_format":
            other = draw(st.sampled_from(sorted(set(FILES) - {fmt})))
            lines[i] = rnd.choice(LINES[other])
        elif how == "blank":
            lines[i] = rnd.choice([b"", b"   ", b"\t"])
        else:
            lines[i] = mutate(lines[i], how, rnd)
    end = draw(st.sampled_from([b"\n", b"\n", b"\r\n", b"\r"]))
    last_end = draw(st.booleans())
    data = end.join(lines) + (end if last_end else b"")
    if draw(st.booleans()) and not lines[0].startswith(b"\xef\xbb\xbf"):
        data = b"\xef\xbb\xbf" + data
    return data, end, sorted(set(range(n)) - touched), lines, fmt, hows


def run(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def expected_lines(data: bytes, end: bytes) -> list[tuple[int, bytes]]:
    """(line number, text) of each non-blank line, as the contract defines them: BOM and a trailing CR removed."""
    data = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    parts = data.split(b"\r" if end == b"\r" else b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    out = []
    for i, raw in enumerate(parts, 1):
        raw = raw[:-1] if raw.endswith(b"\r") else raw
        if raw.strip():
            out.append((i, raw))
    return out


def sane(code: int, err: str) -> None:
    assert code in (0, 1, 2), err
    assert "Traceback" not in err and "internal error" not in err, err


def _jsonl_file(data: bytes, lines: list[bytes]) -> bool:
    """Whether the reader sees JSON Lines (a first line starting with '[' makes it a JSON array file)."""
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    return not body.lstrip()[:1] == b"["


def _array_count(data: bytes, end: bytes) -> int | None:
    """Records of a file whose first line is a whole JSON array followed by JSON Lines: its elements plus the
    non-blank lines after it (each one a record, valid or rejected). None for other array files."""
    first, *_ = expected_lines(data, end) or [(0, b"")]
    try:
        elements = json.loads(first[1])
    except ValueError:
        return None
    return len(elements) + len(expected_lines(data, end)) - 1 if isinstance(elements, list) else None


def exit_2_expected(case, with_format: bool) -> bool:
    """Exit 2 (the whole file refused) is right only with --format auto for a line of another format or a file
    without one untouched record to detect the format from, or for a file that starts with '[' and is then not
    a readable JSON array."""
    data, _, untouched, lines, _, hows = case
    auto_fails = not with_format and ("other_format" in hows or not untouched)
    return auto_fails or not _jsonl_file(data, lines)


def _one_example(case, with_format: bool, allow_extra: bool) -> None:
    data, end, untouched, lines, fmt, hows = case
    with tempfile.TemporaryDirectory() as d:
        src, out, rej = Path(d, "in.jsonl"), Path(d, "out.jsonl"), Path(d, "rejects.jsonl")
        src.write_bytes(data)
        extra = (["--format", fmt] if with_format else []) + (["--allow-extra"] if allow_extra else [])
        code, stdout, err = run("validate", src, "--out", out, "--rejects", rej, "--json", *extra)
        sane(code, err)
        assert code != 2 or exit_2_expected(case, with_format), err
        event(f"validate exit {code}")  # shown by --hypothesis-show-statistics: the cases are not all exit 2
        if code == 2:
            assert not out.exists() and not rej.exists() and not list(Path(d).glob("*.tmp"))
            return
        summary = json.loads(stdout)
        assert summary["records"] == summary["valid"] + summary["invalid"]
        rejects = [json.loads(x) for x in rej.read_bytes().split(b"\n") if x]
        written = out.read_bytes()
        assert written.count(b"\n") == summary["valid"] and len(rejects) == summary["invalid"]
        if not _jsonl_file(data, lines):
            count = _array_count(data, end)
            assert count is None or summary["records"] == count, (count, summary)
            return
        expect = expected_lines(data, end)
        assert summary["records"] == len(expect)
        raw_of = dict(expect)
        rejected = {r["line"] for r in rejects}
        assert len(rejected) == len(rejects) and rejected <= set(raw_of)
        for r in rejects:  # the reject keeps the original text
            raw = r["raw"].encode("utf-8", "surrogatepass") if "raw" in r else base64.b64decode(r["raw_base64"])
            assert raw == raw_of[r["line"]]
        assert written == b"".join(raw + b"\n" for n, raw in expect if n not in rejected)
        # the untouched lines are valid sample records (mutations never add a line end, so lines[i] is line i+1):
        # none may be rejected, and each is in --out byte for byte (checked just above)
        assert not {i + 1 for i in untouched} & rejected
        event(f"JSON Lines checked line by line ({len(rejected)} rejected)" if rejected else
              "JSON Lines checked line by line (none rejected)")


@given(files(), st.booleans(), st.booleans())
@settings(FUZZ, max_examples=300 * SCALE)
def test_validate_never_loses_a_line(case, with_format, allow_extra):
    _one_example(case, with_format, allow_extra)


@given(files(), st.sampled_from(["chat", "alpaca", "sharegpt", "prompt-completion", "parquet"]), st.booleans())
@settings(FUZZ, max_examples=150 * SCALE)
def test_convert_counts_add_up(case, target, allow_extra):
    data, end, _, lines, _, hows = case
    with tempfile.TemporaryDirectory() as d:
        src, out = Path(d, "in.jsonl"), Path(d, "out")
        src.write_bytes(data)
        code, stdout, err = run("convert", src, "--to", target, "-o", out, "--json",
                                *(["--allow-extra"] if allow_extra else []))
        sane(code, err)
        assert code != 2 or exit_2_expected(case, False), err
        event(f"convert exit {code}")
        if code == 2:
            assert not out.exists()
            return
        s = json.loads(stdout)
        assert s["records"] == s["written"] + s["invalid"] + s["lossy_refused"]
        count = len(expected_lines(data, end)) if _jsonl_file(data, lines) else _array_count(data, end)
        assert count is None or s["records"] == count
        if target != "parquet":
            assert out.read_bytes().count(b"\n") == s["written"]


@given(files(), st.booleans())
@settings(FUZZ, max_examples=100 * SCALE)
def test_clean_counts_add_up(case, dedup):
    data, end, _, lines, _, hows = case
    with tempfile.TemporaryDirectory() as d:
        src, out, drops = Path(d, "in.jsonl"), Path(d, "out.jsonl"), Path(d, "drops.jsonl")
        src.write_bytes(data)
        code, stdout, err = run("clean", src, "-o", out, "--drops", drops, "--json", *(["--dedup"] if dedup else []))
        sane(code, err)
        assert code != 2 or exit_2_expected(case, False), err
        event(f"clean exit {code}")
        if code == 2:
            assert not out.exists() and not drops.exists()
            return
        s = json.loads(stdout)
        assert s["adds_up"] and s["records"] == s["kept"] + sum(s["dropped"].values())
        count = len(expected_lines(data, end)) if _jsonl_file(data, lines) else _array_count(data, end)
        assert count is None or s["records"] == count
        assert out.read_bytes().count(b"\n") == s["kept"]
        assert drops.read_bytes().count(b"\n") == sum(s["dropped"].values())


@given(files())
@settings(FUZZ, max_examples=5 * SCALE)  # check loads great-expectations and a language model
def test_check_never_crashes(case):
    data, end, _, lines, _, hows = case
    with tempfile.TemporaryDirectory() as d:
        src = Path(d, "in.jsonl")
        src.write_bytes(data)
        code, stdout, err = run("check", src, "--report-dir", Path(d, "r"), "--no-data-docs", "--json", "-q")
        sane(code, err)
        if code != 2 and _jsonl_file(data, lines):
            report = json.loads(Path(d, "r", "report.json").read_text())
            assert report["records"] == len(expected_lines(data, end))
