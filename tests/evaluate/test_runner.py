"""`dataforge evaluate RUN_DIR` end to end on the tiny runs: report.json/html, verdict, perplexity, metrics."""

import json
import math

import pytest

from dataforge.cli import main
from dataforge.run.run_dir import open_run

pytestmark = pytest.mark.slow  # trained tiny runs (session fixtures)


def test_evaluate_overfit_run_writes_reports(overfit_run, capsys):
    assert main(["evaluate", str(overfit_run), "--max-new-tokens", "16", "-q"]) == 0
    html_path = capsys.readouterr().out.strip()
    report = json.loads((overfit_run / "eval" / "report.json").read_text())
    assert html_path == str(overfit_run / "eval" / "report.html")
    v = report["overfitting"]
    assert v["verdict"] == "overfitting" and v["onset_step"] < 30 and v["best_step"] < 30
    assert report["best_checkpoint"] == str(overfit_run / "checkpoints" / f"checkpoint-{v['best_step']}")
    assert [g["step"] for g in v["gap"]] == list(range(3, 31, 3))
    html = (overfit_run / "eval" / "report.html").read_text()
    assert "data:image/png;base64,iVBOR" in html and "Overfitting" in html
    assert (overfit_run / "eval" / "loss_curves.png").read_bytes()[:4] == b"\x89PNG"

    ppl = report["perplexity"]
    # the same tokens as training's eval_loss (truncated to the run's max_length): exp(eval_loss) agrees
    last_eval = open_run(overfit_run).losses().eval[-1][1]
    assert ppl["records"] == 6 and ppl["max_length"] == 128
    assert math.isclose(math.log(ppl["tuned"]), last_eval, rel_tol=0.01)
    assert ppl["tuned"] > ppl["base"]  # overfitted to 4 chats: worse than the base on held-out chats

    gen = report["generation"]
    assert gen["records"] == 6 and 0 <= gen["chrf"] <= 100 and 0 <= gen["rouge_l"] <= 100
    assert len(gen["examples"]) == 5 and gen["examples"][0]["reference"]
    # the base model answered the same prompts: its scores and answers sit beside the tuned ones
    assert set(gen["base"]) == {"chrf", "bleu", "rouge_l"} and 0 <= gen["base"]["chrf"] <= 100
    assert all(isinstance(ex["base_output"], str) for ex in gen["examples"])
    assert "Base vs tuned on 6 held-out records" in html and "<th>base</th><th>tuned</th>" in html
    f = report["forgetting"]
    assert f["records"] == 16 and f["flagged"] == (f["tuned_perplexity"] > 1.1 * f["base_perplexity"])


def test_evaluate_logs_only_and_best_checkpoint(healthy_run, tmp_path):
    assert main(["evaluate", str(healthy_run), "--logs-only", "-q"]) == 0
    report = json.loads((healthy_run / "eval" / "report.json").read_text())
    assert report["overfitting"]["verdict"] == "ok" and report["perplexity"] is None
    assert report["best_checkpoint"].endswith(f"checkpoint-{report['overfitting']['best_step']}")


def test_evaluate_with_data_and_checkpoint_best(overfit_run, tmp_path, capsys):
    from tests.evaluate import tiny

    data = tmp_path / "held.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in tiny.chats(clip=60)[66:70]))
    out = tmp_path / "copy"
    import shutil

    shutil.copytree(overfit_run, out)
    assert main(["evaluate", str(out), "--data", str(data), "--checkpoint", "best", "--max-samples", "2",
                 "--max-new-tokens", "8", "-q", "--json"]) == 0
    report = json.loads((out / "eval" / "report.json").read_text())
    assert report["adapter"].endswith(f"checkpoint-{report['overfitting']['best_step']}")
    assert report["perplexity"]["data"] == str(data) and report["perplexity"]["records"] == 4
    assert report["generation"]["records"] == 2


def test_evaluate_errors_are_one_line(tmp_path, overfit_run, capsys):
    assert main(["evaluate", str(tmp_path / "missing")]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert main(["evaluate", str(overfit_run), "--checkpoint", "7", "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no checkpoint-7/" in err[0] and "3, 6, 9" in err[0]


def test_invalid_held_out_records_are_counted_and_reported(overfit_run, tmp_path, capsys):
    import shutil

    from tests.evaluate import tiny

    overfit_run = shutil.copytree(overfit_run, tmp_path / "run")  # the session's run stays as trained
    rows = tiny.chats(clip=60)[66:69]
    data = tmp_path / "held.jsonl"
    bad = {"messages": [{"role": "user", "content": "iki kullanıcı"}, {"role": "user", "content": "arka arkaya"}]}
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in [*rows, bad]))
    assert main(["evaluate", str(overfit_run), "--data", str(data), "--max-samples", "1",
                 "--max-new-tokens", "4"]) == 0
    err = capsys.readouterr().err
    assert f"held-out data: {data}:4: messages[1].role" in err
    assert f"held-out data: 1 invalid records in {data} not evaluated" in err
    report = json.loads((overfit_run / "eval" / "report.json").read_text())
    assert report["perplexity"]["records"] == 3 and report["perplexity"]["invalid_records"] == 1
