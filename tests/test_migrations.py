"""The migrations are what builds the schema: they must match the models and guard the audit trail."""

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from portal.schema import alembic_config
from shared.db import make_engine
from shared.models import AuditEvent, Base
from shared.services.audit import record, verify_chain


def test_the_migrated_schema_matches_the_models(database_url):
    engine = make_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_migrations_go_down_and_up_again(database_url):
    from alembic import command

    config = alembic_config(database_url)
    command.downgrade(config, "base")
    engine = make_engine(database_url)
    with engine.connect() as connection:
        assert "users" not in engine.dialect.get_table_names(connection)
    command.upgrade(config, "head")
    with engine.connect() as connection:
        assert {"users", "audit_events", "cases"} <= set(engine.dialect.get_table_names(connection))
    engine.dispose()


def test_the_audit_trail_cannot_be_changed_or_deleted(db):
    db.add(AuditEvent(actor_label="system", action="create", object_type="child", object_id=1))
    db.commit()
    for statement in ("UPDATE audit_events SET action = 'edited'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="audit_events is append-only"):
            db.execute(text(statement))
        db.rollback()
    assert db.scalar(text("SELECT action FROM audit_events")) == "create"


def test_events_recorded_before_the_chain_are_chained_by_its_migration(database_url):
    from alembic import command

    config = alembic_config(database_url)
    command.downgrade(config, "0006")
    engine = make_engine(database_url)
    recorded = [
        {
            "occurred_at": datetime(2026, 11, 30, 9, 15, 0, 123456 * number, tzinfo=UTC),
            "actor_label": "system",
            "action": "case.opened",
            "object_type": "case",
            "object_id": number,
            "before": None if number == 1 else {"risk": "low"},
            "after": {"risk": "high", "checks": [number, "police"]},
        }
        for number in (1, 2, 3)
    ]
    with engine.begin() as connection:  # as the service wrote them before 0007: no hashes
        connection.execute(AuditEvent.__table__.insert(), recorded)
    command.upgrade(config, "head")

    with engine.connect() as connection:
        report = verify_chain(connection)
        rows = connection.execute(text("SELECT id, prev_hash, hash FROM audit_events ORDER BY id")).all()
        head = connection.execute(text("SELECT id, last_event_id, last_hash FROM audit_chain_head")).all()
    assert (report.intact, report.events, report.last_id) == (True, 3, 3)
    assert [row.prev_hash for row in rows] == [None, rows[0].hash, rows[1].hash]
    assert head == [(1, 3, rows[2].hash)]
    with Session(engine) as session:  # the service's next event joins the chain where the migration left it
        record(session, None, "case.closed", "case", 1)
        session.commit()
        assert session.get(AuditEvent, 4).prev_hash == rows[2].hash
        for statement in ("UPDATE audit_events SET action = 'edited'", "DELETE FROM audit_events"):
            with pytest.raises(DBAPIError, match="audit_events is append-only"):
                session.execute(text(statement))
            session.rollback()
    with engine.connect() as connection:
        assert verify_chain(connection).intact
    engine.dispose()
