"""report.html: one self-contained page (inline CSS, plots as data URIs) read before every training run."""

from __future__ import annotations

import html
from typing import Any


def _e(x: Any) -> str:
    return html.escape(str(x))


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;color:#222;
background:#fff}
h1{margin-bottom:.2rem} .verdict{font-size:1.4rem;font-weight:700;padding:.6rem 1rem;border-radius:6px;
display:inline-block;margin:.5rem 0 1rem} .pass{background:#d9f2dd;color:#17612a} .fail{background:#f9d9d9;
color:#8a1c1c} .info{background:#eee;color:#555}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem} th,td{border-bottom:1px solid #ddd;
padding:.35rem .5rem;text-align:left;vertical-align:top;font-size:.92rem} th{background:#f6f6f6}
.badge{padding:.1rem .5rem;border-radius:4px;font-weight:600;font-size:.85rem}
details{margin:.2rem 0} code{background:#f3f3f3;padding:0 .2rem} .plots img{max-width:100%;margin:.5rem 0}
.muted{color:#777}
"""


def _badge(check: dict) -> str:
    if not check["gated"]:
        return '<span class="badge info">info</span>'
    return '<span class="badge pass">pass</span>' if check["passed"] else '<span class="badge fail">FAIL</span>'


def _examples(check: dict) -> str:
    if not check["examples"]:
        return '<span class="muted">none</span>'
    items = []
    for ex in check["examples"]:
        extra = ""
        if ex.get("duplicate_of"):
            extra = f" <span class='muted'>(copy of {_e(ex['duplicate_of'])})</span>"
        if ex.get("lang"):
            extra = f" <span class='muted'>({_e(ex['lang'])}, {ex.get('confidence')})</span>"
        text = ex.get("excerpt") or "; ".join(ex.get("problems", []))
        items.append(f"<li><code>{_e(ex['file'])}:{_e(ex['line'])}</code>{extra} {_e(text)}</li>")
    more = check["flagged"] - len(check["examples"])
    tail = f"<li class='muted'>… and {more} more</li>" if more > 0 else ""
    return f"<details><summary>{len(check['examples'])} example(s)</summary><ul>{''.join(items)}{tail}</ul></details>"


def _rules(check: dict) -> str:
    parts = []
    for x in check["expectations"]:
        kw = ", ".join(f"{k}={v}" for k, v in x["kwargs"].items())
        parts.append(f"<code>{_e(x['type'])}({_e(kw)})</code>")
    return "<br>".join(parts) or '<span class="muted">not gated by this suite</span>'


def render(report: dict[str, Any], plots: dict[str, str]) -> str:
    verdict = "PASSED" if report["passed"] else "FAILED"
    cls = "pass" if report["passed"] else "fail"
    rows = "".join(
        f"<tr><td>{_badge(c)}</td><td><b>{_e(c['name'])}</b><br><span class='muted'>{_e(c['what'])}</span></td>"
        f"<td>{c['flagged']}</td><td>{_rules(c)}</td><td>{_examples(c)}</td></tr>" for c in report["checks"])
    imgs = "".join(f"<h3>{_e(t)}</h3><img alt='{_e(t)}' src='{uri}'>" for t, uri in plots.items())
    files = "".join(f"<li><code>{_e(f['path'])}</code>: {f['format']}, {f['records']} records, {f['valid']} valid, "
                    f"{f['invalid']} rejected</li>" for f in report["files"])
    docs = report.get("data_docs")
    docs_link = f"<p>Great Expectations Data Docs: <a href='{_e(docs)}'>{_e(docs)}</a></p>" if docs else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dataforge quality report</title>
<style>{_CSS}</style></head><body>
<h1>Quality report</h1>
<div class="muted">suite <code>{_e(report['suite']['name'])}</code> · language <code>{_e(report['lang'])}</code>
· {report['records']} records ({report['valid']} valid, {report['invalid']} invalid,
{report['blank_turn_records']} with blank turns)</div>
<div class="verdict {cls}">Gate {verdict}</div>
<ul>{files}</ul>
<table><thead><tr><th></th><th>check</th><th>flagged</th><th>rule</th><th>examples (file:line)</th></tr></thead>
<tbody>{rows}</tbody></table>
{docs_link}
<div class="plots"><h2>Plots</h2>{imgs}</div>
</body></html>
"""
