"""Without the ray extra, `--engine ray` is one line naming the extra, exit code 2 (usage), no traceback."""

from __future__ import annotations

import sys

from tests.conftest import SAMPLE


def test_engine_ray_without_ray_names_the_extra(run_cli, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as it does without the extra
    code, _, err = run_cli("check", SAMPLE / "chat_tr.jsonl", "--engine", "ray", "--report-dir", tmp_path / "r")
    assert code == 2
    assert err.strip().splitlines()[-1] == "--engine ray needs Ray Data: pip install 'dataforge[ray]'"
    code, _, err = run_cli("clean", SAMPLE / "chat_tr.jsonl", "-o", tmp_path / "out.jsonl", "--engine", "ray")
    assert code == 2 and "pip install 'dataforge[ray]'" in err and "Traceback" not in err
