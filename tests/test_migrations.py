"""The migrations are what builds the schema: they must match the models and guard the audit trail."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from portal.cli import alembic_config
from shared.db import make_engine
from shared.models import AuditEvent, Base


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
