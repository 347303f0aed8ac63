"""Uploads: content-addressed versions, validation at once (summary and rejects), 413 and 422 leaving nothing."""

import hashlib
import json
import os

from tests.service.conftest import MAX_UPLOAD, SAMPLE, upload


def test_upload_gives_the_sha256_and_the_validate_summary(alpha):
    data = (SAMPLE / "chat_tr.jsonl").read_bytes()
    r = upload(alpha, "chat", SAMPLE / "chat_tr.jsonl")
    assert r.status_code in (200, 201)
    v = r.json()
    assert v["id"] == hashlib.sha256(data).hexdigest()
    assert v["size"] == len(data) and v["filename"] == "chat_tr.jsonl"
    assert v["summary"]["records"] == 74 and v["summary"]["valid"] == 74 and v["summary"]["invalid"] == 0
    assert v["summary"]["format"] == "chat" and v["lineage"] is None
    got = alpha.get(f"/v1/datasets/chat/versions/{v['id']}").json()
    assert got["id"] == v["id"] and got["summary"] == v["summary"]
    assert alpha.get(f"/v1/datasets/chat/versions/{v['id']}/data").content == data


def test_the_same_upload_twice_is_one_version(alpha):
    first = upload(alpha, "twice", SAMPLE / "instructions_tr.jsonl")
    second = upload(alpha, "twice", SAMPLE / "instructions_tr.jsonl", name="renamed.jsonl")
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert [v["id"] for v in alpha.get("/v1/datasets/twice").json()["versions"]] == [first.json()["id"]]


def test_invalid_records_are_counted_and_their_rejects_kept(alpha):
    v = upload(alpha, "broken", SAMPLE / "broken_chat.jsonl").json()
    assert v["summary"]["records"] == 12 and v["summary"]["valid"] == 2 and v["summary"]["invalid"] == 10
    rejects = [json.loads(x) for x in alpha.get(f"/v1/datasets/broken/versions/{v['id']}/rejects").text.splitlines()]
    assert len(rejects) == 10
    assert {r["file"] for r in rejects} == {"broken_chat.jsonl"}  # no server path leaks
    assert rejects[0]["line"] >= 1 and rejects[0]["errors"]


def test_too_large_is_413_and_leaves_nothing_behind(server, alpha):
    before = _store_files(server)
    r = upload(alpha, "huge", data=b'{"messages": []}\n' * (MAX_UPLOAD // 17 + 10))
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "too_large" and r.json()["error"]["field"] == "file"
    assert _store_files(server) == before
    assert alpha.get("/v1/datasets/huge").status_code == 404


def test_missing_file_field_and_bad_extension_are_422(server, alpha):
    r = alpha.post("/v1/datasets/x/versions", files={"other": ("a.jsonl", b"{}\n")})
    assert r.status_code == 422 and r.json()["error"]["field"] == "file"
    before = _store_files(server)
    r = upload(alpha, "x", data=b"hello", name="notes.txt")
    assert r.status_code == 422 and ".jsonl" in r.json()["error"]["message"]
    assert _store_files(server) == before
    r = upload(alpha, "..", data=b"{}\n")
    assert r.status_code in (404, 422)  # never a dataset named '..'


def test_unreadable_input_is_422_and_not_stored(server, alpha):
    before = _store_files(server)
    r = upload(alpha, "mixed", data=b'{"instruction": "a", "output": "b"}\n{"messages": [1]}\n' * 3)
    assert r.status_code == 422
    assert "mixed formats (line 1 is alpaca, line 2 is chat)" in r.json()["error"]["message"]
    assert "/store/" not in r.json()["error"]["message"]
    assert alpha.get("/v1/datasets/mixed").status_code == 404
    assert _store_files(server) == before


def _store_files(server) -> set[str]:
    out = set()
    for root, _dirs, names in os.walk(server.home / "store"):
        out.update(os.path.join(root, n) for n in names)
    return out
