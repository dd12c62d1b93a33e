"""Readiness: whether this server should be sent requests.

`/healthz` says the process is up and the database reachable (liveness). `/readyz` says more: the database
answers, its schema is at the revision this code's migrations end at (so `cme db upgrade` has run), and the
rate-limit store answers (Redis: every server counts there).
"""

from __future__ import annotations

from limits.storage import Storage
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.schema import revisions
from shared.db import Database

OK = "ok"


def migrations_head() -> str:
    """The revision `cme db upgrade` brings the schema to."""
    return revisions()[0]


def schema_state(revision: str | None) -> str:
    head, known = revisions()
    if revision is None:
        return "not migrated"
    if revision == head:
        return OK
    return "behind" if revision in known else "unknown revision"


def database_checks(db: Database) -> dict:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return {"database": {"state": "unavailable"}, "schema": {"state": "not checked"}}
    try:
        revision = db.schema_version()
    except SQLAlchemyError:  # reachable, but there is no alembic_version table
        revision = None
    schema = {"state": schema_state(revision), "revision": revision, "expected": migrations_head()}
    return {"database": {"state": OK}, "schema": schema}


def rate_limit_check(storage: Storage, storage_uri: str) -> dict:
    # Only the scheme: the address can carry Redis's password.
    kind = storage_uri.split(":", 1)[0]
    return {"state": OK if storage.check() else "unavailable", "kind": kind}


def readiness(db: Database, storage: Storage, storage_uri: str) -> tuple[bool, dict]:
    """Whether every check is OK, and each check's state."""
    checks = {**database_checks(db), "rate_limit_storage": rate_limit_check(storage, storage_uri)}
    return all(check["state"] == OK for check in checks.values()), checks
