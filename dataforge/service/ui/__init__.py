"""The web UI of `dataforge serve`: server-rendered pages (Jinja2) and a little plain JavaScript, on the same app
as the API. Page errors are HTML; the API's JSON error shape is kept for the upload's XHR."""

from __future__ import annotations

import os

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from dataforge.service.errors import ServiceError, body
from dataforge.service.ui.web import SignInRequired, UIError, render


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/v1/") or request.headers.get("x-requested-with") == "fetch"


def install(app: FastAPI) -> None:
    from dataforge.service.ui.pages import router

    app.include_router(router)
    app.mount("/static", StaticFiles(directory=os.path.join(os.path.dirname(__file__), "static")), name="static")
    api_handler = app.exception_handlers[ServiceError]

    @app.exception_handler(SignInRequired)
    async def _signin(request: Request, _exc: SignInRequired):
        if _wants_json(request):
            return JSONResponse(body("unauthorized", "sign in again"), 401)
        return RedirectResponse("/signin", status_code=303)

    @app.exception_handler(UIError)
    async def _ui(request: Request, exc: UIError):
        if _wants_json(request):
            return JSONResponse(body("forbidden" if exc.status == 403 else "invalid", exc.message), exc.status)
        return render(request, "problem.html", exc.status, message=exc.message)

    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError):
        # the API keeps its JSON shape; a page shows the same message (it names the field and what to do)
        if _wants_json(request):
            return await api_handler(request, exc)
        return render(request, "problem.html", exc.status, message=exc.message)
