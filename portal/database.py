"""One SQLAlchemy session per request, from the Database the app holds (shared.db)."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from shared.db import Database

EXTENSION = "cme.database"


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Database(app.config["DATABASE_URL"])

    app.teardown_appcontext(lambda _exc: end_session())


def database() -> Database:
    return current_app.extensions[EXTENSION]


def end_session() -> None:
    """Roll back whatever the request left uncommitted and give the connection back."""
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


def db_session() -> Session:
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
    return g.db_session
