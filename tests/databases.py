"""The test run's databases: one per test worker, built once by the migrations and put back to exactly how the
migrations left it before each test that uses it.

SQLite: the migrated template file is copied over the worker's database with SQLite's online backup, page by page
inside one write transaction, so connections the app holds stay valid and see the new contents.

PostgreSQL: the worker's own database (`cme_test_<run>_<worker>`, dropped at the end). Before a test, one query
finds the tables that hold rows and the sequences that have moved; only those are emptied (a trigger keeps
`audit_events` append-only, so that one is truncated) and put back as the migrations left them. Emptying the two
or three tables a test wrote to is far quicker than truncating all of them."""

from __future__ import annotations

import secrets
import sqlite3
from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from portal.schema import upgrade_database
from shared.db import make_engine, normalise_database_url
from shared.models import Base

# Rows in this table cannot be deleted, only truncated (see migration 0007).
APPEND_ONLY = frozenset({"audit_events"})


class SqliteDatabase:
    kind = "sqlite"

    def __init__(self, folder: Path):
        self.template_path = folder / "template.sqlite"
        self.path = folder / "cme.sqlite"
        upgrade_database(f"sqlite:///{self.template_path}")
        self.url = f"sqlite:///{self.path}"
        self.reset()

    def reset(self) -> None:
        template = sqlite3.connect(self.template_path)
        database = sqlite3.connect(self.path, timeout=30)
        database.execute("PRAGMA synchronous = OFF")  # a test database need not survive a power cut
        try:
            template.backup(database)
        finally:
            database.close()
            template.close()

    def drop(self) -> None:
        pass


class PostgresDatabase:
    kind = "postgresql"

    def __init__(self, server_url: str, worker: str):
        server = normalise_database_url(server_url)
        self.name = f"cme_test_{secrets.token_hex(4)}_{worker}"
        self.admin = make_engine(server, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = make_url(server).set(database=self.name).render_as_string(hide_password=False)
        self.engine: Engine = make_engine(self.url)
        try:
            upgrade_database(self.url)
            self._snapshot()
        except BaseException:
            self.drop()
            raise

    def _snapshot(self) -> None:
        """What the migrations left: every table's rows, every sequence's position and the schema's revision."""
        tables = Base.metadata.sorted_tables
        with self.engine.connect() as connection:
            self.revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            self.rows = {table.name: self._rows(connection, table.name) for table in tables}
            self.sequences = dict(connection.execute(text(SEQUENCES)).all())
        self.seeded = {name for name, rows in self.rows.items() if rows}
        probes = [f"SELECT '{table.name}' WHERE EXISTS (SELECT 1 FROM \"{table.name}\")" for table in tables]
        self._holding_rows = text(" UNION ALL ".join(probes))

    def reset(self) -> None:
        with self.engine.connect() as connection:
            if connection.execute(text("SELECT version_num FROM alembic_version")).scalar() != self.revision:
                upgrade_database(self.url)  # a test took the schema down and left it there
        try:
            self._put_back()
        except OperationalError:
            # A connection a test left open inside a transaction holds a lock the emptying waits for: end it.
            with self.admin.connect() as connection:
                connection.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                    {"name": self.name},
                )
            self.engine.dispose()
            self._put_back()

    def _put_back(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            holding = {name for (name,) in connection.execute(self._holding_rows)}
            changed = (holding - self.seeded) | {
                name for name in self.seeded if self._rows(connection, name) != self.rows[name]
            }
            moved = {name for name, value in connection.execute(text(SEQUENCES)) if value != self.sequences.get(name)}
            if not changed and not moved:
                return
            tables = Base.metadata.sorted_tables
            if changed & APPEND_ONLY:
                # audit_events refuses DELETE (migration 0007); users, which it refers to, are emptied after it.
                connection.execute(text(f"TRUNCATE {', '.join(sorted(changed & APPEND_ONLY))}"))
            for table in reversed(tables):
                if table.name in changed - APPEND_ONLY:
                    connection.execute(table.delete())
            for table in tables:
                if table.name in changed & self.seeded:
                    connection.execute(table.insert(), self.rows[table.name])
            for name in sorted(moved):
                position = self.sequences.get(name)
                # A sequence never used restarts at 1; one the migrations used goes back to where they left it.
                connection.execute(
                    text("SELECT setval(:name, :position, :called)"),
                    {"name": name, "position": position or 1, "called": position is not None},
                )

    def _rows(self, connection, name: str) -> list[dict]:
        table = Base.metadata.tables[name]
        return [dict(row) for row in connection.execute(select(table).order_by(*table.primary_key.columns)).mappings()]

    def drop(self) -> None:
        self.engine.dispose()
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


# Each sequence of the schema and where it is: NULL until first used.
SEQUENCES = "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema()"
