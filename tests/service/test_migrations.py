"""The Alembic migrations build exactly the schema of the models (so nothing needs `create_all`), and applying
them twice is a no-op."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from dataforge.service.db import Database, migrate
from dataforge.service.models import Base


def test_migrations_match_the_models_and_are_idempotent(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'x.sqlite'}")
    migrate(db.engine)
    migrate(db.engine)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert set(inspect(db.engine).get_table_names()) == {"alembic_version", "teams", "tokens", "datasets",
                                                         "versions", "jobs"}
