"""The same service on PostgreSQL (Debian's, started by the fixture on a unix socket): migrations, tokens,
uploads, and workers claiming with SELECT ... FOR UPDATE SKIP LOCKED, each job run exactly once."""

import pytest

from tests.service import postgres
from tests.service.conftest import SAMPLE, Server, submit, upload, wait_job


@pytest.fixture(scope="session")
def pg_url():
    pytest.importorskip("psycopg", reason="psycopg is not installed: pip install 'dataforge[service]'")
    try:
        url, stop = postgres.start()
    except postgres.Unavailable as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    yield url
    stop()


@pytest.fixture(scope="module")
def pg_server(pg_url, tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("pg-home"), db=pg_url, workers=2).start()
    yield srv
    srv.stop()


def test_health_reports_postgresql_and_the_schema_is_migrated(pg_server, pg_url):
    import sqlalchemy as sa

    assert pg_server.client(None).get("/v1/health").json()["database"] == "postgresql"
    engine = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0001"
        assert conn.execute(sa.text("SELECT count(*) FROM tokens")).scalar() == 0
    engine.dispose()


def test_jobs_on_postgresql_each_run_once(pg_server, pg_url):
    import sqlalchemy as sa

    with pg_server.client(pg_server.token("pg-team")) as c:
        v = upload(c, "chat", SAMPLE / "chat_tr.jsonl").json()
        assert v["summary"]["valid"] == 74
        assert upload(c, "chat", SAMPLE / "chat_tr.jsonl").status_code == 200
        ids = [submit(c, "split", [v["id"]], params={"seed": i}).json()["id"] for i in range(6)]
        ids.append(submit(c, "check", [v["id"]]).json()["id"])
        done = [wait_job(c, j) for j in ids]
        assert [d["state"] for d in done] == ["succeeded"] * 7
        assert done[-1]["result"]["passed"] is True
        assert pg_server.client(None).get("/v1/datasets").status_code == 401
    engine = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        attempts = conn.execute(sa.text("SELECT attempts FROM jobs")).scalars().all()
        workers = set(conn.execute(sa.text("SELECT worker FROM jobs")).scalars().all())
    engine.dispose()
    assert attempts == [1] * 7  # no job claimed twice
    assert len(workers) == 2  # both workers took jobs
