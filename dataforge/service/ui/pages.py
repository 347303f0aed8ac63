"""The pages. Each one calls the same functions the API routes call (`routes.datasets`, `routes.jobs`,
`routes.runs`, `jobs.gate`...): the UI translates HTML forms and cookies, the rules stay where they are."""

from __future__ import annotations

import os

import orjson
from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataforge.service import jobs, store
from dataforge.service.auth import team_for
from dataforge.service.config import ServiceConfig
from dataforge.service.db import Database
from dataforge.service.deps import READ, get_config, get_db
from dataforge.service.models import Dataset, Job, Team, Version
from dataforge.service.routes import datasets as api_datasets
from dataforge.service.routes import jobs as api_jobs
from dataforge.service.routes import runs as api_runs
from dataforge.service.schemas import JobIn
from dataforge.service.stages import SHIPPED_RECIPES
from dataforge.service.ui import forms
from dataforge.service.ui.web import COOKIE, LANG_COOKIE, LANGS, UIError, check_csrf, check_origin, render, ui_team

router = APIRouter(include_in_schema=False)
SHOWN_REJECTS = 50


def _go(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/favicon.ico")
def favicon() -> Response:
    return Response(status_code=204)  # none; answered so that pages without an icon link (report.html) get no 404


@router.get("/signin")
def signin_page(request: Request):
    return render(request, "signin.html")


@router.post("/signin")
def signin(request: Request, token: str = Form(""), db: Database = Depends(get_db)):
    check_origin(request)
    with db.session() as s:
        team = team_for(s, token.strip())
    if team is None:
        # 200, not 401: the form is shown again with the message (a 4xx page is a console error in browsers)
        return render(request, "signin.html", error="The token is unknown or revoked.")
    resp = _go("/")
    resp.set_cookie(COOKIE, token.strip(), httponly=True, samesite="strict", path="/")
    return resp


@router.post("/signout")
def signout(request: Request, csrf: str = Form("")):
    check_csrf(request, csrf)
    resp = _go("/signin")
    resp.delete_cookie(COOKIE, path="/")
    return resp


@router.get("/lang/{code}")
def switch_language(code: str, next: str = "/"):
    resp = _go(next if next.startswith("/") and not next.startswith("//") else "/")
    if code in LANGS:
        resp.set_cookie(LANG_COOKIE, code, samesite="strict", path="/", max_age=365 * 86400)
    return resp


@router.get("/")
def datasets_page(request: Request, team: Team = Depends(ui_team), s: Session = READ):
    rows = []
    for name in api_datasets.list_datasets(team, s):
        ds = api_datasets.show_dataset(name, team, s)
        last = ds.versions[-1]
        rows.append({"name": name, "versions": len(ds.versions), "last": last})
    return render(request, "datasets.html", team=team, rows=rows)


@router.post("/ui/datasets/{name}/upload")
async def upload(name: str, request: Request, response: Response, team: Team = Depends(ui_team),
                 db: Database = Depends(get_db), cfg: ServiceConfig = Depends(get_config)):
    """The page's upload (XHR, for its progress bar): the API's upload, then the first rejects as lines."""
    check_csrf(request, request.headers.get("x-csrf-token"))
    v = await api_datasets.upload(name, request, response, team, db, cfg)
    errors = []
    rejects = os.path.join(store.blob_dir(cfg.store, team.id, v.id), "rejects.jsonl")
    if os.path.exists(rejects):
        with open(rejects, "rb") as fh:
            for line in fh:
                r = orjson.loads(line)
                errors.extend(f"{r['line']}: {e}" for e in r["errors"])
                if len(errors) >= SHOWN_REJECTS:
                    break
    url = f"/datasets/{name}/versions/{v.id}"
    return JSONResponse({"url": url, "records": v.summary["records"], "invalid": v.summary["invalid"],
                         "errors": errors[:SHOWN_REJECTS], "rejects": f"/ui{url}/rejects"},
                        status_code=response.status_code)


@router.get("/ui/datasets/{name}/versions/{vid}/{which}")
def download_version(name: str, vid: str, which: str, team: Team = Depends(ui_team), s: Session = READ,
                     cfg: ServiceConfig = Depends(get_config)):
    return api_datasets.download(name, vid, which, team, s, cfg)


def _lineage(s: Session, team: Team, sha: str) -> dict:
    """Children (versions whose lineage names this one as a parent) and train jobs that used it."""
    children = [v for v in s.scalars(select(Version).where(Version.team_id == team.id, Version.lineage.is_not(None)))
                if sha in (v.lineage or {}).get("parents", [])]
    trains = [j for j in s.scalars(select(Job).where(Job.team_id == team.id, Job.kind == "train")
                                   .order_by(Job.created_at.desc())) if sha in j.inputs]
    return {"children": children, "runs": trains}


@router.get("/datasets/{name}/versions/{vid}")
def version_page(name: str, vid: str, request: Request, team: Team = Depends(ui_team), s: Session = READ):
    v = api_datasets.show_version(name, vid, team, s)
    gate = jobs.gate(s, team, [v.id])  # the service's rule, as POST /v1/jobs applies it
    job_forms = {kind: forms.fields(kind) for kind in forms.MAIN}
    return render(request, "version.html", team=team, name=name, v=v, gate=gate, forms=job_forms,
                  recipes=SHIPPED_RECIPES, **_lineage(s, team, v.id))


@router.post("/ui/jobs")
async def submit_job(request: Request, team: Team = Depends(ui_team), db: Database = Depends(get_db),
                     cfg: ServiceConfig = Depends(get_config)):
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(request, form.get("csrf"))
    kind = form.get("kind", "")
    if kind == "train":
        params = forms.train_params(form)
    elif kind in ("evaluate", "export"):
        params = {"run": form.get("run", ""), **({"logs_only": True} if kind == "evaluate" else {})}
    elif kind in forms.MAIN:
        params = forms.params_from_form(kind, form)
    else:
        raise UIError(422, f"unknown job kind {kind!r}")
    inputs = [form["input"]] if form.get("input") else []
    body = JobIn(kind=kind, inputs=inputs, params=params)  # no override from the UI: the gate's failure stands
    job = api_jobs.submit(body, team, db, cfg)
    return _go(f"/jobs/{job.id}")


@router.get("/jobs")
def jobs_page(request: Request, team: Team = Depends(ui_team), s: Session = READ,
              cfg: ServiceConfig = Depends(get_config)):
    return render(request, "jobs.html", team=team, jobs=api_jobs.list_jobs(None, None, 100, team, s, cfg))


@router.get("/jobs/{job_id}")
def job_page(job_id: str, request: Request, team: Team = Depends(ui_team), s: Session = READ,
             cfg: ServiceConfig = Depends(get_config)):
    job = api_jobs.show(job_id, team, s, cfg)
    made = list(((job.result or {}).get("versions") or {}).values())
    dataset_of = {v.sha256: ds for v, ds in s.execute(
        select(Version, Dataset.name).join(Dataset, Dataset.id == Version.dataset_id)
        .where(Version.team_id == team.id, Version.sha256.in_(made)))} if made else {}
    return render(request, "job.html", team=team, job=job, dataset_of=dataset_of)


@router.get("/ui/jobs/{job_id}.json")
def job_json(job_id: str, team: Team = Depends(ui_team), s: Session = READ, cfg: ServiceConfig = Depends(get_config)):
    return api_jobs.show(job_id, team, s, cfg)


@router.post("/ui/jobs/{job_id}/cancel")
def cancel_job(job_id: str, request: Request, csrf: str = Form(""), team: Team = Depends(ui_team),
               db: Database = Depends(get_db), cfg: ServiceConfig = Depends(get_config)):
    check_csrf(request, csrf)
    api_jobs.cancel(job_id, team, db, cfg)
    return _go(f"/jobs/{job_id}")


@router.get("/ui/jobs/{job_id}/files/{path:path}")
def job_file(job_id: str, path: str, team: Team = Depends(ui_team), s: Session = READ,
             cfg: ServiceConfig = Depends(get_config)):
    return api_jobs.download(job_id, path, team, s, cfg)


@router.get("/runs")
def runs_page(request: Request, team: Team = Depends(ui_team), s: Session = READ,
              cfg: ServiceConfig = Depends(get_config)):
    return render(request, "runs.html", team=team, runs=api_runs.list_runs(team, s, cfg))


@router.get("/runs/{run_id}")
def run_page(run_id: str, request: Request, team: Team = Depends(ui_team), s: Session = READ,
             cfg: ServiceConfig = Depends(get_config)):
    run = {r.run: r for r in api_runs.list_runs(team, s, cfg)}.get(run_id)
    if run is None:
        raise jobs.not_found("run", run_id)
    evals = [j for j in api_jobs.list_jobs("succeeded", "evaluate", 1000, team, s, cfg) if j.params["run"] == run_id]
    report, ev = None, evals[0] if evals else None
    if ev is not None and "report.json" in ev.files:
        report = orjson.loads(open(store.inside(store.job_dir(cfg.store, team.id, ev.id), "report.json"), "rb").read())
    # evaluate writes its plot into the run's own folder (run/<eval dir>/), so it is one of the train job's files
    train_files = api_jobs.show(run_id, team, s, cfg).files if ev else []
    plot = next((f for f in train_files if f.endswith("loss_curves.png")), None)
    exports = api_jobs.list_jobs("succeeded", "export", 1000, team, s, cfg)
    exports = [j for j in exports if j.params["run"] == run_id]
    return render(request, "run.html", team=team, run=run, ev=ev, report=report, plot=plot, exports=exports)
