"""Small fixtures for the quality tests: a chat file with one planted problem per check."""

from __future__ import annotations

import json
import random
from pathlib import Path

from stdnum.tr import tckimlik

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"

BASE = ("Kurutulmuş kahve telvesi az miktarda toprağa karıştırıldığında toprağın yapısını iyileştirir ve kompost "
        "yığınına eklendiğinde iyi bir azot kaynağıdır. Ancak kalın bir tabaka hâlinde serilirse kuruyup sertleşir.")


def chat(user: str, assistant: str) -> dict:
    return {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]}


def tckn() -> str:
    base = str(random.Random(7).randint(100_000_000, 999_999_999))
    return base + tckimlik.calc_check_digits(base)


# name -> (record or raw line, the check that must flag it; None = clean)
PLANTED: list[tuple[str, object, str | None]] = [
    ("original", chat("Kahve telvesi bahçede işe yarar mı?", BASE), None),
    ("exact copy", chat("Kahve telvesi bahçede işe yarar mı?", BASE + "  "), "exact_duplicates"),
    ("near copy", chat("Kahve telvesi bahçede işe yarar mı?", BASE.replace("iyi bir", "harika bir")),
     "near_duplicates"),
    ("tckn", chat("Kimlik numaram doğru mu yazılmış?", f"Yazdığın numara {tckn()} olarak görünüyor."), "pii_tckn"),
    ("iban", chat("Hesabıma para yatırır mısın?", "Elbette, TR33 0006 1005 1978 6457 8413 26 numarasına."),
     "pii_iban"),
    ("phone", chat("Sana nasıl ulaşırım?", "Beni 0532 412 45 67 numarasından arayabilirsin."), "pii_phone"),
    ("email", chat("E-posta adresin ne?", "Adresim ayse.yilmaz@ornek.com.tr şeklinde."), "pii_email"),
    ("mojibake", chat("Bugün hava nasıl?", "BugÃ¼n hava Ã§ok gÃ¼zel, dÄ±ÅŸarÄ± Ã§Ä±kalÄ±m."), "mojibake"),
    ("english", chat("What is the capital of France?", "The capital of France is Paris, a city on the Seine."),
     "language"),
    ("asciified", chat("Kahveyi nasil demlerim?", "Once suyu kaynatip biraz bekletmelisin, sonra cezveye iki "
                       "kasik kahve koyup yavasca karistirarak pisirmelisin."), "asciified"),
    ("zero-width turn", chat("Boş cevap olur mu?", "\u200b\u200b"), "empty_or_whitespace"),
    ("blank turn", chat("Boş cevap olur mu?", "   "), "empty_or_whitespace"),
    ("broken", '{"messages": [{"role": "user", "content": "Merhaba"}]}', "invalid_records"),
    ("asciified answer", chat("Çayı nasıl demlemeliyim?", "Demligi once sicak suyla isit, sonra cayi koyup kisik "
                              "ateste on bes dakika kadar demlenmeye birak."), "asciified"),
]


def write_planted(path: Path, clean_records: int = 60) -> Path:
    """Sample chats (clean) followed by the planted records; returns the path."""
    lines = (SAMPLE / "chat_tr.jsonl").read_text(encoding="utf-8").splitlines()[:clean_records]
    for _, rec, _ in PLANTED:
        lines.append(rec if isinstance(rec, str) else json.dumps(rec, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def expected_flags(clean_records: int = 60) -> dict[str, list[int]]:
    """check name -> line numbers that must be flagged."""
    out: dict[str, list[int]] = {}
    for i, (_, _, check) in enumerate(PLANTED):
        if check:
            out.setdefault(check, []).append(clean_records + i + 1)
    return out
