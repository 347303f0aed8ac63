"""HTTP errors of the service, all shaped `{"error": {"code", "message", "field"}}`. Routes raise ServiceError;
library errors (DataforgeError) raised while handling a request become 422 with their first problem's field."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from dataforge.errors import DataforgeError


class ServiceError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None, **extra: object):
        super().__init__(message)
        self.status, self.code, self.message, self.field, self.extra = status, code, message, field, extra


def not_found(what: str, ident: str) -> ServiceError:
    # the same answer whether it does not exist or belongs to another team: nothing leaks across teams
    return ServiceError(404, "not_found", f"{what} {ident!r} not found")


def body(code: str, message: str, field: str | None = None, **extra: object) -> dict:
    return {"error": {"code": code, "message": message, "field": field, **extra}}


def _loc(loc: tuple) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service(_req: Request, exc: ServiceError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(body(exc.code, exc.message, exc.field, **exc.extra), exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, exc: RequestValidationError) -> JSONResponse:
        errs = exc.errors()
        first = errs[0] if errs else {"loc": (), "msg": "invalid request"}
        field = _loc(tuple(first.get("loc", ())))
        msg = "; ".join(f"{_loc(tuple(e.get('loc', ())))}: {e.get('msg')}" for e in errs)
        return JSONResponse(body("invalid", msg, field), 422)

    @app.exception_handler(HTTPException)
    async def _http(_req: Request, exc: HTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(body(code, str(exc.detail)), exc.status_code)

    @app.exception_handler(DataforgeError)
    async def _library(_req: Request, exc: DataforgeError) -> JSONResponse:
        field = exc.problems[0].field if exc.problems else None
        return JSONResponse(body("invalid", "; ".join(exc.lines()), field), 422)
