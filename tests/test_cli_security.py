"""`cme audit verify`, `cme backup` and `cme restore` as an operator uses them."""

import json
import os
import shutil
import sqlite3
import stat
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, text

from shared.db import make_engine
from shared.domain.school_days import Period, SchoolCalendar
from shared.models import AuditEvent, Base, Child, Referral
from shared.models.audit import event_hash
from shared.services import audit
from shared.services import backup as backups
from shared.services.cases import CaseSettings, open_case
from tests.conftest import make_app
from tests.shared.test_audit_chain import initial_migration

TERM = SchoolCalendar([Period("term", date(2026, 11, 2), date(2026, 12, 18))])
POSTGRESQL = bool(os.environ.get("TEST_DATABASE_URL"))


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    from portal.schema import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def record_events(db, count: int) -> None:
    for number in range(1, count + 1):
        audit.record(db, None, "case.updated", "case", number, after={"risk": "high"})
        db.commit()


def test_verify_says_the_chain_is_intact_with_its_length_and_last_hash(app, db):
    record_events(db, 3)
    last = db.scalar(select(AuditEvent.hash).where(AuditEvent.id == 3))

    result = run(app, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"Audit chain intact: 3 events, last {last[:12]}\nAnchor (keep it outside the database): 3:{last}\n"
    )


def test_an_anchor_kept_outside_finds_a_chain_rewritten_whole(app, db):
    """Someone able to write to the database drops the triggers, changes event 2 and recomputes every hash after
    it and the head: the chain is consistent again, but the anchor printed before says otherwise."""
    migration = initial_migration()
    dialect = db.get_bind().dialect.name
    record_events(db, 3)
    anchor = run(app, "audit", "verify").output.splitlines()[-1].rsplit(" ", 1)[1]
    assert run(app, "audit", "verify", "--anchor", anchor).exit_code == 0

    for statement in migration._AUDIT_GUARDS_DROP[dialect]:
        db.execute(text(statement))
    rows = db.execute(select(AuditEvent.__table__).order_by(AuditEvent.id)).all()
    previous = None
    for row in rows:
        fields = dict(row._mapping, prev_hash=previous)
        if row.id == 2:
            fields["after"] = {"risk": "low"}
        previous = event_hash(fields)
        db.execute(
            text("UPDATE audit_events SET after = :after, prev_hash = :prev, hash = :hash WHERE id = :id"),
            {"after": json.dumps(fields["after"]), "prev": fields["prev_hash"], "hash": previous, "id": row.id},
        )
    db.execute(text("UPDATE audit_chain_head SET last_hash = :hash"), {"hash": previous})
    for statement in migration._AUDIT_GUARDS[dialect]:
        db.execute(text(statement))
    db.commit()

    assert run(app, "audit", "verify").exit_code == 0  # the chain alone cannot tell
    result = run(app, "audit", "verify", "--anchor", anchor)
    assert (result.exit_code, result.output) == (
        1,
        "Audit chain broken at event 3 (0 events before it are intact):\n"
        f"  the anchor's event 3 now has the hash {previous[:12]}, not {anchor.split(':')[1][:12]}: "
        "the trail up to it was rewritten\n",
    )
    malformed = run(app, "audit", "verify", "--anchor", "3:abc")
    assert malformed.exit_code == 2
    assert "'3:abc' is not an anchor" in malformed.output


def test_verify_on_an_empty_trail(app):
    result = run(app, "audit", "verify")
    assert (result.exit_code, result.output) == (0, "Audit chain intact: 0 events\n")


def test_verify_names_the_first_broken_link_and_exits_1(app, db):
    migration = initial_migration()
    dialect = db.get_bind().dialect.name
    record_events(db, 4)
    hashes = dict(db.execute(select(AuditEvent.id, AuditEvent.hash)).all())
    for statement in migration._AUDIT_GUARDS_DROP[dialect]:
        db.execute(text(statement))
    db.execute(text("UPDATE audit_events SET after = NULL WHERE id = 3"))
    db.execute(text("DELETE FROM audit_events WHERE id = 2"))
    for statement in migration._AUDIT_GUARDS[dialect]:  # as they were: a PostgreSQL test database is kept
        db.execute(text(statement))
    db.commit()

    result = run(app, "audit", "verify")
    assert result.exit_code == 1
    assert result.output == (
        "Audit chain broken at event 3 (1 events before it are intact):\n"
        f"  prev_hash mismatch: its prev_hash is {hashes[2][:12]} but should be the hash of event 1, the event "
        f"before it ({hashes[1][:12]}): an event was removed or inserted before it\n"
        f"  hash mismatch: its stored hash {hashes[3][:12]} is not the hash of its contents: the event was altered\n"
    )


def make_casework(db, users) -> None:
    """A referral, a child with an open case, and the audit events they come with."""
    db.add(
        Referral(
            reference="RF-0001",
            source="professional",
            received_at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
            answers={"reasons": ["unsuitable_home_education"]},
            child_first_name="Ellie",
            child_last_name="Whitcombe",
        )
    )
    child = Child(first_name="Amira", last_name="Khan", date_of_birth=date(2015, 4, 3))
    db.add(child)
    open_case(db, child=child, actor=users["officer"], today=date(2026, 11, 20), settings=CaseSettings(TERM, {}))
    db.commit()


def every_row(url: str) -> dict[str, list[tuple]]:
    """Every table's rows, in primary key order."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = {
                table.name: connection.execute(select(table).order_by(*table.primary_key.columns)).all()
                for table in Base.metadata.sorted_tables
            }
            rows["alembic_version"] = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    finally:
        engine.dispose()
    return rows


def counts_shown(output: str) -> dict[str, int]:
    lines = output.split("Rows per table:\n", 1)[1].splitlines()
    return {line.split()[0]: int(line.split()[1].replace(",", "")) for line in lines if line.startswith("  ")}


def needs_postgresql_tools():
    if POSTGRESQL and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump and pg_restore are not on PATH")


def test_a_backup_restores_every_row_as_it_was_and_the_audit_trail_still_verifies(app, db, users, tmp_path):
    needs_postgresql_tools()
    url = app.config["DATABASE_URL"]
    make_casework(db, users)
    db.close()
    at_backup = every_row(url)
    assert len(at_backup["audit_events"]) == 6  # five users made, a case opened
    path = tmp_path / "cme-backup.dump"

    made = run(app, "backup", str(path))
    assert made.exit_code == 0, made.output
    assert made.output.splitlines()[0] == (
        f"Backed up the database to {path}: {path.stat().st_size:,} bytes, schema revision {head_revision()}."
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert counts_shown(made.output) == {
        name: len(rows) for name, rows in at_backup.items() if name != "alembic_version"
    }

    referral = db.scalar(select(Referral))
    referral.status = "closed"
    audit.record(db, users["lead"], "referral.closed", "referral", referral.id, after={"status": "closed"})
    child = Child(first_name="Leo", last_name="Grant")
    db.add(child)
    open_case(db, child=child, actor=users["officer"], today=date(2026, 11, 23), settings=CaseSettings(TERM, {}))
    db.commit()
    db.close()
    assert every_row(url) != at_backup

    refused = run(app, "restore", str(path))
    assert refused.exit_code == 1
    assert refused.output.startswith("Error: The service's database is not empty (")
    assert refused.output.endswith(" rows): give --force to replace everything in it with the backup\n")

    restored = run(app, "restore", "--force", str(path))
    assert restored.exit_code == 0, restored.output
    assert restored.output.splitlines()[0] == f"Restored the database from {path} (schema revision {head_revision()})."
    assert restored.output.splitlines()[-1] == "Run `cme audit verify` to check the restored audit trail."
    assert every_row(url) == at_backup

    last = at_backup["audit_events"][-1]
    verified = run(app, "audit", "verify")
    assert (verified.exit_code, verified.output.splitlines()) == (
        0,
        [
            f"Audit chain intact: {len(at_backup['audit_events'])} events, last {last.hash[:12]}",
            f"Anchor (keep it outside the database): {last.id}:{last.hash}",
        ],
    )
    # The service carries on from the restored chain.
    audit.record(db, None, "case.viewed", "case", 1)
    db.commit()
    assert db.get(AuditEvent, last.id + 1).prev_hash == last.hash


def test_a_backup_never_overwrites_a_file(app, tmp_path):
    needs_postgresql_tools()
    path = tmp_path / "already-here"
    path.write_text("keep me")

    result = run(app, "backup", str(path))
    assert (result.exit_code, result.output) == (
        1,
        f"Error: {path} already exists: a backup never overwrites a file\n",
    )
    assert path.read_text() == "keep me"


@pytest.mark.skipif(POSTGRESQL, reason="SQLite files")
def test_a_restore_refuses_what_is_not_a_backup_of_this_service(app, tmp_path):
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("not a database")
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
    future = tmp_path / "future.sqlite"
    with sqlite3.connect(future) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        connection.execute("INSERT INTO alembic_version VALUES ('9999')")

    outputs = [run(app, "restore", str(path)) for path in (not_sqlite, other, future, tmp_path / "missing.sqlite")]
    assert [(result.exit_code, result.output) for result in outputs] == [
        (1, f"Error: {not_sqlite} is not a SQLite database\n"),
        (1, f"Error: {other} is not a backup of this service: it has no schema revision (alembic_version)\n"),
        (1, f"Error: {future} is at schema revision 9999, which this version of the service does not know\n"),
        (1, f"Error: There is no backup at {tmp_path / 'missing.sqlite'}\n"),
    ]


@pytest.mark.skipif(POSTGRESQL, reason="SQLite files")
def test_a_database_made_by_a_restore_is_readable_by_its_owner_only(app, db, tmp_path):
    backup_path = tmp_path / "nightly-backup.sqlite"
    result = run(app, "backup", str(backup_path))
    assert result.exit_code == 0, result.output
    new_database = tmp_path / "restored.sqlite"

    backups.restore_sqlite(f"sqlite:///{new_database}", backup_path, [head_revision()])

    assert stat.S_IMODE(new_database.stat().st_mode) == 0o600


def test_on_postgresql_without_pg_dump_the_command_to_run_is_shown(monkeypatch, tmp_path):
    monkeypatch.setattr(backups.shutil, "which", lambda _name: None)
    app = make_app("postgresql://cme@127.0.0.1:1/cme")  # never connected to: the tool is looked for first

    dumped = run(app, "backup", str(tmp_path / "cme.dump"))
    assert dumped.exit_code == 2
    assert dumped.output == (
        "pg_dump is not on PATH, so this command does not do it itself. Run it by hand, with the database's "
        "address from DATABASE_URL and its password in PGPASSWORD or ~/.pgpass (never on the command line):\n"
        '  pg_dump --format=custom --file=PATH --dbname="postgresql://USER@HOST:5432/DATABASE"\n'
    )
    assert not (tmp_path / "cme.dump").exists()
    restored = run(app, "restore", str(tmp_path / "cme.dump"))
    assert restored.exit_code == 2
    assert restored.output.splitlines()[1] == (
        "  pg_restore --clean --if-exists --no-owner --single-transaction "
        '--dbname="postgresql://USER@HOST:5432/DATABASE" PATH'
    )
    app.extensions["cme.database"].dispose()
