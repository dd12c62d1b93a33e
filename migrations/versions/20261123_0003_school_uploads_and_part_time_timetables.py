"""Schools: uploaded files kept between preview and confirm, part-time timetables and their termly returns,
and a submission key so a notice sent twice is stored once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:12:15.872268
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "notice_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_format", sa.String(length=10), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("batch_reference", sa.String(length=12), nullable=True),
        sa.Column("notices_sent", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_notice_uploads_school_id_schools")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], name=op.f("fk_notice_uploads_uploaded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_uploads")),
        sa.UniqueConstraint("reference", name=op.f("uq_notice_uploads_reference")),
    )
    with op.batch_alter_table("notice_uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_uploads_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_uploads_uploaded_at"), ["uploaded_at"], unique=False)

    op.create_table(
        "timetable_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("nil_return", sa.Boolean(), nullable=False),
        sa.Column("timetables", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_timetable_returns_school_id_schools")),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["users.id"], name=op.f("fk_timetable_returns_submitted_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timetable_returns")),
        sa.UniqueConstraint("school_id", "term", name=op.f("uq_timetable_returns_school_id")),
    )
    with op.batch_alter_table("timetable_returns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timetable_returns_school_id"), ["school_id"], unique=False)

    op.create_table(
        "part_time_timetables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("upn", sa.String(length=13), nullable=True),
        sa.Column("pupil_first_name", sa.String(length=100), nullable=False),
        sa.Column("pupil_last_name", sa.String(length=100), nullable=False),
        sa.Column("pupil_date_of_birth", sa.Date(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("hours_per_week", sa.Double(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("review_date", sa.Date(), nullable=False),
        sa.Column("agreed_with_parents", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["school_notices.id"], name=op.f("fk_part_time_timetables_notice_id_school_notices")
        ),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_part_time_timetables_school_id_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_part_time_timetables")),
        sa.UniqueConstraint("notice_id", name=op.f("uq_part_time_timetables_notice_id")),
    )
    with op.batch_alter_table("part_time_timetables", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_part_time_timetables_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_part_time_timetables_status"), ["status"], unique=False)

    with op.batch_alter_table("school_notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submission_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_school_notices_submission_key"), ["submission_key"])


def downgrade() -> None:

    with op.batch_alter_table("school_notices", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_school_notices_submission_key"), type_="unique")
        batch_op.drop_column("submission_key")

    with op.batch_alter_table("part_time_timetables", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_part_time_timetables_status"))
        batch_op.drop_index(batch_op.f("ix_part_time_timetables_school_id"))

    op.drop_table("part_time_timetables")
    with op.batch_alter_table("timetable_returns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timetable_returns_school_id"))

    op.drop_table("timetable_returns")
    with op.batch_alter_table("notice_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_uploads_uploaded_at"))
        batch_op.drop_index(batch_op.f("ix_notice_uploads_school_id"))

    op.drop_table("notice_uploads")
