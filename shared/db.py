"""Engines and sessions for SQLite and PostgreSQL. No Flask here: the front ends hold a Database each."""

from __future__ import annotations

from contextlib import contextmanager
from typing import cast

from sqlalchemy import CursorResult, Executable, create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the URL was given with."""
    parsed = make_url(url)
    if parsed.drivername in {"postgres", "postgresql"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def rows_changed(session: Session, statement: Executable, **execution_options) -> int:
    """Run an UPDATE or DELETE and say how many rows it changed."""
    return cast(CursorResult, session.execute(statement, execution_options=execution_options)).rowcount


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str, **kwargs) -> Engine:
    url = normalise_database_url(url)
    # Error messages (and so logs) never carry a statement's values: they are children's details.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pre_ping replaces connections the server dropped, so the service recovers when the database returns.
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, pool_timeout=5, **kwargs)


class Database:
    def __init__(self, url: str):
        self.url = normalise_database_url(url)
        self.engine = make_engine(self.url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self):
        """A session for one unit of work; the caller commits. Rolled back if the block raises."""
        session: Session = self.sessionmaker()
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def schema_version(self) -> str | None:
        """The Alembic revision the schema is at; raises if the database cannot be reached or was never
        migrated."""
        with self.engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def dispose(self) -> None:
        self.engine.dispose()
