"""A load balancer asks /readyz whether to send this server requests: only when the database answers, its schema
is at the migrations' head and the rate-limit store answers."""

import socket

import pytest
from sqlalchemy import text

from portal.health import migrations_head
from tests.conftest import make_app


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def readyz(app):
    """The server's first answer: Dash's set-up on a first request must not get in the way."""
    response = app.test_client().get("/readyz")
    app.extensions["cme.database"].dispose()
    return response.status_code, response.json


def stamp(database_url: str, revision: str) -> None:
    from shared.db import make_engine

    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :revision"), {"revision": revision})
    engine.dispose()


def test_a_migrated_database_with_rate_limits_in_memory_is_ready(client):
    response = client.get("/readyz")
    assert (response.status_code, response.json) == (
        200,
        {
            "status": "ready",
            "checks": {
                "database": {"state": "ok"},
                "schema": {"state": "ok", "revision": migrations_head(), "expected": migrations_head()},
                "rate_limit_storage": {"state": "ok", "kind": "memory"},
                "background_work": {"state": "in the web process", "kind": "memory"},
            },
        },
    )
    assert migrations_head() == "0010"  # the newest file in migrations/versions/


@pytest.fixture
def stamped(database_url):
    """The test database, told its schema is at another revision; put back afterwards (PostgreSQL's is shared)."""

    def at(revision: str) -> str:
        stamp(database_url, revision)
        return database_url

    yield at
    stamp(database_url, migrations_head())


def test_a_schema_behind_the_code_is_not_ready_and_says_so(stamped):
    # The code was deployed but `cme db upgrade` has not run.
    status, body = readyz(make_app(stamped("0004")))
    assert status == 503
    assert body == {
        "status": "not ready",
        "checks": {
            "database": {"state": "ok"},
            "schema": {"state": "behind", "revision": "0004", "expected": migrations_head()},
            "rate_limit_storage": {"state": "ok", "kind": "memory"},
            "background_work": {"state": "in the web process", "kind": "memory"},
        },
    }


def test_a_schema_the_code_does_not_know_is_not_ready(stamped):
    # Another server's newer code upgraded the database: this server's older code must not serve it.
    status, body = readyz(make_app(stamped("0099")))
    assert status == 503
    assert body["checks"]["schema"] == {"state": "unknown revision", "revision": "0099", "expected": migrations_head()}


def test_a_database_never_migrated_is_not_ready(tmp_path):
    status, body = readyz(make_app(f"sqlite:///{tmp_path / 'empty.sqlite'}"))
    assert status == 503
    assert body["checks"]["database"] == {"state": "ok"}
    assert body["checks"]["schema"] == {"state": "not migrated", "revision": None, "expected": migrations_head()}


def test_a_database_that_cannot_be_reached_is_not_ready(tmp_path):
    status, body = readyz(make_app(f"sqlite:///{tmp_path / 'no-such-folder' / 'cme.sqlite'}"))
    assert status == 503
    assert body == {
        "status": "not ready",
        "checks": {
            "database": {"state": "unavailable"},
            "schema": {"state": "not checked"},
            "rate_limit_storage": {"state": "ok", "kind": "memory"},
            "background_work": {"state": "in the web process", "kind": "memory"},
        },
    }


def test_a_rate_limit_store_that_does_not_answer_is_not_ready(database_url):
    app = make_app(database_url, RATELIMIT_STORAGE_URI=f"redis://:s3cret@127.0.0.1:{closed_port()}/0")
    status, body = readyz(app)
    assert status == 503
    assert body["status"] == "not ready"
    assert body["checks"]["rate_limit_storage"] == {"state": "unavailable", "kind": "redis"}
    assert body["checks"]["schema"]["state"] == "ok"
    # The liveness check is not about Redis: the process is up and the database reachable.
    assert app.test_client().get("/healthz").status_code == 200
    app.extensions["cme.database"].dispose()


def test_a_rate_limit_store_that_answers_is_ready(database_url):
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    status, body = readyz(make_app(database_url, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15"))
    assert (status, body["checks"]["rate_limit_storage"]) == (200, {"state": "ok", "kind": "redis"})
