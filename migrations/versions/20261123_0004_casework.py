"""Casework: the case timeline's events, reminder digests sent, sound-alike name keys for matching children,
who closed a case and why with checks open, who added a check, and triage of school notices.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 21:43:11.932081
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "child_name_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_child_name_keys_child_id_children"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_name_keys")),
        sa.UniqueConstraint("child_id", "key", name=op.f("uq_child_name_keys_child_id")),
    )
    with op.batch_alter_table("child_name_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_child_name_keys_key"), ["key"], unique=False)

    op.create_table(
        "reminder_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_reminder_sends_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_sends")),
        sa.UniqueConstraint("user_id", "kind", "sent_on", name=op.f("uq_reminder_sends_user_id")),
    )
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_case_events_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_events_case_id"), ["case_id"], unique=False)

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("closure_justification", sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_cases_closed_by_id_users"), "users", ["closed_by_id"], ["id"])

    with op.batch_alter_table("enquiries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_enquiries_created_by_id_users"), "users", ["created_by_id"], ["id"])
    # Checks made before this revision were added when their case was opened.
    op.execute("UPDATE enquiries SET created_at = (SELECT opened_at FROM cases WHERE cases.id = enquiries.case_id)")
    with op.batch_alter_table("enquiries", schema=None) as batch_op:
        batch_op.alter_column("created_at", existing_type=sa.DateTime(timezone=True), nullable=False)

    with op.batch_alter_table("school_notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("triaged_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("triaged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_reason", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_school_notices_triaged_by_id_users"), "users", ["triaged_by_id"], ["id"]
        )

    # Children stored before this revision get their sound-alike name keys; from here on the ORM keeps them.
    if not op.get_context().as_sql:
        from shared.services.matching import rebuild_name_keys

        rebuild_name_keys(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("school_notices", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_school_notices_triaged_by_id_users"), type_="foreignkey")
        batch_op.drop_column("closed_reason")
        batch_op.drop_column("triaged_at")
        batch_op.drop_column("triaged_by_id")

    with op.batch_alter_table("enquiries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_enquiries_created_by_id_users"), type_="foreignkey")
        batch_op.drop_column("created_by_id")
        batch_op.drop_column("created_at")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_cases_closed_by_id_users"), type_="foreignkey")
        batch_op.drop_column("closure_justification")
        batch_op.drop_column("closed_by_id")

    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_events_case_id"))

    op.drop_table("case_events")
    op.drop_table("reminder_sends")
    with op.batch_alter_table("child_name_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_child_name_keys_key"))

    op.drop_table("child_name_keys")
