"""`dataforge clean`: repairs, filters, drops with reasons, counts that add up."""

import json

from dataforge.clean import clean
from tests.quality.helpers import PLANTED, write_planted


def _read(path):
    return [json.loads(x) for x in open(path, encoding="utf-8") if x.strip()]


def test_everything_on_counts_add_up_and_every_drop_has_a_reason(tmp_path):
    src = write_planted(tmp_path / "p.jsonl", clean_records=20)
    out, drops = tmp_path / "out.jsonl", tmp_path / "drops.jsonl"
    s = clean(str(src), str(out), dedup=True, redact_pii=True, fix_mojibake_=True, lang="tr", drops=str(drops))
    kept, dropped = _read(out), _read(drops)
    assert s.adds_up and s.records == 20 + len(PLANTED) == len(kept) + len(dropped)
    reasons = {(d["line"], d["reason"]) for d in dropped}
    assert reasons == {(22, "exact_duplicate"), (23, "near_duplicate"), (29, "language"), (31, "empty_turn"),
                       (32, "empty_turn"), (33, "invalid")}
    assert s.dropped == {"exact_duplicate": 1, "near_duplicate": 1, "language": 1, "empty_turn": 2, "invalid": 1}
    assert next(d for d in dropped if d["reason"] == "near_duplicate")["detail"]["duplicate_of"].endswith(":21")
    texts = "\n".join(m["content"] for r in kept for m in r["messages"])
    for placeholder in ("[TCKN]", "[IBAN]", "[TELEFON]", "[EPOSTA]"):
        assert placeholder in texts
    assert "Bugün hava çok güzel, dışarı çıkalım." in texts  # mojibake repaired
    assert s.changed["pii_redacted"] == 4 and s.changed["mojibake_fixed"] == 1


def test_without_options_only_normalises_and_drops_what_cannot_be_kept(tmp_path):
    src = write_planted(tmp_path / "p.jsonl", clean_records=5)
    out = tmp_path / "out.jsonl"
    s = clean(str(src), str(out))
    assert s.dropped == {"empty_turn": 2, "invalid": 1} and s.adds_up
    kept = _read(out)
    assert len(kept) == 5 + len(PLANTED) - 3
    assert kept[6]["messages"][1]["content"].endswith("sertleşir.")  # the trailing spaces of the copy are gone


def test_cli_clean(tmp_path, capsys):
    from dataforge.cli import main

    src = write_planted(tmp_path / "p.jsonl", clean_records=5)
    code = main(["clean", str(src), "-o", str(tmp_path / "o.jsonl"), "--dedup", "--json", "-q"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["adds_up"] is True
    assert summary["records"] == summary["kept"] + sum(summary["dropped"].values())


def test_clean_imports_no_heavy_modules(tmp_path):
    import subprocess
    import sys

    src = write_planted(tmp_path / "p.jsonl", clean_records=5)
    code = ("import sys; from dataforge.cli import main; "
            f"main(['clean', '-q', {str(src)!r}, '-o', {str(tmp_path / 'o.jsonl')!r}, '--dedup', '--lang', 'tr']); "
            "print(sorted(m for m in ('torch', 'transformers', 'great_expectations') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("[]")
