"""report.html renders: open it in headless Chromium and check that the screenshot is not blank."""

import shutil
import subprocess

import pytest

from tests.quality.helpers import write_planted

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_page_is_self_contained(tmp_path):
    from dataforge.quality.gate import run_gate

    res = run_gate([str(write_planted(tmp_path / "p.jsonl"))], report_dir=str(tmp_path / "r"), data_docs=False,
                   report_lang="en")
    html = open(res.report_html, encoding="utf-8").read()
    assert "Gate FAILED" in html and html.count("data:image/png;base64,") >= 3
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert f"{tmp_path / 'p.jsonl'}:61" in html  # examples carry file:line


def test_turkish_report_says_what_to_do_and_folds_the_rule_away(tmp_path):
    from dataforge.quality.gate import run_gate

    path = write_planted(tmp_path / "p.jsonl")
    res = run_gate([str(path)], report_dir=str(tmp_path / "r"), data_docs=False)  # --lang tr: Turkish report
    html = open(res.report_html, encoding="utf-8").read()
    assert '<html lang="tr">' in html and "Kalite kapısı: GEÇMEDİ" in html and "Gate FAILED" not in html
    # the summary on top: records read, what clean would keep, the one command
    s = res.summary["summary"]
    assert s["records"] == 74 and s["valid"] == 72
    assert s["after_clean"]["records"] == 68 and s["after_clean"]["dropped"] == {
        "invalid": 1, "empty_turn": 2, "language": 1, "exact_duplicate": 1, "near_duplicate": 1}
    assert s["after_clean"]["commands"] == [
        f"dataforge clean {path} -o {tmp_path / 'p.clean.jsonl'} --dedup --lang tr --redact-pii --fix-mojibake"]
    assert s["after_clean"]["still_flagged"] == {"asciified": 2}
    assert "Özet" in html and "clean sonrası kalacak" in html and "74 kayıttan 68 (%91.9)" in html
    # one advice line per flagged check, with the fixing command or the lines to edit, in report.json too
    checks = {c["name"]: c for c in res.summary["checks"]}
    assert checks["exact_duplicates"]["advice"]["found"] == "1 kayıt, daha önceki bir kaydın birebir kopyası."
    assert checks["exact_duplicates"]["advice"]["commands"] == [
        f"dataforge clean {path} -o {tmp_path / 'p.clean.jsonl'} --dedup"]
    assert checks["pii_iban"]["advice"]["commands"][0].endswith("--redact-pii")
    assert checks["mojibake"]["advice"]["commands"][0].endswith("--fix-mojibake")
    assert checks["language"]["advice"]["commands"][0].endswith("--lang tr")
    assert checks["asciified"]["advice"]["fix"].endswith(f"{path}: 70, 74. satır.")
    assert checks["length"]["advice"] is None  # nothing flagged: nothing to do
    assert "Ne yapmalı" in html and "KVKK" in html
    # the threshold in words; the great-expectations call only inside <details>
    assert checks["language"]["rule"] == "Kapı: işaretli kayıtların oranı en fazla %2 olabilir"
    assert checks["exact_duplicates"]["rule"] == "Kapı: hiçbir kayıt işaretlenmemeli"
    rule_at = html.index("expect_column_values_to_be_in_set(column=lang_ok")
    assert html.rfind("<details>", 0, rule_at) > html.rfind("</details>", 0, rule_at)
    assert res.failed_checks == res.summary["failed_checks"] == [
        "invalid_records", "exact_duplicates", "near_duplicates", "pii_tckn", "pii_iban", "pii_phone", "pii_email",
        "mojibake", "asciified", "empty_or_whitespace"]


def test_english_report_on_request(tmp_path):
    from dataforge.quality.gate import run_gate

    res = run_gate([str(write_planted(tmp_path / "p.jsonl"))], report_dir=str(tmp_path / "r"), data_docs=False,
                   report_lang="en")
    checks = {c["name"]: c for c in res.summary["checks"]}
    assert checks["language"]["rule"] == "Gate: at most 2% of records may be flagged"
    assert checks["exact_duplicates"]["advice"]["found"] == "1 record is an exact copy of an earlier record."
    assert checks["asciified"]["advice"]["fix"].endswith("lines 70, 74.")
    html = open(res.report_html, encoding="utf-8").read()
    assert "What to do" in html and "would remain after clean" in html and "68 of 74 (91.9%)" in html


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; make install "
                                             "does it): cannot screenshot report.html")
def test_screenshot_is_not_blank(tmp_path):
    import numpy as np
    from matplotlib.image import imread

    from dataforge.quality.gate import run_gate

    res = run_gate([str(write_planted(tmp_path / "p.jsonl"))], report_dir=str(tmp_path / "r"), data_docs=False)
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={shot}", "--window-size=1200,1600", f"file://{res.report_html}"],
                   check=True, capture_output=True, timeout=120)
    img = imread(str(shot))[..., :3]
    assert img.shape[0] == 1600 and img.shape[1] == 1200
    dark = (img.mean(axis=2) < 0.5).mean()  # share of pixels with text or plot ink
    assert img.std() > 0.05 and 0.005 < dark < 0.6
    assert ((img[..., 0] > 0.5) & (img[..., 1] < 0.3)).any()  # the "Gate FAILED" verdict is drawn in red
    assert np.unique(img.reshape(-1, 3), axis=0).shape[0] > 50  # plots, not a flat page


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; make install "
                                             "does it): cannot screenshot report.html")
def test_demo_report_shows_verdict_summary_and_advice_first(tmp_path):
    """`make demo` step 3: the sample data passes; the page says so in green, then the summary and what to do
    (here: truncation was not run, and why) before the checks table."""
    from matplotlib.image import imread

    from dataforge.quality.gate import run_gate
    from tests.quality.helpers import SAMPLE

    res = run_gate([str(SAMPLE / "chat_tr.jsonl"), str(SAMPLE / "instructions_tr.jsonl")],
                   report_dir=str(tmp_path / "quality"))
    html = open(res.report_html, encoding="utf-8").read()
    order = [html.index(x) for x in ("Kalite kapısı: GEÇTİ", "Özet", "Ne yapmalı", "Kontroller", "Grafikler")]
    assert order == sorted(order)
    assert "151 kayıttan 151 (%100)" in html and "Çalıştırılmadı: token sayımı için --tokenizer" in html
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={shot}", "--window-size=1200,900", f"file://{res.report_html}"],
                   check=True, capture_output=True, timeout=120)
    img = imread(str(shot))[..., :3]
    top = img[:300]  # the verdict sits at the top, drawn in green
    assert ((top[..., 1] > 0.85) & (top[..., 0] < 0.9) & (top[..., 2] < 0.9)).any()


def test_clean_command_keeps_the_file_name_and_quotes_spaces():
    from dataforge.quality.advice import clean_command

    assert clean_command("data/v1.2.jsonl", ["--dedup"]) == (
        "dataforge clean data/v1.2.jsonl -o data/v1.2.clean.jsonl --dedup")
    assert clean_command("my data.parquet", []) == "dataforge clean 'my data.parquet' -o 'my data.clean.jsonl'"
