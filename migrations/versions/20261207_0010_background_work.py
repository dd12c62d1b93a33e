"""Background work on a task engine: a lease on each attendance file's check or import, so a worker that dies
hands it on, and the scheduled work's runs, one per period however many workers ask.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attendance_imports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_holder", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.SmallInteger(), server_default="0", nullable=False))
    op.create_table(
        "scheduled_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(length=100), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_runs")),
        sa.UniqueConstraint("name", "period", name=op.f("uq_scheduled_runs_name")),
    )
    with op.batch_alter_table("scheduled_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scheduled_runs_started_at"), ["started_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scheduled_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduled_runs_started_at"))
    op.drop_table("scheduled_runs")
    with op.batch_alter_table("attendance_imports", schema=None) as batch_op:
        batch_op.drop_column("attempts")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_holder")
