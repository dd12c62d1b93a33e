"""Initial schema: schools, users, children and carers, referrals and notices, cases, enquiries, notes, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 14:53:32.377385
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The audit trail is append-only for the application: the database itself refuses to change it.
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


def upgrade() -> None:
    op.create_table(
        "schools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("urn", sa.Integer(), nullable=False),
        sa.Column("la_code", sa.String(length=3), nullable=False),
        sa.Column("establishment_number", sa.String(length=4), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("establishment_type", sa.String(length=100), nullable=False),
        sa.Column("type_group", sa.String(length=100), nullable=False),
        sa.Column("phase", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=60), nullable=False),
        sa.Column("statutory_low_age", sa.Integer(), nullable=True),
        sa.Column("statutory_high_age", sa.Integer(), nullable=True),
        sa.Column("street", sa.String(length=200), nullable=True),
        sa.Column("town", sa.String(length=100), nullable=True),
        sa.Column("postcode", sa.String(length=8), nullable=True),
        sa.Column("open_date", sa.Date(), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schools")),
        sa.UniqueConstraint("urn", name=op.f("uq_schools_urn")),
    )
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_schools_name"), ["name"], unique=False)

    op.create_table(
        "children",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upn", sa.String(length=13), nullable=True),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("middle_names", sa.String(length=200), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("other_names", sa.String(length=300), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(length=10), nullable=False),
        sa.Column("address_line_1", sa.String(length=200), nullable=True),
        sa.Column("address_line_2", sa.String(length=200), nullable=True),
        sa.Column("town", sa.String(length=100), nullable=True),
        sa.Column("postcode", sa.String(length=8), nullable=True),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("looked_after", sa.Boolean(), nullable=False),
        sa.Column("send_status", sa.String(length=20), nullable=False),
        sa.Column("vulnerable_groups", sa.JSON(), nullable=False),
        sa.Column("current_school_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["current_school_id"], ["schools.id"], name=op.f("fk_children_current_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_children")),
    )
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_children_date_of_birth"), ["date_of_birth"], unique=False)
        batch_op.create_index(batch_op.f("ix_children_last_name"), ["last_name"], unique=False)
        batch_op.create_index(batch_op.f("ix_children_postcode"), ["postcode"], unique=False)
        batch_op.create_index(batch_op.f("ix_children_upn"), ["upn"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_signed_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(role = 'school' AND school_id IS NOT NULL) OR (role <> 'school' AND school_id IS NULL)",
            name=op.f("ck_users_school_users_have_a_school"),
        ),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_users_school_id_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_school_id"), ["school_id"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_audit_events_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index("ix_audit_events_object", ["object_type", "object_id"], unique=False)

    op.create_table(
        "carers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("relationship_to_child", sa.String(length=60), nullable=True),
        sa.Column("lives_with_child", sa.Boolean(), nullable=False),
        sa.Column("address", sa.String(length=400), nullable=True),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_carers_child_id_children"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carers")),
    )
    with op.batch_alter_table("carers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_carers_child_id"), ["child_id"], unique=False)

    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("risk_level", sa.String(length=10), nullable=False),
        sa.Column("assigned_to_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("missing_since", sa.Date(), nullable=True),
        sa.Column("primary_reason", sa.String(length=40), nullable=True),
        sa.Column("located_on", sa.Date(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("outcome_details", sa.JSON(), nullable=False),
        sa.Column("placed_school_id", sa.Integer(), nullable=True),
        sa.Column("review_date", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["assigned_to_id"], ["users.id"], name=op.f("fk_cases_assigned_to_id_users")),
        sa.ForeignKeyConstraint(["child_id"], ["children.id"], name=op.f("fk_cases_child_id_children")),
        sa.ForeignKeyConstraint(["opened_by_id"], ["users.id"], name=op.f("fk_cases_opened_by_id_users")),
        sa.ForeignKeyConstraint(["placed_school_id"], ["schools.id"], name=op.f("fk_cases_placed_school_id_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("reference", name=op.f("uq_cases_reference")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_assigned_to_id"), ["assigned_to_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_status"), ["status"], unique=False)

    op.create_table(
        "case_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("with_whom", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.String(length=500), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_case_notes_author_id_users")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_notes_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notes")),
    )
    with op.batch_alter_table("case_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_notes_case_id"), ["case_id"], unique=False)

    op.create_table(
        "enquiries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("check_type", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("other_authority", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("asked_on", sa.Date(), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("result", sa.String(length=20), nullable=True),
        sa.Column("not_applicable_reason", sa.Text(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_enquiries_case_id_cases"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_enquiries_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enquiries")),
    )
    with op.batch_alter_table("enquiries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enquiries_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_enquiries_due_on"), ["due_on"], unique=False)

    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("submission_key", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("child_first_name", sa.String(length=100), nullable=True),
        sa.Column("child_last_name", sa.String(length=100), nullable=True),
        sa.Column("child_date_of_birth", sa.Date(), nullable=True),
        sa.Column("child_postcode", sa.String(length=8), nullable=True),
        sa.Column("reporter_name", sa.String(length=200), nullable=True),
        sa.Column("reporter_email", sa.String(length=254), nullable=True),
        sa.Column("reporter_phone", sa.String(length=30), nullable=True),
        sa.Column("reporter_organisation", sa.String(length=200), nullable=True),
        sa.Column("consent_to_contact", sa.Boolean(), nullable=True),
        sa.Column("secret_phrase_hash", sa.String(length=255), nullable=True),
        sa.Column("child_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("triaged_by_id", sa.Integer(), nullable=True),
        sa.Column("triaged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_referrals_case_id_cases")),
        sa.ForeignKeyConstraint(["child_id"], ["children.id"], name=op.f("fk_referrals_child_id_children")),
        sa.ForeignKeyConstraint(["triaged_by_id"], ["users.id"], name=op.f("fk_referrals_triaged_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("reference", name=op.f("uq_referrals_reference")),
        sa.UniqueConstraint("submission_key", name=op.f("uq_referrals_submission_key")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_received_at"), ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_status"), ["status"], unique=False)

    op.create_table(
        "school_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("upn", sa.String(length=13), nullable=True),
        sa.Column("pupil_first_name", sa.String(length=100), nullable=False),
        sa.Column("pupil_last_name", sa.String(length=100), nullable=False),
        sa.Column("pupil_date_of_birth", sa.Date(), nullable=False),
        sa.Column("pupil_sex", sa.String(length=10), nullable=True),
        sa.Column("pupil_postcode", sa.String(length=8), nullable=True),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("deletion_ground", sa.String(length=1), nullable=True),
        sa.Column("destination_laestab", sa.String(length=7), nullable=True),
        sa.Column("routed_to_cme", sa.Boolean(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("batch_reference", sa.String(length=12), nullable=True),
        sa.Column("child_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_school_notices_case_id_cases")),
        sa.ForeignKeyConstraint(["child_id"], ["children.id"], name=op.f("fk_school_notices_child_id_children")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_school_notices_school_id_schools")),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["users.id"], name=op.f("fk_school_notices_submitted_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_notices")),
        sa.UniqueConstraint("reference", name=op.f("uq_school_notices_reference")),
    )
    with op.batch_alter_table("school_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_school_notices_batch_reference"), ["batch_reference"], unique=False)
        batch_op.create_index(batch_op.f("ix_school_notices_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_school_notices_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_school_notices_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_school_notices_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_school_notices_submitted_at"), ["submitted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_school_notices_upn"), ["upn"], unique=False)

    for statement in _AUDIT_GUARDS.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    for statement in _AUDIT_GUARDS_DROP.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    with op.batch_alter_table("school_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_school_notices_upn"))
        batch_op.drop_index(batch_op.f("ix_school_notices_submitted_at"))
        batch_op.drop_index(batch_op.f("ix_school_notices_status"))
        batch_op.drop_index(batch_op.f("ix_school_notices_school_id"))
        batch_op.drop_index(batch_op.f("ix_school_notices_child_id"))
        batch_op.drop_index(batch_op.f("ix_school_notices_case_id"))
        batch_op.drop_index(batch_op.f("ix_school_notices_batch_reference"))

    op.drop_table("school_notices")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_status"))
        batch_op.drop_index(batch_op.f("ix_referrals_received_at"))
        batch_op.drop_index(batch_op.f("ix_referrals_child_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_case_id"))

    op.drop_table("referrals")
    with op.batch_alter_table("enquiries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enquiries_due_on"))
        batch_op.drop_index(batch_op.f("ix_enquiries_case_id"))

    op.drop_table("enquiries")
    with op.batch_alter_table("case_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_notes_case_id"))

    op.drop_table("case_notes")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_status"))
        batch_op.drop_index(batch_op.f("ix_cases_child_id"))
        batch_op.drop_index(batch_op.f("ix_cases_assigned_to_id"))

    op.drop_table("cases")
    with op.batch_alter_table("carers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_carers_child_id"))

    op.drop_table("carers")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_object")
        batch_op.drop_index(batch_op.f("ix_audit_events_actor_id"))

    op.drop_table("audit_events")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_school_id"))

    op.drop_table("users")
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_children_upn"))
        batch_op.drop_index(batch_op.f("ix_children_postcode"))
        batch_op.drop_index(batch_op.f("ix_children_last_name"))
        batch_op.drop_index(batch_op.f("ix_children_date_of_birth"))

    op.drop_table("children")
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schools_name"))

    op.drop_table("schools")
