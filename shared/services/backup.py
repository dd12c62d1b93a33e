"""Backing up and restoring the service's database.

SQLite: sqlite3's online backup API, which copies a consistent snapshot while the service goes on reading and
writing (WAL readers do not block it), into a new file only its owner can read (mode 0600: it holds children's
details). A restore checks the file is a backup of this service at a schema revision the migrations know, and
copies it back with the same API.

PostgreSQL: pg_dump and pg_restore do the work. When they are on PATH they are run (an argument list, no shell; the
password goes in PGPASSWORD, not on the command line where `ps` would show it); when they are not, the caller
shows the documented command instead (PG_DUMP_COMMAND, PG_RESTORE_COMMAND).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # nosec B404 - pg_dump and pg_restore: an argument list, no shell
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import make_url

from shared.db import make_engine, normalise_database_url

# The address without its password: a command line is visible to everyone on the machine (ps), so the password
# goes in PGPASSWORD or ~/.pgpass, as the service itself passes it.
PG_DUMP_COMMAND = 'pg_dump --format=custom --file=PATH --dbname="postgresql://USER@HOST:5432/DATABASE"'
PG_RESTORE_COMMAND = (
    'pg_restore --clean --if-exists --no-owner --single-transaction --dbname="postgresql://USER@HOST:5432/DATABASE" '
    "PATH"
)
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# Bookkeeping, not the service's data: an empty database has these rows too.
NOT_DATA = frozenset({"alembic_version", "audit_chain_head"})
TOOL_TIMEOUT = 3600  # seconds a pg_dump or pg_restore may take


class BackupError(Exception):
    """A backup or restore that was refused or failed; the message says why, for the operator."""


class ToolMissing(BackupError):
    """pg_dump or pg_restore is not on PATH: the message is the command to run by hand."""


@dataclass(frozen=True)
class Outcome:
    path: Path
    size: int
    revision: str | None
    counts: dict[str, int] = field(default_factory=dict)


def is_sqlite(url: str) -> bool:
    return make_url(normalise_database_url(url)).get_backend_name() == "sqlite"


def sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("Only a SQLite database in a file can be backed up or restored")
    return Path(database)


def _create_private(path: Path) -> None:
    """Make the new, empty file, owner-only; refuse if anything is already there (O_EXCL: no race)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"{path} already exists: a backup never overwrites a file") from None
    except OSError as error:
        raise BackupError(f"{path} could not be created ({error.strerror})") from None
    os.close(descriptor)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_tables(connection: sqlite3.Connection) -> list[str]:
    rows = connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    return [name for (name,) in rows]


def _sqlite_counts(connection: sqlite3.Connection) -> dict[str, int]:
    return {
        # Names from the database's own catalogue, quoted.
        table: connection.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()[0]  # noqa: S608  # nosec B608
        for table in _sqlite_tables(connection)
        if table != "alembic_version"
    }


def _sqlite_revision(connection: sqlite3.Connection) -> str | None:
    if "alembic_version" not in _sqlite_tables(connection):
        return None
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def backup_sqlite(url: str, target: Path) -> Outcome:
    source_path = sqlite_file(url)
    if not source_path.is_file():
        raise BackupError(f"There is no database at {source_path}")
    _create_private(target)
    try:
        source = sqlite3.connect(source_path, timeout=30)
        try:
            copy = sqlite3.connect(target)
            try:
                source.backup(copy)  # all pages in one step: one consistent snapshot
                # The copy is one self-contained file: no -wal or -shm beside it.
                copy.execute("PRAGMA journal_mode=DELETE")
                revision, counts = _sqlite_revision(copy), _sqlite_counts(copy)
            finally:
                copy.close()
        finally:
            source.close()
    except sqlite3.Error as error:
        target.unlink(missing_ok=True)
        raise BackupError(f"The backup failed ({error})") from None
    return Outcome(target, target.stat().st_size, revision, counts)


def _check_sqlite_backup(source: sqlite3.Connection, path: Path, known_revisions: Iterable[str]) -> str:
    try:
        check = source.execute("PRAGMA quick_check").fetchone()[0]
        revision = _sqlite_revision(source)
    except sqlite3.Error as error:
        raise BackupError(f"{path} could not be read as a SQLite database ({error})") from None
    if check != "ok":
        raise BackupError(f"{path} is damaged (SQLite's quick check says: {check})")
    if revision is None:
        raise BackupError(f"{path} is not a backup of this service: it has no schema revision (alembic_version)")
    if revision not in set(known_revisions):
        raise BackupError(f"{path} is at schema revision {revision}, which this version of the service does not know")
    return revision


def _refuse_unless_empty(counts: dict[str, int], force: bool) -> None:
    rows = sum(count for table, count in counts.items() if table not in NOT_DATA)
    if rows and not force:
        raise BackupError(
            f"The service's database is not empty ({rows:,} rows): give --force to replace everything in it "
            "with the backup"
        )


def restore_sqlite(url: str, source_path: Path, known_revisions: Iterable[str], force: bool = False) -> Outcome:
    target_path = sqlite_file(url)
    if not source_path.is_file():
        raise BackupError(f"There is no backup at {source_path}")
    with source_path.open("rb") as stream:
        if stream.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupError(f"{source_path} is not a SQLite database")
    if target_path.exists() and target_path.resolve() == source_path.resolve():
        raise BackupError(f"{source_path} is the service's database itself")
    source = sqlite3.connect(f"{source_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        revision = _check_sqlite_backup(source, source_path, known_revisions)
        if not target_path.exists():
            _create_private(target_path)  # a database made by the restore is owner-only, as a backup is
        target = sqlite3.connect(target_path, timeout=30)
        try:
            _refuse_unless_empty(_sqlite_counts(target), force)
            source.backup(target)
            counts = _sqlite_counts(target)
        except sqlite3.Error as error:
            raise BackupError(f"The restore failed ({error})") from None
        finally:
            target.close()
    finally:
        source.close()
    return Outcome(target_path, target_path.stat().st_size, revision, counts)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL as libpq takes it (postgresql://, no password) and an environment with the password in it."""
    parsed = make_url(normalise_database_url(url))
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str, command: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ToolMissing(
            f"{name} is not on PATH, so this command does not do it itself. Run it by hand, with the database's "
            f"address from DATABASE_URL and its password in PGPASSWORD or ~/.pgpass (never on the command line):"
            f"\n  {command}"
        )
    return found


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    try:
        # argv is the tool found by shutil.which and our own arguments; no shell.
        done = subprocess.run(  # noqa: S603  # nosec B603
            argv, env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise BackupError(f"{Path(argv[0]).name} took more than {TOOL_TIMEOUT} seconds and was stopped") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        detail = lines[-1] if lines else f"exit status {done.returncode}"
        raise BackupError(f"{Path(argv[0]).name} failed: {detail}")
    return done


def _pg_counts(connection: Connection) -> dict[str, int]:
    tables = sorted(inspect(connection).get_table_names())
    return {
        # Names from the database's own catalogue, quoted.
        table: connection.execute(text(f"SELECT count(*) FROM {_quote(table)}")).scalar_one()  # noqa: S608  # nosec B608
        for table in tables
        if table != "alembic_version"
    }


def _pg_revision(connection: Connection) -> str | None:
    if "alembic_version" not in inspect(connection).get_table_names():
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def backup_postgresql(url: str, target: Path) -> Outcome:
    """pg_dump in its custom format, from a snapshot this process exports: the row counts it shows are those of
    exactly the data dumped."""
    pg_dump = _tool("pg_dump", PG_DUMP_COMMAND)
    address, env = _libpq(url)
    _create_private(target)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                revision, counts = _pg_revision(connection), _pg_counts(connection)
                argv = [pg_dump, "--format=custom", f"--file={target}", f"--snapshot={snapshot}", f"--dbname={address}"]
                _run(argv, env)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        engine.dispose()
    return Outcome(target, target.stat().st_size, revision, counts)


def _pg_backup_revision(pg_restore: str, path: Path, env: dict[str, str]) -> str | None:
    """The schema revision in a pg_dump archive: alembic_version's one row, read without restoring anything."""
    done = _run([pg_restore, "--data-only", "--table=alembic_version", "--file=-", str(path)], env)
    lines = done.stdout.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and number + 1 < len(lines):
            value = lines[number + 1].strip()
            return None if value in {"", "\\."} else value
    return None


def restore_postgresql(url: str, source_path: Path, known_revisions: Iterable[str], force: bool = False) -> Outcome:
    pg_restore = _tool("pg_restore", PG_RESTORE_COMMAND)
    if not source_path.is_file():
        raise BackupError(f"There is no backup at {source_path}")
    with source_path.open("rb") as stream:
        if stream.read(len(PG_DUMP_MAGIC)) != PG_DUMP_MAGIC:
            raise BackupError(f"{source_path} is not a pg_dump archive in the custom format (--format=custom)")
    address, env = _libpq(url)
    revision = _pg_backup_revision(pg_restore, source_path, env)
    if revision is None:
        raise BackupError(f"{source_path} is not a backup of this service: it has no schema revision (alembic_version)")
    if revision not in set(known_revisions):
        raise BackupError(
            f"{source_path} is at schema revision {revision}, which this version of the service does not know"
        )
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _refuse_unless_empty(_pg_counts(connection), force)
        engine.dispose()  # no connection of ours may hold a lock the restore's DROPs wait for
        argv = [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={address}",
            str(source_path),
        ]
        _run(argv, env)
        with engine.connect() as connection:
            counts = _pg_counts(connection)
    finally:
        engine.dispose()
    return Outcome(source_path, source_path.stat().st_size, revision, counts)
