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


def writing(db: Database = Depends(get_db)) -> Iterator[Session]:
    """A session for routes that write: on SQLite it takes the write lock at BEGIN, because a read transaction
    that later writes fails at once (not after the busy timeout) when another writer committed meanwhile."""
    with db.session(immediate=True) as s:
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


# "function" scope: the transaction commits before the response is sent, so a client that reads right after a
# write sees it (the default scope commits only after the response has gone out).
READ = Depends(session, scope="function")
WRITE = Depends(writing, scope="function")
