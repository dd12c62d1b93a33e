"""The audit trail as a hash chain: each event carries the hash of the one before; one head row to lock.

Columns are added without rebuilding the table (SQLite's batch mode would drop the append-only triggers).
Events already recorded are chained in id order: the append-only triggers are dropped while their hashes are
written and made again exactly as migration 0001 made them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 18:10:01
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000  # events read and hashed at a time, so a long trail is never held in memory at once

# As migration 0001 made them (and its downgrade drops them).
_AUDIT_GUARDS = {
    "sqlite": [
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$",
        "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
    ],
}
_AUDIT_GUARDS_DROP = {
    "sqlite": ["DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"],
    "postgresql": [
        "DROP TRIGGER audit_events_no_change ON audit_events",
        "DROP FUNCTION audit_events_append_only()",
    ],
}

_events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer()),
    sa.column("occurred_at", sa.DateTime(timezone=True)),
    sa.column("actor_id", sa.Integer()),
    sa.column("actor_label", sa.String()),
    sa.column("action", sa.String()),
    sa.column("object_type", sa.String()),
    sa.column("object_id", sa.Integer()),
    sa.column("before", sa.JSON()),
    sa.column("after", sa.JSON()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)
_head = sa.table(
    "audit_chain_head", sa.column("id", sa.Integer()), sa.column("last_event_id", sa.Integer()), sa.column("last_hash")
)


def _event_hash(row, prev_hash: str | None) -> str:
    """The chain's hash as the service computed it when this migration was written (shared.models.audit.
    event_hash), frozen here so that later changes to the service cannot change what this migration writes."""
    occurred_at = row.occurred_at
    occurred_at = occurred_at.replace(tzinfo=UTC) if occurred_at.tzinfo is None else occurred_at.astimezone(UTC)
    canonical = {
        "id": row.id,
        "occurred_at": occurred_at.isoformat(timespec="microseconds"),
        "actor_id": row.actor_id,
        "actor_label": row.actor_label,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "before": row.before,
        "after": row.after,
        "prev_hash": prev_hash,
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _chain_existing_events(connection) -> tuple[int | None, str | None]:
    """Hash the events already recorded, in id order, a batch at a time; the last event's (id, hash)."""
    last_id, last_hash = None, None
    while True:
        query = sa.select(_events).order_by(_events.c.id).limit(BATCH)
        if last_id is not None:
            query = query.where(_events.c.id > last_id)
        rows = connection.execute(query).all()
        if not rows:
            return last_id, last_hash
        changes = []
        for row in rows:
            own = _event_hash(row, last_hash)
            changes.append({"event_id": row.id, "prev": last_hash, "own": own})
            last_id, last_hash = row.id, own
        connection.execute(
            _events.update()
            .where(_events.c.id == sa.bindparam("event_id"))
            .values(prev_hash=sa.bindparam("prev"), hash=sa.bindparam("own")),
            changes,
        )


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_events", sa.Column("hash", sa.String(length=64), nullable=True))
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=True),
        sa.Column("last_hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    connection = op.get_bind()
    dialect = connection.dialect.name
    for statement in _AUDIT_GUARDS_DROP.get(dialect, []):
        op.execute(statement)
    last_id, last_hash = _chain_existing_events(connection)
    for statement in _AUDIT_GUARDS.get(dialect, []):
        op.execute(statement)
    op.bulk_insert(_head, [{"id": 1, "last_event_id": last_id, "last_hash": last_hash}])


def downgrade() -> None:
    op.drop_table("audit_chain_head")
    op.drop_column("audit_events", "hash")
    op.drop_column("audit_events", "prev_hash")
