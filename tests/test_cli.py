"""The `cme` command line as an operator uses it."""

import re
from datetime import date

from sqlalchemy import func, select

from shared.demo import seeding
from shared.domain.casework import CaseStatus
from shared.domain.school_days import SchoolCalendar
from shared.models import AuditEvent, Case, Child, Enquiry, PartTimeTimetable, Referral, School, SchoolNotice, User
from shared.services import invitations, users


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def create_user(app, email, role, name, *options, password="a long enough password"):
    """`cme users create` with the password on standard input, as a script would call it."""
    return run(
        app,
        "users",
        "create",
        email,
        "--role",
        role,
        "--name",
        name,
        *options,
        "--password-stdin",
        input=password + "\n",
    )


def test_create_a_school_user_with_the_password_on_stdin(app, db, school):
    result = create_user(app, "Head@Millfield.example", "school", "Ann Head", "--school", str(school.urn))
    assert result.exit_code == 0, result.output
    assert result.output == "Created school head@millfield.example.\n"
    user = db.scalar(select(User).where(User.email == "head@millfield.example"))
    assert (user.name, user.role, user.school_id) == ("Ann Head", "school", school.id)
    assert users.authenticate(db, "head@millfield.example", "a long enough password").id == user.id
    assert db.scalar(select(AuditEvent.actor_label).where(AuditEvent.action == "create")) == "command line"


def test_an_unknown_role_exits_non_zero_with_one_clear_line(app):
    result = create_user(app, "x@northbridge.example", "wizard", "X")
    assert result.exit_code == 1
    assert result.output == "Error: Unknown role 'wizard': use one of school, officer, lead, manager, admin\n"


def test_an_unknown_school_exits_non_zero_with_one_clear_line(app, school):
    result = create_user(app, "x@northbridge.example", "school", "X", "--school", "123456")
    assert result.exit_code == 1
    assert result.output == "Error: No school with URN 123456 is in the schools register\n"


def test_staff_do_not_belong_to_a_school_and_school_users_must(app, school):
    staff = create_user(app, "o@northbridge.example", "officer", "O", "--school", str(school.urn))
    assert staff.output == "Error: Only school users belong to a school; a cme officer does not\n"
    school_user = create_user(app, "s@northbridge.example", "school", "S")
    assert school_user.output == "Error: A school user needs a school: give its URN with --school\n"


def test_short_passwords_and_duplicate_emails_are_refused(app, users):
    short = create_user(app, "n@northbridge.example", "officer", "N", password="short")
    assert short.output == "Error: The password must be at least 12 characters, not counting spaces at either end\n"
    spaces = create_user(app, "n@northbridge.example", "officer", "N", password=" " * 20)
    assert spaces.output == short.output
    again = create_user(app, "OFFICER@northbridge.example", "officer", "N")
    assert again.output == "Error: A user with the email officer@northbridge.example already exists\n"


def test_demo_seed_loads_once_and_prints_each_account(app, db):
    result = run(app, "demo", "seed")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Demo data loaded. Sign in with these accounts (shown only this once):"
    assert [line.split()[:2] for line in lines[1:]] == [
        ["admin", "admin@northbridge.example"],
        ["lead", "lead@northbridge.example"],
        ["officer", "officer@northbridge.example"],
        ["officer", "officer2@northbridge.example"],
        ["manager", "manager@northbridge.example"],
        ["school", "school@northbridge.example"],
    ]
    _, email, password = lines[1].split()
    assert users.authenticate(db, email, password).role == "admin"
    again = run(app, "demo", "seed", "--if-empty")
    assert (again.exit_code, again.output) == (0, "The database already has data: demo data not loaded.\n")
    refused = run(app, "demo", "seed")
    assert refused.exit_code == 1
    assert db.scalar(select(func.count()).select_from(User)) == 6


def _fingerprint(session):
    return (
        [tuple(row) for row in session.execute(select(School.urn, School.name, School.postcode).order_by(School.urn))],
        [
            tuple(row)
            for row in session.execute(
                select(Child.upn, Child.first_name, Child.last_name, Child.date_of_birth).order_by(Child.id)
            )
        ],
        [
            tuple(row)
            for row in session.execute(
                select(Case.reference, Case.status, Case.outcome, Case.missing_since).order_by(Case.id)
            )
        ],
        [tuple(row) for row in session.execute(select(Referral.reference, Referral.status).order_by(Referral.id))],
    )


def test_demo_data_is_the_same_on_every_run_and_covers_every_status(db, tmp_path):
    from portal.schema import upgrade_database
    from shared.db import Database

    today = date(2026, 11, 23)
    seeding.seed(db, "999", today=today, calendar=SchoolCalendar(), passwords={"admin": "x" * 16})
    first = _fingerprint(db)

    other_path = tmp_path / "other.sqlite"
    upgrade_database(f"sqlite:///{other_path}")
    other = Database(f"sqlite:///{other_path}")
    with other.session() as session:
        seeding.seed(session, "999", today=today, calendar=SchoolCalendar())
        assert _fingerprint(session) == first
    other.dispose()

    assert {status for (status,) in db.execute(select(Case.status).distinct())} == {s.value for s in CaseStatus}
    assert {status for (status,) in db.execute(select(Referral.status).distinct())} == {
        "new",
        "in_triage",
        "linked",
        "closed",
    }
    assert {status for (status,) in db.execute(select(SchoolNotice.status).distinct())} == {
        "received",
        "for_cme",
        "attached",
        "actioned",
    }
    counts = [
        db.scalar(select(func.count()).select_from(model))
        for model in (School, User, Child, Case, Referral, SchoolNotice)
    ]
    assert counts == [18, 6, 240, 45, 56, 80]
    # Every case's standard checks, and the enquiry each of the 5 cases waiting for another authority waits on.
    assert db.scalar(select(func.count()).select_from(Enquiry)) == 45 * 14 + 5
    # every part-time notice started a timetable the school can keep up to date
    assert db.scalar(select(func.count()).select_from(PartTimeTimetable)) == 16
    assert db.scalar(select(func.count()).select_from(SchoolNotice).where(SchoolNotice.kind == "part_time")) == 16


def test_over_long_details_are_refused_before_they_reach_the_database(app):
    long_email = create_user(app, "a" * 250 + "@northbridge.example", "officer", "N")
    assert long_email.output == "Error: The email address must be 254 characters or fewer\n"
    long_name = create_user(app, "n@northbridge.example", "officer", "N" * 121)
    assert long_name.output == "Error: The name must be 120 characters or fewer\n"


def test_a_database_that_cannot_be_used_is_one_clear_line(tmp_path):
    from tests.conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'never-migrated.sqlite'}")
    result = create_user(app, "n@northbridge.example", "officer", "N")
    assert result.exit_code == 1
    assert result.output == (
        "Error: The database could not be used (no such table: users). Is DATABASE_URL right, "
        "and has `cme db upgrade` run?\n"
    )


def test_serve_runs_one_worker_while_rate_limits_are_per_process():
    from portal.cli import worker_count

    assert worker_count(None, "memory://", cores=2) == 1
    assert worker_count(8, "memory://", cores=2) == 1
    assert worker_count(None, "redis://127.0.0.1:6379", cores=2) == 5
    assert worker_count(3, "redis://127.0.0.1:6379", cores=2) == 3


def test_db_upgrade_on_a_database_that_cannot_be_reached_is_one_clear_line(tmp_path):
    from tests.conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'no-such-folder' / 'cme.sqlite'}")
    result = run(app, "db", "upgrade")
    assert result.exit_code == 1
    assert result.output == (
        "Error: The database could not be used (unable to open database file). Is DATABASE_URL "
        "right, and is the database server running?\n"
    )


def test_users_invite_emails_a_link_that_sets_the_password(app, db, mailbox):
    from shared.models import Invitation

    result = run(app, "users", "invite", "Lead@Northbridge.example", "--role", "lead", "--name", "Lee Ward")
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.email == "lead@northbridge.example"))
    invitation = db.scalar(select(Invitation).where(Invitation.user_id == user.id))
    expires = invitations.plain_time(invitation.expires_at)
    assert result.output == (
        f"Invited lead lead@northbridge.example: the link is emailed. It works once, until {expires}.\n"
    )
    [email] = mailbox.wait_for(1)
    token = re.search(r"https://cme\.northbridge\.example/invitation/(\S+)", email.get_content()).group(1)
    assert (email["To"], invitation.token_hash) == ("lead@northbridge.example", invitations.token_hash(token))
    assert token not in result.output  # printed only when asked for
    audit = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.invited"))
    assert (audit.actor_label, audit.object_id) == ("command line", user.id)
    invitations.accept(db, token, "a long enough password", "a long enough password")
    assert users.authenticate(db, "lead@northbridge.example", "a long enough password").id == user.id


def test_users_invite_prints_the_link_when_asked_and_refuses_an_existing_email(app, db, mailbox):
    first = run(
        app, "users", "invite", "new@northbridge.example", "--role", "officer", "--name", "Ola Bee", "--print-link"
    )
    assert first.exit_code == 0, first.output
    link = first.output.splitlines()[-1]
    assert re.fullmatch(r"https://cme\.northbridge\.example/invitation/[A-Za-z0-9_-]{43}", link)
    again = run(app, "users", "invite", "NEW@northbridge.example", "--role", "officer", "--name", "Ola Bee")
    assert (again.exit_code, again.output) == (1, "Error: A user with this email address already exists\n")
    assert db.scalar(select(func.count()).select_from(User).where(User.email == "new@northbridge.example")) == 1
