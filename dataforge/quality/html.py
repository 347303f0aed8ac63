"""report.html: one self-contained page (inline CSS, plots as data URIs) read before every training run, in one
language (report.json's `report_lang`). Top to bottom: the verdict and the checks that decide it, the summary,
what to do (one line per flagged check, with the command that fixes it), the checks table (the
great-expectations rule folded into a <details>), the plots. Excerpts arrive already redacted (report.py)."""

from __future__ import annotations

import html
from typing import Any


def _e(x: Any) -> str:
    return html.escape(str(x))


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;color:#222;
background:#fff}
h1{margin-bottom:.2rem} .verdict{font-size:1.4rem;font-weight:700;padding:.6rem 1rem;border-radius:6px;
display:inline-block;margin:.5rem 0 .3rem} .pass{background:#d9f2dd;color:#17612a} .fail{background:#f9d9d9;
color:#8a1c1c} .info{background:#eee;color:#555} .not_run{background:#fff3cd;color:#7a5a00}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem} th,td{border-bottom:1px solid #ddd;
padding:.35rem .5rem;text-align:left;vertical-align:top;font-size:.92rem} th{background:#f6f6f6}
.badge{padding:.1rem .5rem;border-radius:4px;font-weight:600;font-size:.85rem;white-space:nowrap}
details{margin:.2rem 0} code{background:#f3f3f3;padding:0 .2rem} .plots img{max-width:100%;margin:.5rem 0}
.muted{color:#777} .advice li{margin:.45rem 0} .summary td:first-child{width:40%}
"""

UI = {
    "en": {"title": "Quality report", "pass": "pass", "fail": "FAIL", "info": "info", "not_run": "not run",
           "passed": "Gate PASSED", "failed": "Gate FAILED", "decide": "Checks that gate this data",
           "failed_by": "Failed", "no_valid": "no valid record: nothing could be checked",
           "summary": "Summary", "read": "records read", "valid": "valid records",
           "rejected": "rejected (broken format / empty turn)", "after_clean": "would remain after clean",
           "dropped": "dropped by clean", "still": "still flagged after clean (needs an edit)",
           "tokens": "tokens per record (chat template)", "not_run_list": "checks not run",
           "todo": "What to do", "nothing": "Nothing to fix.", "checks": "Checks", "check": "check",
           "flagged": "flagged / looked at", "rule": "rule", "examples": "examples (file:line)",
           "show_rule": "expectation", "not_gated": "not gated by this suite", "none": "none",
           "more": "… and {k} more", "n_examples": "{k} example(s)", "copy": "copy of", "plots": "Plots",
           "docs": "Great Expectations Data Docs", "suite": "suite", "language": "language",
           "of": "{k} of {n} ({p}%)", "file": "{fmt}: {n} records, {v} valid, {r} rejected"},
    "tr": {"title": "Kalite raporu", "pass": "geçti", "fail": "KALDI", "info": "bilgi", "not_run": "çalıştırılmadı",
           "passed": "Kalite kapısı: GEÇTİ", "failed": "Kalite kapısı: GEÇMEDİ",
           "decide": "Bu veride kapıyı belirleyen kontroller", "failed_by": "Kalan",
           "no_valid": "geçerli kayıt yok: hiçbir şey kontrol edilemedi",
           "summary": "Özet", "read": "okunan kayıt", "valid": "geçerli kayıt",
           "rejected": "reddedilen (bozuk biçim / boş mesaj)", "after_clean": "clean sonrası kalacak",
           "dropped": "clean'in çıkaracakları", "still": "clean sonrası hâlâ işaretli (elle düzeltilmeli)",
           "tokens": "kayıt başına token (sohbet şablonuyla)", "not_run_list": "çalıştırılmayan kontroller",
           "todo": "Ne yapmalı", "nothing": "Düzeltilecek bir şey yok.", "checks": "Kontroller",
           "check": "kontrol", "flagged": "işaretli / bakılan", "rule": "kural",
           "examples": "örnekler (dosya:satır)", "show_rule": "beklenti", "not_gated": "bu kural seti denetlemiyor",
           "none": "yok", "more": "… ve {k} kayıt daha", "n_examples": "{k} örnek", "copy": "kopyası:",
           "plots": "Grafikler", "docs": "Great Expectations Data Docs", "suite": "kural seti",
           "language": "dil", "of": "{n} kayıttan {k} (%{p})",
           "file": "{fmt}: {n} kayıt, {v} geçerli, {r} reddedilen"},
}


def _badge(c: dict, t: dict) -> str:
    return f'<span class="badge {c["status"]}">{_e(t[c["status"]])}</span>'


def _examples(c: dict, t: dict) -> str:
    if not c["examples"]:
        return f'<span class="muted">{t["none"]}</span>'
    items = []
    for ex in c["examples"]:
        extra = ""
        if ex.get("duplicate_of"):
            extra = f" <span class='muted'>({t['copy']} {_e(ex['duplicate_of'])})</span>"
        if ex.get("lang"):
            extra = f" <span class='muted'>({_e(ex['lang'])}, {ex.get('confidence')})</span>"
        text = ex.get("excerpt") or "; ".join(ex.get("problems", []))
        items.append(f"<li><code>{_e(ex['file'])}:{_e(ex['line'])}</code>{extra} {_e(text)}</li>")
    more = c["flagged"] - len(c["examples"])
    tail = f"<li class='muted'>{t['more'].format(k=more)}</li>" if more > 0 else ""
    return (f"<details><summary>{t['n_examples'].format(k=len(c['examples']))}</summary>"
            f"<ul>{''.join(items)}{tail}</ul></details>")


def _rule(c: dict, t: dict) -> str:
    if not c["expectations"]:
        return f'<span class="muted">{t["not_gated"]}</span>'
    code = "<br>".join(f"<code>{_e(x['type'])}({_e(', '.join(f'{k}={v}' for k, v in x['kwargs'].items()))})</code>"
                       for x in c["expectations"])
    words = _e(c.get("rule") or "")
    return f"{words}<details><summary class='muted'>{t['show_rule']}</summary>{code}</details>"


def _pct(share: float) -> str:
    return f"{share * 100:.1f}".rstrip("0").rstrip(".")


def _summary(r: dict, t: dict) -> str:
    s = r["summary"]
    ac = s["after_clean"]
    rows = [(t["read"], r["records"]), (t["valid"], r["valid"]),
            (t["rejected"], f"{r['invalid']} / {r['blank_turn_records']}"),
            (t["after_clean"], t["of"].format(k=ac["records"], n=r["records"], p=_pct(ac["share"]))
             + "".join(f"<br><code>{_e(cmd)}</code>" for cmd in ac["commands"]))]
    if ac["dropped"]:
        rows.append((t["dropped"], _e(", ".join(f"{k} {v}" for k, v in ac["dropped"].items()))))
    if ac["still_flagged"]:
        rows.append((t["still"], _e(", ".join(f"{k} {v}" for k, v in ac["still_flagged"].items()))))
    if "tokens" in s and s["tokens"]:
        tk = s["tokens"]
        over = f", > {tk['max_seq_len']}: {tk['over_max_seq_len']}" if "over_max_seq_len" in tk else ""
        rows.append((t["tokens"], _e(f"min {tk.get('min')} · median {tk.get('median')} · p95 {tk.get('p95')} · "
                                     f"max {tk.get('max')}{over}")))
    if s["not_run"]:
        rows.append((t["not_run_list"], _e(", ".join(s["not_run"]))))
    flagged = ", ".join(f"{k} {v}" for k, v in s["flagged"].items() if v)
    rows.append((t["flagged"].split(" /")[0], _e(flagged or t["none"])))
    body = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
    return f"<h2>{t['summary']}</h2><table class='summary'><tbody>{body}</tbody></table>"


def _advice(r: dict, t: dict) -> str:
    order = {"fail": 0, "info": 1, "pass": 2, "not_run": 3}
    items = []
    for c in sorted(r["checks"], key=lambda c: order[c["status"]]):
        a = c.get("advice")
        if not a:
            continue
        lead = f"{_badge(c, t)} <b>{_e(c['name'])}</b>: "
        text = " ".join(_e(x) for x in (a["found"], a["why"]) if x)
        fix = _e(a["fix"])
        for cmd in a["commands"]:  # commands set in code, to copy
            fix = fix.replace(_e(cmd), f"<code>{_e(cmd)}</code>")
        items.append(f"<li>{lead}{text} <br><span>{fix}</span></li>")
    body = f"<ul class='advice'>{''.join(items)}</ul>" if items else f"<p>{t['nothing']}</p>"
    return f"<h2>{t['todo']}</h2>{body}"


def _verdict(r: dict, t: dict) -> str:
    cls = "pass" if r["passed"] else "fail"
    gate = r["summary"]["gate"]
    failed = [t["no_valid"] if n == "no_valid_records" else n for n in gate["failed_checks"]]
    why = f"<div><b>{t['failed_by']}:</b> {_e(', '.join(failed))}</div>" if failed else ""
    deciding = f"<div class='muted'>{t['decide']}: {_e(', '.join(gate['deciding']) or t['none'])}</div>"
    return f"<div class='verdict {cls}'>{t['passed'] if r['passed'] else t['failed']}</div>{why}{deciding}"


def render(report: dict[str, Any], plots: dict[str, str]) -> str:
    lang = report.get("report_lang", "en")
    t = UI[lang]
    rows = "".join(
        f"<tr><td>{_badge(c, t)}</td><td><b>{_e(c['name'])}</b><br><span class='muted'>{_e(c['what'])}</span></td>"
        f"<td>{c['flagged']} / {c.get('looked_at', '')}</td><td>{_rule(c, t)}</td><td>{_examples(c, t)}</td></tr>"
        for c in report["checks"])
    imgs = "".join(f"<h3>{_e(title)}</h3><img alt='{_e(title)}' src='{uri}'>" for title, uri in plots.items())
    files = "".join(f"<li><code>{_e(f['path'])}</code>: "
                    + _e(t["file"].format(fmt=f["format"], n=f["records"], v=f["valid"], r=f["invalid"])) + "</li>"
                    for f in report["files"])
    docs = report.get("data_docs")
    docs_link = f"<p>{t['docs']}: <a href='{_e(docs)}'>{_e(docs)}</a></p>" if docs else ""
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>dataforge: {t['title']}</title>
<style>{_CSS}</style></head><body>
<h1>{t['title']}</h1>
<div class="muted">{t['suite']} <code>{_e(report['suite']['name'])}</code> · {t['language']}
<code>{_e(report['lang'])}</code></div>
{_verdict(report, t)}
{_summary(report, t)}
{_advice(report, t)}
<h2>{t['checks']}</h2>
<table><thead><tr><th></th><th>{t['check']}</th><th>{t['flagged']}</th><th>{t['rule']}</th>
<th>{t['examples']}</th></tr></thead>
<tbody>{rows}</tbody></table>
<ul class="muted">{files}</ul>
{docs_link}
<div class="plots"><h2>{t['plots']}</h2>{imgs}</div>
</body></html>
"""
