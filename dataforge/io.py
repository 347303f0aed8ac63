"""Streaming readers and writers that keep file and line numbers.

Readers yield `Item`s: one per non-blank JSONL line, per element of a top-level JSON array, or per parquet row.
Nothing is held beyond one block of input, so memory stays flat however large the file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from dataforge.errors import InputError, Problem

BOM = b"\xef\xbb\xbf"
BLOCK = 1 << 20
MAX_LINE_BYTES = 64 << 20  # a line longer than this is rejected, not read whole: guards against binary blobs
UNPARSED = object()


@dataclass
class Item:
    """One input record before parsing. `raw` is the original bytes (no line terminator)."""

    line: int
    raw: bytes
    obj: Any = UNPARSED  # already-parsed value (JSON arrays, parquet), else parsed later
    error: str | None = None  # set when the reader itself could not cut out a record (over-long line)


@dataclass
class ReadStats:
    lines: int = 0
    blank_lines: int = 0
    bytes_read: int = 0
    kind: str = "jsonl"
    extra: dict = field(default_factory=dict)


def open_input(path: str) -> IO[bytes]:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory; give a .jsonl, .json or .parquet file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc.strerror}") from None


def file_kind(path: str) -> str:
    """"parquet" (by its magic bytes, whatever the file is called), "json-array" (one top-level array, as
    LLaMA-Factory writes them), "jsonl-cr" (JSON Lines with old Mac line ends: CR only) or "jsonl"."""
    with open_input(path) as f:
        head = f.read(4096)
        if head[:4] == b"PAR1":
            return "parquet"
        first = head[len(BOM):] if head.startswith(BOM) else head
        if first.lstrip()[:1] == b"[":
            return "json-array"
        # JSON never holds a raw CR inside a string, so a first line that ends in a CR without an LF means old
        # Mac line ends: read split on CR, or 100 records would be one long invalid line. Look for the first
        # line end a little further than 4 KiB (one long first line), but never read a whole file for it.
        while not (b"\r" in head or b"\n" in head) and len(head) < BLOCK:
            more = f.read(65536)
            if not more:
                break
            head += more
    return "jsonl-cr" if _line_end(head) == b"\r" else "jsonl"


def _line_end(head: bytes) -> bytes:
    """b"\r" when the first line end in `head` is a CR alone (old Mac files), else b"\n" (LF or CRLF)."""
    cr = head.find(b"\r")
    if cr < 0 or (0 <= head.find(b"\n") < cr):
        return b"\n"
    return b"\n" if head[cr + 1:cr + 2] in (b"\n", b"") else b"\r"


def read_items(path: str, stats: ReadStats | None = None) -> Iterator[Item]:
    """Items of a JSONL (LF, CRLF or CR-only line ends), JSON-array or parquet file."""
    stats = stats if stats is not None else ReadStats()
    stats.kind = file_kind(path)
    if stats.kind == "parquet":
        yield from _parquet_items(path)
        return
    with open_input(path) as f:
        if stats.kind == "json-array":
            yield from _array_items(f, path, stats)
        else:
            yield from _jsonl_items(f, stats, b"\r" if stats.kind == "jsonl-cr" else b"\n")


def _jsonl_items(f: IO[bytes], stats: ReadStats, sep: bytes = b"\n") -> Iterator[Item]:
    """Non-blank lines, BOM and CR stripped. Blank lines are counted, not yielded. `sep` is the line end."""
    line_no = 0
    carry = b""
    first = True
    while True:
        block = f.read(BLOCK)
        if first:
            first = False
            if block.startswith(BOM):
                block = block[len(BOM):]
        if not block:
            break
        stats.bytes_read += len(block)
        lines = (carry + block).split(sep)
        carry = lines.pop()
        for raw in lines:
            line_no += 1
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            if not raw.strip():
                stats.blank_lines += 1
                continue
            yield Item(line_no, raw) if len(raw) <= MAX_LINE_BYTES else _too_long(line_no, raw[:1024], len(raw))
        if len(carry) > MAX_LINE_BYTES:
            line_no += 1
            yield _skip_long_line(f, carry, line_no, stats)
            carry = b""
    if carry:  # last line without a newline (or a truncated one: its parse will fail and say so)
        line_no += 1
        carry = carry[:-1] if carry.endswith(b"\r") else carry
        if carry.strip():
            yield Item(line_no, carry)
        else:
            stats.blank_lines += 1
    stats.lines = line_no


def _skip_long_line(f: IO[bytes], head: bytes, line_no: int, stats: ReadStats) -> Item:
    """Consume the rest of an over-long line without holding it; keep the first KiB for the reject."""
    size = len(head)
    while True:
        chunk = f.readline(BLOCK)
        stats.bytes_read += len(chunk)
        size += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            break
    return _too_long(line_no, head[:1024], size)


def _too_long(line_no: int, head: bytes, size: int) -> Item:
    msg = f"line is {size} bytes, over the {MAX_LINE_BYTES}-byte limit (binary data or a broken file?)"
    return Item(line_no, head, error=msg)


class _NoConstants(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _NoConstants(f"{name} is not valid JSON; write null or a number")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _array_items(f: IO[bytes], path: str, stats: ReadStats) -> Iterator[Item]:
    yield from _ArrayReader(f, path, stats).items()


class _ArrayReader:
    """Elements of one top-level JSON array, read incrementally, each with the line it starts on."""

    def __init__(self, f: IO[bytes], path: str, stats: ReadStats):
        import codecs

        self.f, self.path, self.stats = f, path, stats
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.buf, self.pos, self.line, self.eof = "", 0, 1, False

    def fill(self) -> bool:
        """Append the next block to the unread part of the buffer; False at end of file."""
        chunk = self.f.read(BLOCK)
        self.stats.bytes_read += len(chunk)
        try:
            text = self.decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise InputError(f"{self.path}: not UTF-8 ({exc.reason}); a JSON array file must be UTF-8") from None
        self.buf, self.pos = self.buf[self.pos:] + text, 0
        self.eof = not chunk
        return bool(chunk)

    def peek(self) -> str:
        """The next non-whitespace character ('' at end of file), counting the newlines skipped."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.line += self.buf[self.pos] == "\n"
                self.pos += 1
            if self.pos < len(self.buf) or not self.fill():
                return self.buf[self.pos:self.pos + 1]

    def rest(self) -> bytes:
        return (self.buf[self.pos:].encode() + self.f.read(1 << 20))[: 1 << 20]

    def items(self) -> Iterator[Item]:
        if self.peek() != "[":
            raise InputError(f"{self.path}:{self.line}: not a JSON array")
        self.pos += 1
        first = True
        while True:
            char = self.peek()
            if char == "]":
                self.pos += 1
                yield from self.after_end()
                return
            if not first:
                if char != ",":
                    yield Item(self.line, self.rest(), error="expected ',' or ']' between array elements")
                    return
                self.pos += 1
                self.peek()
            first = False
            start = self.line
            while True:
                try:
                    obj, end = _DECODER.raw_decode(self.buf, self.pos)
                    break
                except _NoConstants as exc:
                    yield Item(start, self.rest(), error=str(exc))
                    return
                except RecursionError:  # Python's decoder recurses per nesting level
                    yield Item(start, self.rest(), error="an element is nested too deeply to read (about 1000 "
                                                         "levels; the rest of the array cannot be read)")
                    return
                except json.JSONDecodeError as exc:
                    too_big = len(self.buf) - self.pos > MAX_LINE_BYTES
                    if too_big or not self.fill():
                        yield Item(start, self.rest(), error=f"invalid JSON: {exc.msg} (the rest of the array "
                                                              "cannot be read)")
                        return
            text = self.buf[self.pos:end]
            self.line += text.count("\n")
            self.pos = end
            yield Item(start, text.encode(), obj=obj)


    def after_end(self) -> Iterator[Item]:
        """Whatever follows the closing ']': each non-blank line an error item, so a JSONL file that happens to
        start with an array line loses nothing silently (it used to: every line after the ']' was ignored)."""
        end = self.line
        head = self.buf[self.pos:].encode() + self.decoder.getstate()[0]  # + bytes of a character cut at the block end
        sep = _line_end(head)
        msg = (f"after the end of the JSON array (line {end}): a file is one JSON array or JSON Lines, not both; "
               "put this record inside the array, or write every record on its own line")
        stats = ReadStats()
        for item in _jsonl_items(_Chain(head, self.f), stats, sep):  # the tail's line 1 is the rest of line `end`
            item.line += end - 1
            item.error = item.error or msg
            yield item
        rest_of_end_line_blank = head != b"" and not head.split(sep, 1)[0].strip()
        self.stats.blank_lines += stats.blank_lines - rest_of_end_line_blank


class _Chain:
    """Some bytes already read, then the rest of a file, read like one file."""

    def __init__(self, head: bytes, f: IO[bytes]):
        self.head, self.f = head, f

    def read(self, n: int = -1) -> bytes:
        if self.head:
            out, self.head = (self.head, b"") if n < 0 else (self.head[:n], self.head[n:])
            return out
        return self.f.read(n)

    def readline(self, n: int = -1) -> bytes:
        if self.head:
            cut = self.head.find(b"\n") + 1 or len(self.head)
            cut = cut if n < 0 else min(cut, n)
            out, self.head = self.head[:cut], self.head[cut:]
            return out
        return self.f.readline(n)


def _parquet_items(path: str) -> Iterator[Item]:
    import orjson
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (OSError, Exception) as exc:  # pyarrow raises several types for a broken file
        raise InputError(f"{path}: cannot read parquet: {exc}") from None
    row = 0
    for batch in pf.iter_batches(batch_size=4096):
        for obj in batch.to_pylist():
            row += 1
            for key in ("meta",):  # meta is stored as a JSON string column
                if isinstance(obj.get(key), str):
                    obj[key] = orjson.loads(obj[key])
            obj = {k: v for k, v in obj.items() if v is not None}
            yield Item(row, orjson.dumps(obj), obj=obj)


class AtomicWriter:
    """Writes to `path.tmp` and renames on success, so a failed run never leaves a half-written file."""

    def __init__(self, path: str):
        self.path = path
        self.tmp = f"{path}.tmp"
        parent = Path(path).parent
        parent.mkdir(parents=True, exist_ok=True)
        self.f = open(self.tmp, "wb")

    def write(self, data: bytes) -> None:
        self.f.write(data)

    def copy_from(self, src: IO[bytes], offset: int, length: int) -> None:
        """Append a range of another file, in the kernel when it can (no bytes pass through Python)."""
        self.f.flush()
        try:
            while length > 0:
                done = os.copy_file_range(src.fileno(), self.f.fileno(), length, offset)
                if done == 0:
                    break
                offset, length = offset + done, length - done
        except (AttributeError, OSError):  # no copy_file_range (macOS, old kernels, some filesystems)
            pass
        if length > 0:
            src.seek(offset)
            self.f.write(src.read(length))

    def commit(self) -> None:
        self.f.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self.f.close()
        if os.path.exists(self.tmp):
            os.remove(self.tmp)


def load_json(item: Item) -> tuple[Any, Problem | None]:
    """Parse the item's raw bytes (unless the reader already did)."""
    if item.obj is not UNPARSED:
        return item.obj, None
    try:
        return orjson.loads(item.raw), None
    except orjson.JSONDecodeError as exc:
        text = str(exc)
        try:
            item.raw.decode()
        except UnicodeDecodeError as uexc:
            return None, Problem("", item.line, "line", f"not UTF-8 (byte {uexc.start}: {uexc.reason}); "
                                 "re-save the file as UTF-8", "invalid_utf8")
        if "recursion" in text.lower():
            return None, Problem("", item.line, "record", "nested too deeply to read (over 1024 levels): no SFT "
                                 "record needs that; flatten or remove the deep value", "too_deep")
        if "NaN" in text or "Infinity" in text or b"NaN" in item.raw or b"Infinity" in item.raw:
            hint = "NaN/Infinity are not JSON; write null or a number"
        elif item.raw.rstrip()[-1:] not in (b"}", b"]"):
            hint = "the line looks cut off (truncated write?); restore or remove it"
        else:
            hint = "fix the JSON syntax"
        return None, Problem("", item.line, "line", f"invalid JSON ({text.split(':')[0]}): {hint}",
                             "invalid_json")


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes, read 1 MiB at a time (the one copy: run manifests, GGUF sources, augment journals
    and the service's versions all hash files with it)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
