"""Retention: when a child's, a report's, a notice's, an alert's or an attendance pupil's details were anonymised
(`cme retention run`), so later runs pass over them.

Columns are added without rebuilding the tables (plain ADD COLUMN, nullable, no default).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 18:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("children", "referrals", "school_notices", "attendance_alerts", "attendance_pupils")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_column(table, "anonymised_at")
