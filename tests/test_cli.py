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


def test_errors_raised_on_a_ray_worker_print_as_on_one_machine(run_cli, monkeypatch, tmp_path):
    # what Ray hands the driver: RayTaskError(Original), whose text is the worker's traceback, and Ray Data's
    # UserCodeException caused by it
    exceptions = pytest.importorskip("ray.exceptions")
    from ray.data.exceptions import UserCodeException

    from dataforge.errors import UsageError

    def remote(cause):
        return exceptions.RayTaskError("_check_block", "Traceback (most recent call last):\n  File \"x.py\"\n",
                                       cause).as_instanceof_cause()

    def wrapped(cause):
        try:
            raise UserCodeException("UDF failed to process a data block.") from remote(cause)
        except UserCodeException as exc:
            return exc

    for make in (remote, wrapped):
        for cause, code, line in ((UsageError("t.jsonl:3: messages: bad role; fix it"), 2,
                                   "t.jsonl:3: messages: bad role; fix it"),
                                  (ValueError("kaboom\nsecond line"), 2,
                                   "dataforge: internal error: ValueError: kaboom (set DATAFORGE_DEBUG=1 for the "
                                   "traceback)")):
            def boom(args, exc=make(cause)):
                raise exc

            monkeypatch.setitem(cli.COMMANDS, "validate", (cli.COMMANDS["validate"][0], boom))
            got, _, err = run_cli("validate", tmp_path / "x.jsonl")
            assert (got, err.strip()) == (code, line)


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
