"""`cme audit verify`, `cme backup` and `cme restore`: checking the audit trail, and keeping the data safe."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from portal.cli_common import database_problem
from portal.database import database
from portal.schema import revisions
from shared.services import backup as backups
from shared.services.audit import parse_anchor, verify_chain

# Exit status when the command only says how to do the job by hand (pg_dump or pg_restore is not on PATH).
EXIT_BY_HAND = 2

audit_group = AppGroup("audit", help="The audit trail.")


@audit_group.command("verify")
@click.option(
    "--anchor",
    metavar="ID:HASH",
    help="An anchor printed by an earlier run and kept outside the database: that event must still have that hash.",
)
def audit_verify(anchor: str | None) -> None:
    """Walk the audit trail's hash chain and say whether any event was altered, removed or inserted.

    Exits 0 when the chain is intact, 1 naming the first broken link. Keep the anchor it prints somewhere the
    database's administrators cannot change (the log collector, a ticket), and give it back with --anchor: someone
    able to write to the database could otherwise rewrite the whole chain after the event they change."""
    try:
        expected = parse_anchor(anchor) if anchor is not None else None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--anchor") from None
    try:
        with database().engine.connect() as connection:
            report = verify_chain(connection, anchor=expected)
    except SQLAlchemyError as error:
        raise database_problem(error) from None
    if report.intact:
        last = f", last {report.last_hash[:12]}" if report.last_hash else ""
        click.echo(f"Audit chain intact: {report.events:,} events{last}")
        if report.last_id is not None:
            click.echo(f"Anchor (keep it outside the database): {report.last_id}:{report.last_hash}")
        return
    where = f"event {report.broken_at}" if report.broken_at is not None else "the chain head"
    click.echo(f"Audit chain broken at {where} ({report.events:,} events before it are intact):", err=True)
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    raise SystemExit(1)


def _show_counts(counts: dict[str, int]) -> None:
    if not counts:
        return
    width = max(len(table) for table in counts)
    click.echo("Rows per table:")
    for table, count in sorted(counts.items()):
        click.echo(f"  {table:<{width}}  {count:>9,}")


def _carried_out(work):
    """The backup's or restore's outcome; a clear error and exit 1 if it failed, or the command to run by hand and
    exit 2 when pg_dump or pg_restore is not on PATH."""
    try:
        return work()
    except backups.ToolMissing as missing:
        _by_hand(missing)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    except SQLAlchemyError as error:
        raise database_problem(error) from None


def _by_hand(missing: backups.ToolMissing) -> None:
    click.echo(str(missing), err=True)
    raise SystemExit(EXIT_BY_HAND)


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup(path: Path) -> None:
    """Back up the database to PATH, a new file readable only by its owner.

    SQLite: an online copy, consistent while the service runs. PostgreSQL: pg_dump in its custom format when
    pg_dump is on PATH; otherwise this prints the pg_dump command to run and exits 2."""
    url = current_app.config["DATABASE_URL"]
    make = backups.backup_sqlite if backups.is_sqlite(url) else backups.backup_postgresql
    outcome = _carried_out(lambda: make(url, path))
    click.echo(f"Backed up the database to {outcome.path}: {outcome.size:,} bytes, schema revision {outcome.revision}.")
    _show_counts(outcome.counts)


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the database even though it already holds data.")
def restore(path: Path, force: bool) -> None:
    """Restore the database from a backup made by `cme backup`.

    Refuses a file that is not a backup of this service at a schema revision it knows, and a database that
    already holds data unless --force is given. PostgreSQL: pg_restore when it is on PATH; otherwise this prints
    the pg_restore command to run and exits 2."""
    url = current_app.config["DATABASE_URL"]
    head, known = revisions()
    database().dispose()  # hold no connection while the database is replaced
    restore_from = backups.restore_sqlite if backups.is_sqlite(url) else backups.restore_postgresql
    outcome = _carried_out(lambda: restore_from(url, path, known, force=force))
    click.echo(f"Restored the database from {path} (schema revision {outcome.revision}).")
    _show_counts(outcome.counts)
    if outcome.revision != head:
        click.echo(f"The backup's schema is older than this service's ({head}): run `cme db upgrade` next.")
    click.echo("Run `cme audit verify` to check the restored audit trail.")
