"""One SQLAlchemy session per request, from the Database the app holds (shared.db)."""

from __future__ import annotations

import logging

from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from shared.db import Database

EXTENSION = "cme.database"
log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Database(app.config["DATABASE_URL"])

    app.teardown_appcontext(lambda _exc: end_session())


def database() -> Database:
    return current_app.extensions[EXTENSION]


def end_session() -> None:
    """Roll back whatever the request left uncommitted and give the connection back. A connection the database
    has dropped since the request's last query (a restart, a failover) cannot roll back: the answer already made
    stands, and the pool gives the broken connection up."""
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.rollback()
    except SQLAlchemyError:
        log.warning("the database connection was lost before the request's session could end", exc_info=True)
    finally:
        session.close()


COMMITTED = "db_committed"


def db_session() -> Session:
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
        event.listen(g.db_session, "after_commit", _committed)
    return g.db_session


def _committed(_session: Session) -> None:
    setattr(g, COMMITTED, True)


def committed() -> bool:
    """True once this request's session has committed something: a failure after it has not left nothing saved."""
    return bool(g.get(COMMITTED))
