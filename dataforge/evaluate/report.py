"""eval/report.json and eval/report.html (self-contained: the loss plot is embedded as base64)."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

from dataforge.io import AtomicWriter

VERDICT_TEXT = {
    "overfitting": "Overfitting: val loss reached its minimum, then rose for several evals while train loss kept "
                   "falling. Use the best checkpoint, train fewer steps, lower the learning rate or add data.",
    "unstable": "Unstable: val loss rose but train loss did not keep falling (often a learning rate too high).",
    "ok": "No overfitting detected: val loss did not rise for long enough while train loss fell.",
    "no_eval": "No verdict: the run logged fewer than two eval losses (set an eval split and eval_steps).",
}


def write_json(report: dict, out: Path) -> Path:
    w = AtomicWriter(str(out))
    w.write(json.dumps(report, ensure_ascii=False, indent=2).encode("utf-8"))
    w.commit()
    return out


def _fmt(x) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    return html.escape("-" if x is None else str(x))


def _table(rows: list[tuple[str, object]]) -> str:
    return "<table>" + "".join(f"<tr><th>{html.escape(k)}</th><td>{_fmt(v)}</td></tr>" for k, v in rows) + "</table>"


def _base_vs_tuned(report: dict) -> str:
    """Base and tuned model on the same held-out records: the metrics in two columns, then answers side by side."""
    g, p = report["generation"], report.get("perplexity") or {}
    rows = [("perplexity", p.get("base"), p.get("tuned")), ("chrF", g["base"]["chrf"], g["chrf"]),
            ("BLEU", g["base"]["bleu"], g["bleu"]), ("ROUGE-L", g["base"]["rouge_l"], g["rouge_l"])]
    out = [f"<h2>Base vs tuned on {g['records']} held-out records (greedy)</h2><table><tr><th></th><th>base</th>"
           "<th>tuned</th></tr>" + "".join(f"<tr><th>{k}</th><td>{_fmt(b)}</td><td>{_fmt(t)}</td></tr>"
                                           for k, b, t in rows) + "</table>",
           "<h3>Answers side by side</h3><table class='answers'><tr><th>prompt</th><th>reference</th><th>base</th>"
           "<th>tuned</th></tr>"]
    out += [f"<tr><td>{html.escape(ex['prompt'])}</td><td>{html.escape(ex['reference'])}</td>"
            f"<td>{html.escape(ex.get('base_output', ''))}</td><td>{html.escape(ex['output'])}</td></tr>"
            for ex in g["examples"]]
    return "".join(out) + "</table>"


def write_html(report: dict, plot: Path | None, out: Path) -> Path:
    v = report["overfitting"]
    parts = [f"<h1>Evaluation of {html.escape(report['run'])}</h1>",
             f"<p class='{v['verdict']}'><b>{html.escape(VERDICT_TEXT.get(v['verdict'], v['verdict']))}</b></p>",
             _table([("verdict", v["verdict"]), ("onset step", v["onset_step"]), ("best step", v["best_step"]),
                     ("best val loss", v["best_val_loss"]), ("best checkpoint", report["best_checkpoint"]),
                     ("last val loss", v["last_val_loss"]), ("evaluated adapter", report["adapter"]),
                     ("base model", report["base_model"])])]
    if plot is not None and plot.exists():
        data = base64.b64encode(plot.read_bytes()).decode()
        parts.append(f"<h2>Loss curves</h2><img alt='loss curves' src='data:image/png;base64,{data}'>")
    parts.append("<h2>Generalisation gap (val - train) at each eval</h2><table><tr><th>step</th><th>train</th>"
                 "<th>val</th><th>gap</th></tr>" + "".join(
                     f"<tr><td>{g['step']}</td><td>{_fmt(g['train_loss'])}</td><td>{_fmt(g['val_loss'])}</td>"
                     f"<td>{_fmt(g['gap'])}</td></tr>" for g in v["gap"]) + "</table>")
    if report.get("perplexity"):
        p = report["perplexity"]
        parts.append("<h2>Perplexity</h2>" + _table([("data", p["data"]), ("records", p["records"]),
                     ("tokens", p["tokens"]), ("tuned", p["tuned"]), ("base", p["base"])]))
    if report.get("generation"):
        g = report["generation"]
        if g.get("base"):
            parts.append(_base_vs_tuned(report))
        else:
            parts.append("<h2>Generation (greedy)</h2>" + _table([("records", g["records"]), ("chrF", g["chrf"]),
                         ("BLEU", g["bleu"]), ("ROUGE-L", g["rouge_l"])]))
        for ex in ([] if g.get("base") else g["examples"]):
            parts.append(f"<details><summary>{html.escape(ex['where'])}</summary><p><b>prompt</b> "
                         f"{html.escape(ex['prompt'])}</p><p><b>reference</b> {html.escape(ex['reference'])}</p>"
                         f"<p><b>output</b> {html.escape(ex['output'])}</p></details>")
    if report.get("forgetting"):
        f = report["forgetting"]
        parts.append("<h2>Forgetting probe (base vs tuned)</h2>" + _table([
            ("probe", f["probe"]), ("records", f["records"]), ("base perplexity", f["base_perplexity"]),
            ("tuned perplexity", f["tuned_perplexity"]), ("ratio", f["ratio"]), ("flagged", f["flagged"])]))
    style = ("body{font-family:sans-serif;max-width:60em;margin:auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}"
             ".overfitting,.unstable{color:#b00}"
             ".ok{color:#070}img{max-width:100%}")
    doc = f"<!doctype html><html><head><meta charset='utf-8'><title>dataforge evaluate</title><style>{style}</style>" \
          f"</head><body>{''.join(parts)}</body></html>"
    w = AtomicWriter(str(out))
    w.write(doc.encode("utf-8"))
    w.commit()
    return out
