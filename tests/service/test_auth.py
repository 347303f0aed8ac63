"""Health, 401 without/with a bad or revoked token, the error shape, and tokens stored only as hashes."""

import hashlib
import sqlite3


def test_health_is_up_without_a_token(server):
    r = server.client(None).get("/v1/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["database"] == "sqlite"


def test_no_token_bad_token_and_revoked_token_are_401(server):
    assert server.client(None).get("/v1/datasets").status_code == 401
    bad = server.client("dfk_not-a-real-token").get("/v1/datasets")
    assert bad.status_code == 401
    assert bad.json() == {"error": {"code": "unauthorized", "message": "the token is unknown or revoked",
                                    "field": None}}
    token = server.token("gamma")
    assert server.client(token).get("/v1/datasets").status_code == 200
    r = server.cli("revoke", token[:12])
    assert r.returncode == 0 and "revoked 1 token" in r.stderr
    assert server.client(token).get("/v1/datasets").status_code == 401


def test_token_create_prints_the_token_alone_on_its_last_line_and_stores_its_hash(server):
    r = server.cli("create", "--team", "delta")
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("dfk_") and " " not in token and len(token) > 40
    with sqlite3.connect(server.home / "dataforge.sqlite") as db:
        hashes = [h for (h,) in db.execute("SELECT token_hash FROM tokens")]
        dump = "\n".join(db.iterdump())
    assert hashlib.sha256(token.encode()).hexdigest() in hashes
    assert token not in dump  # only the hash is stored


def test_bad_team_name_is_a_usage_error(server):
    r = server.cli("create", "--team", "../x")
    assert r.returncode == 2 and "--team '../x'" in r.stderr and "Traceback" not in r.stderr


def test_unknown_route_has_the_error_shape(alpha):
    r = alpha.get("/v1/nothing-here")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
