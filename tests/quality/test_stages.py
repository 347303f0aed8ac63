"""`check` shows its progress per stage, with counts: bars on a terminal, one line per stage elsewhere, nothing
with --quiet."""

import io

from dataforge.quality.stages import Stages
from tests.quality.helpers import write_planted


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bars_on_a_terminal_show_the_stage_and_its_count(monkeypatch):
    term = _Terminal()
    monkeypatch.setattr("sys.stderr", term)
    stages = Stages(show=True)
    with stages.stage("language", 10, "distinct texts") as advance:
        for _ in range(10):
            advance(1)
    stages.close()
    out = term.getvalue()
    assert "language (distinct texts)" in out and "10/10" in out


def test_no_bars_when_quiet_or_not_a_terminal(monkeypatch):
    term = _Terminal()
    monkeypatch.setattr("sys.stderr", term)
    lines: list[str] = []
    stages = Stages(show=False, say=lines.append)  # --quiet: no bar even on a terminal
    with stages.stage("read", None) as advance:
        advance(3)
    stages.close()
    assert term.getvalue() == "" and lines[0].startswith("read: 3 records in ")


def test_cli_check_says_each_stage_with_counts_and_nothing_with_quiet(tmp_path, capsys):
    from dataforge.cli import main

    planted = write_planted(tmp_path / "p.jsonl")
    main(["check", str(planted), "--report-dir", str(tmp_path / "a"), "--no-data-docs"])
    err = capsys.readouterr().err
    for needle in ("check: read: 72 records in", "check: duplicates: 72 records", "check: language: ",
                   "check: suite turkish_sft: 17 expectations", "check: report: 3 files"):
        assert needle in err, needle
    main(["check", str(planted), "--report-dir", str(tmp_path / "b"), "--no-data-docs", "-q"])
    assert capsys.readouterr().err.strip().splitlines() == [f"report: {tmp_path / 'b' / 'report.html'}"]
