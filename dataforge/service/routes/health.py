"""GET /v1/health: 200 while the server is up and its database answers."""

from fastapi import APIRouter, Depends
from sqlalchemy import text

from dataforge import __version__
from dataforge.service.db import Database
from dataforge.service.deps import get_db

router = APIRouter()


@router.get("/v1/health")
def health(db: Database = Depends(get_db)) -> dict:
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__, "database": db.engine.dialect.name}
