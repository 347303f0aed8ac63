"""Checks do not step on each other: a record built to trigger one check is flagged by that check only. A
mojibake record is not also asciified (its letters are garbled, not missing), a word typed 18 times is
repetition, not asciified Turkish, and English with a word that looks like asciified Turkish is just English."""

import json

import polars as pl

from dataforge.quality.checks import CHECKS
from dataforge.quality.features import build_features
from dataforge.quality.load import load
from tests.quality.helpers import SAMPLE, chat, tckn


def _mojibake_utf8(s: str) -> str:  # UTF-8 bytes read as cp1252 (undefined bytes as latin-1)
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in s.encode("utf-8"))


def _mojibake_cp1254(s: str) -> str:  # Windows Turkish bytes read as latin-1: ı→ý, ş→þ, ğ→ð
    return s.encode("cp1254").decode("latin-1")


def _flags(df: pl.DataFrame) -> dict[int, set[str]]:
    """line -> names of the checks whose own expression flags it."""
    out: dict[int, set[str]] = {}
    for c in CHECKS:
        if c.needs in df.columns:
            for line in df.filter(c.flag.fill_null(False))["line"].to_list():
                out.setdefault(line, set()).add(c.name)
    return out


def test_each_record_is_flagged_by_the_check_that_explains_it_only(tmp_path):
    sample = [json.loads(x) for x in (SAMPLE / "chat_tr.jsonl").read_text(encoding="utf-8").splitlines()]
    clean, source = sample[:30], sample[40:50]
    planted: list[tuple[dict, str]] = []
    for i, rec in enumerate(source):  # ten mojibake records, both families, user and assistant garbled
        garble = _mojibake_utf8 if i % 2 else _mojibake_cp1254
        planted.append(({"messages": [{"role": m["role"], "content": garble(m["content"])}
                                      for m in rec["messages"]]}, "mojibake"))
    planted += [
        (chat("merhaba", " ".join(["merhaba"] * 18)), "repetition"),
        (chat("Tell me about the museum.", "The gun was old. Every gun in the museum was cleaned once a year by "
                                           "the staff and kept behind glass."), "language"),
        (chat("Kahveyi nasil demlerim?", "Once suyu kaynatip biraz bekletmelisin, sonra cezveye iki kasik kahve "
                                         "koyup yavasca karistirarak pisirmelisin."), "asciified"),
        (chat("Kimlik numaram doğru mu yazılmış?", f"Yazdığın numara {tckn()} olarak görünüyor."), "pii_tckn"),
    ]
    lines = [json.dumps(r, ensure_ascii=False) for r in clean + [p for p, _ in planted]]
    path = tmp_path / "one_each.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    df = build_features(load([str(path)]))
    flags = _flags(df)
    for i, (_, check) in enumerate(planted):
        line = len(clean) + i + 1
        assert flags.get(line) == {check}, (line, check, flags.get(line))
    assert not any(flags.get(line) for line in range(1, len(clean) + 1))  # the clean ones stay clean
    assert int(df["mojibake"].sum()) == 10 and int(df["asciified"].sum()) == 1  # not 20 for 10 mojibake
