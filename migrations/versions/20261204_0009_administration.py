"""Administration in the service: invitations to set a password, settings changed in the admin pages, and the
authority's term dates (until now a CSV file named by CME_TERM_DATES_FILE, copied in here once).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 17:00:00
"""

import csv
import os
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHIPPED = Path(__file__).resolve().parents[2] / "shared" / "data" / "term_dates.csv"


def _term_dates() -> list[dict]:
    """The rows of the term dates file the service used before this revision (checked when it was read)."""
    path = Path(os.environ.get("CME_TERM_DATES_FILE") or SHIPPED)
    with path.open(encoding="utf-8-sig", newline="") as file:
        return [
            {
                "kind": row["kind"].strip().lower(),
                "starts_on": date.fromisoformat(row["start"].strip()),
                "ends_on": date.fromisoformat(row["end"].strip()),
                "description": (row["description"] or "").strip()[:100],
            }
            for row in csv.DictReader(file)
        ]


def upgrade() -> None:
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_invitations_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_invitations_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitations_user_id"), ["user_id"], unique=False)

    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_settings_updated_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )

    term_periods = op.create_table(
        "term_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('term', 'closure')", name=op.f("ck_term_periods_kind_is_known")),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_term_periods_ends_after_it_starts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term_periods")),
    )
    with op.batch_alter_table("term_periods", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_term_periods_starts_on"), ["starts_on"], unique=False)
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":  # kept without a zone there, as the models keep it
        now = now.replace(tzinfo=None)
    op.bulk_insert(term_periods, [{**row, "updated_at": now} for row in _term_dates()])


def downgrade() -> None:
    with op.batch_alter_table("term_periods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_term_periods_starts_on"))
    op.drop_table("term_periods")
    op.drop_table("settings")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitations_user_id"))
    op.drop_table("invitations")
