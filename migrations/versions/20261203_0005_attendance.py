"""Attendance: pupils as attendance files name them, their marks a week at a time, the school weekly rollups,
the files imported with their progress, and the alerts for long unexplained absence.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 07:49:17.148023
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attendance_school_weeks",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("pupils", sa.Integer(), nullable=False),
        sa.Column("possible", sa.Integer(), nullable=False),
        sa.Column("present", sa.Integer(), nullable=False),
        sa.Column("authorised", sa.Integer(), nullable=False),
        sa.Column("unauthorised", sa.Integer(), nullable=False),
        sa.Column("unexplained", sa.Integer(), nullable=False),
        sa.Column("term_pupils", sa.Integer(), nullable=False),
        sa.Column("term_persistent", sa.Integer(), nullable=False),
        sa.Column("term_severe", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_attendance_school_weeks_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("school_id", "week_start", name=op.f("pk_attendance_school_weeks")),
    )
    with op.batch_alter_table("attendance_school_weeks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_school_weeks_week_start"), ["week_start"], unique=False)

    op.create_table(
        "attendance_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("stage", sa.String(length=100), nullable=True),
        sa.Column("lines_total", sa.Integer(), nullable=True),
        sa.Column("lines_done", sa.Integer(), nullable=False),
        sa.Column("progress_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("skip_bad_lines", sa.Boolean(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("problem_count", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_attendance_imports_school_id_schools")),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_attendance_imports_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_imports")),
        sa.UniqueConstraint("reference", name=op.f("uq_attendance_imports_reference")),
    )
    with op.batch_alter_table("attendance_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_imports_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_imports_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_imports_uploaded_at"), ["uploaded_at"], unique=False)

    op.create_table(
        "attendance_pupils",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upn", sa.String(length=13), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=True),
        sa.Column("last_marked_on", sa.Date(), nullable=True),
        sa.Column("current_run_start", sa.Date(), nullable=True),
        sa.Column("current_run_sessions", sa.Integer(), nullable=False),
        sa.Column("longest_run_start", sa.Date(), nullable=True),
        sa.Column("longest_run_sessions", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["child_id"], ["children.id"], name=op.f("fk_attendance_pupils_child_id_children")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_attendance_pupils_school_id_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_pupils")),
        sa.UniqueConstraint("upn", name=op.f("uq_attendance_pupils_upn")),
    )
    with op.batch_alter_table("attendance_pupils", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_pupils_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_pupils_school_id"), ["school_id"], unique=False)

    op.create_table(
        "attendance_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("run_start", sa.Date(), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("upn", sa.String(length=13), nullable=False),
        sa.Column("pupil_first_name", sa.String(length=100), nullable=False),
        sa.Column("pupil_last_name", sa.String(length=100), nullable=False),
        sa.Column("pupil_date_of_birth", sa.Date(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("triaged_by_id", sa.Integer(), nullable=True),
        sa.Column("triaged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_attendance_alerts_case_id_cases")),
        sa.ForeignKeyConstraint(["child_id"], ["children.id"], name=op.f("fk_attendance_alerts_child_id_children")),
        sa.ForeignKeyConstraint(
            ["import_id"], ["attendance_imports.id"], name=op.f("fk_attendance_alerts_import_id_attendance_imports")
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["attendance_pupils.id"], name=op.f("fk_attendance_alerts_pupil_id_attendance_pupils")
        ),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_attendance_alerts_school_id_schools")),
        sa.ForeignKeyConstraint(["triaged_by_id"], ["users.id"], name=op.f("fk_attendance_alerts_triaged_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_alerts")),
        sa.UniqueConstraint("pupil_id", "run_start", name="uq_attendance_alerts_pupil_id"),
        sa.UniqueConstraint("reference", name=op.f("uq_attendance_alerts_reference")),
    )
    with op.batch_alter_table("attendance_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_alerts_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_alerts_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_alerts_pupil_id"), ["pupil_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_alerts_raised_at"), ["raised_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_alerts_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_alerts_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_alerts_upn"), ["upn"], unique=False)

    op.create_table(
        "attendance_weeks",
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("marks", sa.String(length=10), nullable=False),
        sa.Column("possible", sa.SmallInteger(), nullable=False),
        sa.Column("present", sa.SmallInteger(), nullable=False),
        sa.Column("authorised", sa.SmallInteger(), nullable=False),
        sa.Column("unauthorised", sa.SmallInteger(), nullable=False),
        sa.Column("unexplained", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pupil_id"],
            ["attendance_pupils.id"],
            name=op.f("fk_attendance_weeks_pupil_id_attendance_pupils"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_attendance_weeks_school_id_schools")),
        sa.PrimaryKeyConstraint("pupil_id", "week_start", "school_id", name=op.f("pk_attendance_weeks")),
    )
    with op.batch_alter_table("attendance_weeks", schema=None) as batch_op:
        batch_op.create_index("ix_attendance_weeks_school_week", ["school_id", "week_start"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("attendance_weeks", schema=None) as batch_op:
        batch_op.drop_index("ix_attendance_weeks_school_week")

    op.drop_table("attendance_weeks")
    with op.batch_alter_table("attendance_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_alerts_upn"))
        batch_op.drop_index(batch_op.f("ix_attendance_alerts_status"))
        batch_op.drop_index(batch_op.f("ix_attendance_alerts_school_id"))
        batch_op.drop_index(batch_op.f("ix_attendance_alerts_raised_at"))
        batch_op.drop_index(batch_op.f("ix_attendance_alerts_pupil_id"))
        batch_op.drop_index(batch_op.f("ix_attendance_alerts_child_id"))
        batch_op.drop_index(batch_op.f("ix_attendance_alerts_case_id"))

    op.drop_table("attendance_alerts")
    with op.batch_alter_table("attendance_pupils", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_pupils_school_id"))
        batch_op.drop_index(batch_op.f("ix_attendance_pupils_child_id"))

    op.drop_table("attendance_pupils")
    with op.batch_alter_table("attendance_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_imports_uploaded_at"))
        batch_op.drop_index(batch_op.f("ix_attendance_imports_status"))
        batch_op.drop_index(batch_op.f("ix_attendance_imports_school_id"))

    op.drop_table("attendance_imports")
    with op.batch_alter_table("attendance_school_weeks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_school_weeks_week_start"))

    op.drop_table("attendance_school_weeks")
