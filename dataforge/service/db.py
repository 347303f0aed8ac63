"""The database: SQLite (WAL) under --home by default, PostgreSQL with --db postgresql://... The schema comes from
the Alembic migrations, applied at start; never `create_all`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")


def default_url(home: str) -> str:
    return "sqlite:///" + os.path.join(os.path.abspath(home), "dataforge.sqlite")


def make_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):  # psycopg 3 is the driver we ship; SQLAlchemy's default is psycopg2
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # noqa: ANN001
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below), so a claim can take the write lock
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # noqa: ANN001
        # BEGIN IMMEDIATE takes SQLite's write lock at once: two workers can never read the same queued job
        # and both claim it (SQLite has no SELECT ... FOR UPDATE).
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("immediate") else "BEGIN")

    return engine


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent; safe when several processes start at once on
    PostgreSQL because Alembic runs in one transaction there)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self, *, immediate: bool = False) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on error. `immediate` takes the write lock at
        BEGIN on SQLite (used to claim jobs)."""
        with Session(self.engine.execution_options(immediate=immediate), expire_on_commit=False) as s:
            with s.begin():
                yield s
