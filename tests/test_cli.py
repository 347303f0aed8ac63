"""The CLI contract: command table in sync, no traceback for bugs, light commands stay light."""

import json
import subprocess
import sys

import pytest

from dataforge import cli
from tests.conftest import ROOT, SAMPLE


def test_command_table_matches_the_parser():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == set(cli.COMMANDS)


def test_internal_errors_are_one_line(run_cli, monkeypatch, tmp_path):
    def boom(args):
        raise RuntimeError("kaboom")

    monkeypatch.setitem(cli.COMMANDS, "validate", (cli.COMMANDS["validate"][0], boom))
    code, _, err = run_cli("validate", tmp_path / "x.jsonl")
    assert code == 2 and err.strip() == ("dataforge: internal error: RuntimeError: kaboom "
                                         "(set DATAFORGE_DEBUG=1 for the traceback)")


def test_usage_errors_exit_2(run_cli):
    with pytest.raises(SystemExit) as exc:
        run_cli("validate", "--format", "yaml", "x")
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:  # a stray argument that is no key=value override is still refused
        run_cli("train", "tiny-cpu", "--skip-gate", "stray")
    assert exc.value.code == 2


def test_validate_and_convert_import_no_heavy_modules(tmp_path):
    code = (
        "import sys; from dataforge.cli import main; "
        f"main(['validate', '-q', {str(SAMPLE / 'chat_tr.jsonl')!r}]); "
        f"main(['convert', '-q', {str(SAMPLE / 'chat_tr.jsonl')!r}, '--to', 'parquet', '-o', "
        f"{str(tmp_path / 'o.parquet')!r}]); "
        "import json; print(json.dumps(sorted(m for m in ('torch', 'transformers', 'great_expectations', "
        "'datasets', 'polars') if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(out.stdout.splitlines()[-1]) == []


def test_validate_of_clean_data_builds_no_pydantic_model():
    code = ("import sys; from dataforge.cli import main; "
            f"rc = main(['validate', '-q', {str(SAMPLE / 'chat_tr.jsonl')!r}]); "
            "print(rc, 'pydantic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["0", "False"]
