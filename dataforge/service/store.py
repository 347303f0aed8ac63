"""The artifact store under --home/store: one folder per team, blobs content-addressed by sha256, one folder per
job. No path handed in by a client is ever joined without `inside()` checking it stays in the team's folder."""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from dataforge.service.errors import ServiceError

EXTENSIONS = (".jsonl", ".json", ".parquet")  # what the library reads
MULTIPART_SLACK = 64 << 10  # headers and boundaries around the file part: room allowed above the size limit


def team_root(store: str, team_id: int) -> str:
    return os.path.join(store, "teams", str(team_id))


def blob_dir(store: str, team_id: int, sha: str) -> str:
    return os.path.join(team_root(store, team_id), "blobs", sha)


def blob_path(store: str, team_id: int, sha: str, filename: str) -> str:
    return os.path.join(blob_dir(store, team_id, sha), "data" + os.path.splitext(filename)[1])


def job_dir(store: str, team_id: int, job_id: str) -> str:
    return os.path.join(team_root(store, team_id), "jobs", job_id)


def inside(root: str, rel: str) -> str:
    """`root/rel`, refused (404, as for anything not there) when it would leave `root`: `..`, an absolute path or
    a symlink pointing out."""
    if not rel or os.path.isabs(rel) or "\x00" in rel:
        raise ServiceError(404, "not_found", f"file {rel!r} not found")
    real_root = os.path.realpath(root)
    path = os.path.realpath(os.path.join(real_root, rel))
    if os.path.commonpath([real_root, path]) != real_root or not os.path.isfile(path):
        raise ServiceError(404, "not_found", f"file {rel!r} not found")
    return path


class Upload:
    """A file received from a multipart body: written to `tmp` as it arrives, hashed on the way."""

    def __init__(self, tmp: str, limit: int):
        self.tmp, self.limit = tmp, limit
        self.filename: str | None = None
        self.size = 0
        self.sha = hashlib.sha256()
        self.too_big = False
        self._fh = None
        self._headers: dict[bytes, bytes] = {}
        self._field = b""
        self._value = b""

    # python-multipart callbacks: one part at a time; only the part named `file` is kept
    def on_part_begin(self) -> None:
        self._headers = {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def on_headers_finished(self) -> None:
        _, opts = parse_options_header(self._headers.get(b"content-disposition", b""))
        if opts.get(b"name") == b"file" and self._fh is None:
            self.filename = os.path.basename(opts.get(b"filename", b"upload.jsonl").decode("utf-8", "replace"))
            self._fh = open(self.tmp, "wb")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._fh is None or self._fh.closed or self.too_big:
            return
        chunk = data[start:end]
        self.size += len(chunk)
        if self.size > self.limit:
            self.too_big = True
            return
        self.sha.update(chunk)
        self._fh.write(chunk)

    def on_part_end(self) -> None:
        if self._fh is not None:
            self._fh.close()


async def receive(request: Request, tmp_dir: str, limit: int) -> Upload:
    """Stream the multipart field `file` to a temporary file. 413 past `limit` bytes, 422 without a `file`
    field; either way the temporary file is removed."""
    ctype, opts = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or b"boundary" not in opts:
        raise ServiceError(422, "invalid", "send the data as multipart/form-data with the field 'file'", "file")
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit + MULTIPART_SLACK:
        raise _too_big(limit)
    os.makedirs(tmp_dir, exist_ok=True)
    up = Upload(os.path.join(tmp_dir, uuid.uuid4().hex + ".part"), limit)
    parser = MultipartParser(opts[b"boundary"], {
        "on_part_begin": up.on_part_begin, "on_header_field": up.on_header_field,
        "on_header_value": up.on_header_value, "on_header_end": up.on_header_end,
        "on_headers_finished": up.on_headers_finished, "on_part_data": up.on_part_data,
        "on_part_end": up.on_part_end})
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if up.too_big:
                raise _too_big(limit)
        parser.finalize()
        if up.filename is None:
            raise ServiceError(422, "invalid", "no multipart field named 'file'", "file")
        if os.path.splitext(up.filename)[1].lower() not in EXTENSIONS:
            raise ServiceError(422, "invalid", f"{up.filename!r}: use one of {', '.join(EXTENSIONS)}", "file")
    except BaseException:
        if up._fh is not None:
            up._fh.close()
        discard(up.tmp)
        raise
    return up


def _too_big(limit: int) -> ServiceError:
    return ServiceError(413, "too_large", f"the upload is larger than the limit of {limit} bytes", "file")


def discard(path: str) -> None:
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.exists(path):
        os.remove(path)
