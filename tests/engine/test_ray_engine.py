"""check and clean on a real Ray cluster (tests/engine/conftest.py) give the local engine's results: the same
report.json, the same output and --drops bytes, with the input cut into many blocks spread over two nodes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dataforge.clean import clean
from dataforge.quality.gate import run_gate

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
pytestmark = pytest.mark.slow


def _report(path: str) -> dict:
    return json.loads(Path(path).read_text())


def _local_and_ray_reports(paths, tmp_path, block_bytes, **opts):
    from dataforge.engine.ray_check import run_gate_ray

    local = run_gate([str(p) for p in paths], report_dir=str(tmp_path / "local"), data_docs=False, **opts)
    ray_ = run_gate_ray([str(p) for p in paths], report_dir=str(tmp_path / "ray"), data_docs=False,
                        block_bytes=block_bytes, **opts)
    return _report(local.report_json), _report(ray_.report_json)


def test_check_on_ray_equals_local_on_sample_data(ray_cluster, tmp_path):
    paths = [SAMPLE / "chat_tr.jsonl", SAMPLE / "broken_chat.jsonl", SAMPLE / "sharegpt_tr.jsonl",
             SAMPLE / "tools_tr.jsonl"]
    local, ray_ = _local_and_ray_reports(paths, tmp_path, block_bytes=4000)
    assert ray_ == local
    assert ray_["records"] == local["records"] > 0 and ray_["invalid"] > 0  # the broken records are counted
    flagged = {c["name"]: c["flagged"] for c in ray_["checks"]}
    assert flagged["tool_unanswered_calls"] > 0  # the tool sample's broken records are seen on Ray too


def test_check_with_tokenizers_on_ray_equals_local(ray_cluster, chat_tokenizers, tmp_path):
    """Token counts with the chat template and truncation per block, and the tokenizer-fit table merged from
    per-block parts (a compare tokenizer too): the local engine's report."""
    gate, small = (str(p) for p in chat_tokenizers)
    paths = [SAMPLE / "chat_tr.jsonl", SAMPLE / "broken_chat.jsonl", SAMPLE / "tools_tr.jsonl"]
    local, ray_ = _local_and_ray_reports(paths, tmp_path, 4000, tokenizer=gate, compare_tokenizers=[small],
                                         max_seq_len=150)
    assert ray_ == local
    trunc = next(c for c in ray_["checks"] if c["name"] == "truncation")
    assert 0 < trunc["flagged"] < ray_["valid"]  # some records are over 150 tokens, not all
    fits = ray_["tokenizers"]
    assert [f["tokenizer"] for f in fits] == [gate, small] and [f["max_length"] for f in fits] == [150, 150]
    assert fits[0]["truncated"] == trunc["flagged"] < fits[1]["truncated"]  # the byte-like vocabulary: more over
    assert fits[0]["texts"] > ray_["valid"] and fits[1]["tokens_per_word"] > 2 * fits[0]["tokens_per_word"]


def test_a_record_the_template_cannot_render_is_the_local_engines_error_on_ray(ray_cluster, chat_tokenizers,
                                                                               tmp_path):
    """Records in two blocks the template refuses: Ray raises the local engine's DataError (the first one), not
    a wrapped worker error."""
    from dataforge.engine.ray_check import run_gate_ray
    from dataforge.errors import DataError

    lines = (SAMPLE / "chat_tr.jsonl").read_text(encoding="utf-8").splitlines()[:12]
    for i in (4, 10):
        lines[i] = lines[i].replace('"content": "', '"content": "YASAK ', 1)
    src = tmp_path / "refused.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    template = ("{% for m in messages %}{% if 'YASAK' in m['content'] %}{{ raise_exception('YASAK is refused') }}"
                "{% endif %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}")
    opts = {"tokenizer": str(chat_tokenizers[0]), "chat_template": template, "data_docs": False}
    with pytest.raises(DataError) as local:
        run_gate([str(src)], report_dir=str(tmp_path / "local"), **opts)
    with pytest.raises(DataError) as ray_:
        run_gate_ray([str(src)], report_dir=str(tmp_path / "ray"), block_bytes=3000, **opts)
    assert ray_.value.lines() == local.value.lines()
    assert ray_.value.problems[0].line == 5 and "YASAK is refused" in ray_.value.problems[0].message


def test_clean_on_ray_keeps_tool_calls_as_local(ray_cluster, tmp_path):
    """Tool records (PII redacted inside arguments, calls part of the duplicate key) come out as the local engine's."""
    local, ray_ = _clean_both(SAMPLE / "tools_tr.jsonl", tmp_path, 2000)
    assert ray_.as_json() == local.as_json() and ray_.adds_up
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert (tmp_path / "ray.drops").read_bytes() == (tmp_path / "local.drops").read_bytes()
    assert sum(1 for _ in (tmp_path / "ray.jsonl").open()) > 0


def test_check_on_ray_equals_local_on_bench_data(ray_cluster, bench_data, tmp_path):
    local, ray_ = _local_and_ray_reports([bench_data], tmp_path, block_bytes=150_000)  # 15 blocks
    assert ray_ == local
    flagged = {c["name"]: c["flagged"] for c in ray_["checks"]}
    assert flagged["exact_duplicates"] > 0 and flagged["near_duplicates"] > 0 and flagged["pii_email"] > 0


def test_check_on_ray_validates_in_slices_with_the_local_result(ray_cluster, bench_data, tmp_path, monkeypatch):
    """The driver validates the (memory-mapped) feature table 700 rows at a time: the report is still local's."""
    from dataforge.engine import ray_check
    from dataforge.quality import gx_run

    slices = []
    runner = gx_run._runner

    def counting(*args, **kwargs):
        run = runner(*args, **kwargs)
        return lambda df: slices.append(df.height) or run(df)

    monkeypatch.setattr(ray_check, "SUITE_CHUNK_ROWS", 700)
    monkeypatch.setattr(gx_run, "_runner", counting)
    local, ray_ = _local_and_ray_reports([bench_data], tmp_path, block_bytes=150_000)
    assert ray_ == local
    assert slices[0] == local["records"]  # the local run: one frame
    assert slices[1:] == [700] * (local["records"] // 700) + [local["records"] % 700]
    assert any(c["flagged"] and c["status"] == "fail" for c in ray_["checks"])


def _cut_lines(path: Path, block_bytes: int) -> list[int]:
    from dataforge.engine.input_blocks import plan

    return [s.first_line for s in plan([str(path)], "auto", block_bytes)]


def _block_of(line: int, firsts: list[int]) -> int:
    return sum(f <= line for f in firsts) - 1


def _clean_both(src: Path, tmp_path: Path, block_bytes: int):
    from dataforge.engine.ray_clean import clean_ray

    opts = {"dedup": True, "lang": "tr", "fix_mojibake_": True, "redact_pii": True}
    local = clean(str(src), str(tmp_path / "local.jsonl"), drops=str(tmp_path / "local.drops"), **opts)
    ray_ = clean_ray(str(src), str(tmp_path / "ray.jsonl"), drops=str(tmp_path / "ray.drops"),
                     block_bytes=block_bytes, **opts)
    return local, ray_


def test_clean_on_ray_writes_the_local_output(ray_cluster, bench_data, tmp_path):
    local, ray_ = _clean_both(bench_data, tmp_path, 150_000)
    assert ray_.as_json() == local.as_json() and ray_.adds_up
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert (tmp_path / "ray.drops").read_bytes() == (tmp_path / "local.drops").read_bytes()
    # duplicates whose first copy sits in another block (so on another task, often another node) were found
    firsts = _cut_lines(bench_data, 150_000)
    across = 0
    for line in (tmp_path / "ray.drops").read_text().splitlines():
        d = json.loads(line)
        if d["reason"] in ("exact_duplicate", "near_duplicate"):
            orig = int(d["detail"]["duplicate_of"].rsplit(":", 1)[1])
            across += _block_of(orig, firsts) != _block_of(d["line"], firsts)
    assert local.dropped["near_duplicate"] > 0 and across > 10


def _kill_one_block_worker(stop: threading.Event, killed: list[int]) -> None:
    """SIGKILL the first Ray worker process seen running a clean block (its process title says so)."""
    while not stop.is_set() and not killed:
        out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True).stdout
        for line in out.splitlines():
            pid, _, args = line.strip().partition(" ")
            if "_clean_block" in args and args.startswith("ray::"):
                os.kill(int(pid), signal.SIGKILL)
                killed.append(int(pid))
                return
        time.sleep(0.02)


def test_a_killed_worker_is_retried_without_loss_or_duplicates(ray_cluster, bench_data, tmp_path):
    stop, killed = threading.Event(), []
    watcher = threading.Thread(target=_kill_one_block_worker, args=(stop, killed))
    watcher.start()
    try:
        local, ray_ = _clean_both(bench_data, tmp_path, 60_000)  # ~38 blocks: the watcher finds one running
    finally:
        stop.set()
        watcher.join()
    assert killed, "no block worker was seen running"
    assert ray_.as_json() == local.as_json() and ray_.adds_up
    out = (tmp_path / "ray.jsonl").read_bytes()
    assert out == (tmp_path / "local.jsonl").read_bytes()
    lines = out.splitlines()
    assert len(lines) == len(set(lines)) == local.kept


def test_cli_check_engine_ray_joins_the_cluster(ray_cluster, chat_tokenizers, tmp_path):
    """The CLI passes --tokenizer (twice: the gate's and one to compare) and --max-seq-len to the Ray engine."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), RAY_USAGE_STATS_ENABLED="0")
    src = SAMPLE / "chat_tr.jsonl"
    gate, small = (str(p) for p in chat_tokenizers)
    r = subprocess.run([sys.executable, "-m", "dataforge", "check", str(src), "--engine", "ray", "--ray-address",
                        ray_cluster.address, "--report-dir", str(tmp_path / "ray"), "--no-data-docs", "-q",
                        "--tokenizer", gate, "--tokenizer", small, "--max-seq-len", "150"],
                       env=env, capture_output=True, text=True, timeout=300)
    local = run_gate([str(src)], report_dir=str(tmp_path / "local"), data_docs=False, tokenizer=gate,
                     compare_tokenizers=[small], max_seq_len=150)
    assert r.returncode == (0 if local.passed else 1), r.stderr
    assert "Traceback" not in r.stderr
    # Ray Data's own chatter (a line per dataset executed, "progress bars disabled") stays out of -q's output
    assert "execution finished" not in r.stderr and "Progress bars" not in r.stderr, r.stderr
    assert _report(str(tmp_path / "ray" / "report.json")) == _report(local.report_json)
