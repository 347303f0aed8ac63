"""FastAPI dependencies: the database session and the current team, so no route repeats them."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from dataforge.service.auth import team_for
from dataforge.service.config import ServiceConfig
from dataforge.service.db import Database
from dataforge.service.errors import ServiceError
from dataforge.service.models import Team


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_config(request: Request) -> ServiceConfig:
    return request.app.state.config


def session(db: Database = Depends(get_db)) -> Iterator[Session]:
    with db.session() as s:
        yield s


def current_team(request: Request, db: Database = Depends(get_db)) -> Team:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ServiceError(401, "unauthorized", "send `Authorization: Bearer <token>` "
                                                "(create one with `dataforge serve token create --team NAME`)")
    with db.session() as s:  # its own short transaction: an upload must not hold one open while it streams
        team = team_for(s, token.strip())
    if team is None:
        raise ServiceError(401, "unauthorized", "the token is unknown or revoked")
    return team


# Routes only read through this dependency; they write in `with db.session(immediate=True)` inside the route, so
# SQLite's write lock is taken at BEGIN (a read transaction that later writes fails at once when another writer
# committed meanwhile) and released before the thread returns to the event loop. "function" scope ends the read
# transaction before the response is sent.
READ = Depends(session, scope="function")
