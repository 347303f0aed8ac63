"""No personal data in any report file: PII planted in records that also fail other checks (mojibake, asciified,
duplicates, another language, a broken record) must appear only as placeholders, in report.html, report.json and
the great-expectations Data Docs alike."""

import json

from dataforge.quality.gate import run_gate
from dataforge.quality.pii import redact_excerpt
from tests.quality.helpers import SAMPLE, chat, tckn

TCKN = tckn()
IBAN = "TR33 0006 1005 1978 6457 8413 26"
PHONE = "0532 412 45 67"
EMAIL = "ayse.yilmaz@ornek.com.tr"
PII = f"Kimlik {TCKN}, IBAN {IBAN}, telefon {PHONE}, e-posta {EMAIL}."
RAW = [TCKN, IBAN, IBAN.replace(" ", ""), PHONE, PHONE.replace(" ", ""), EMAIL]


def _planted(path):
    clean = (SAMPLE / "chat_tr.jsonl").read_text(encoding="utf-8").splitlines()[:30]
    recs = [
        chat("Bugün hava nasıl?", "BugÃ¼n hava Ã§ok gÃ¼zel, dÄ±ÅŸarÄ± Ã§Ä±kalÄ±m. " + PII),  # mojibake
        chat("Kahveyi nasil demlerim?", "Once suyu kaynatip biraz bekletmelisin, sonra cezveye iki kasik kahve "
                                        "koyup yavasca karistirarak pisirmelisin. " + PII),  # asciified
        chat("What is the capital of France?", "The capital of France is Paris, a city on the Seine. " + PII),
        chat("Bugün hava nasıl?", "BugÃ¼n hava Ã§ok gÃ¼zel, dÄ±ÅŸarÄ± Ã§Ä±kalÄ±m. " + PII),  # exact copy
    ]
    lines = clean + [json.dumps(r, ensure_ascii=False) for r in recs]
    lines.append(json.dumps({"messages": [{"role": "user", "content": PII}]}, ensure_ascii=False))  # broken
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_no_raw_pii_in_any_report_file(tmp_path):
    path = _planted(tmp_path / "pii.jsonl")
    res = run_gate([str(path)], report_dir=str(tmp_path / "rep"), data_docs=True)
    checks = {c["name"]: c for c in res.summary["checks"]}
    # the PII records are examples of other checks too: those excerpts are where raw values used to leak
    for name in ("mojibake", "asciified", "language", "exact_duplicates", "pii_tckn", "pii_email"):
        assert checks[name]["examples"], name
        assert all("[TCKN]" in e["excerpt"] for e in checks[name]["examples"]
                   if e["excerpt"]), name
    files = [p for p in (tmp_path / "rep").rglob("*") if p.is_file()]
    assert any(p.name == "report.html" for p in files) and any(p.name == "report.json" for p in files)
    assert any("data_docs" in p.parts for p in files)
    for p in files:
        text = p.read_text(encoding="utf-8", errors="replace")
        for raw in RAW:
            assert raw not in text, f"{raw!r} in {p}"
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert html.count("[IBAN]") >= 4 and "[TELEFON]" in html


def test_redact_excerpt_redacts_before_it_cuts():
    long = "x " * 70 + f"IBAN {IBAN} sonra"  # the cut falls inside the IBAN
    out = redact_excerpt(long, limit=150)
    assert "0006" not in out and len(out) <= 150
    assert redact_excerpt(PII) == "Kimlik [TCKN], IBAN [IBAN], telefon [TELEFON], e-posta [EPOSTA]."
    assert redact_excerpt(None) == "" and redact_excerpt("a\n\n b") == "a b"
