"""Invitations and what admins change about users, at the service layer: only a link's hash is kept, a link works
once and not after it expires, two uses at once succeed once, and there is always an active administrator."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shared.domain.problems import Problem, Refused
from shared.models import AuditEvent, Invitation, OutboxMessage, User
from shared.services import invitations, user_admin, users
from shared.services.invitations import EXISTING_EMAIL, LinkGone, LinkState
from shared.services.user_admin import LAST_ADMIN, STALE

SERVICE = "https://cme.northbridge.example"
NEW_PASSWORD = "tangerine lighthouse percolator"


def invite(db, actor, email="new.officer@northbridge.example", role="officer", school_urn=None, **kwargs):
    return invitations.invite(
        db,
        email=email,
        name="Nia Okafor",
        role=role,
        school_urn=school_urn,
        actor=actor,
        service_url=SERVICE,
        **kwargs,
    )


def token_of(invited) -> str:
    return invited.link.rsplit("/", 1)[1]


def test_an_invitation_keeps_only_the_hash_of_its_link_and_emails_the_link(db, users):
    invited = invite(db, users["admin"], email="  New.Officer@Northbridge.example ")
    token = token_of(invited)
    assert invited.link == f"{SERVICE}/invitation/{token}"
    assert len(token) == 43  # 32 random bytes
    stored = db.scalars(select(Invitation)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert stored.created_by_id == users["admin"].id
    assert stored.used_at is None
    assert timedelta(hours=71, minutes=59) < stored.expires_at - stored.created_at <= timedelta(hours=72)
    user = db.get(User, invited.user.id)
    assert (user.email, user.name, user.role, user.school_id, user.active) == (
        "new.officer@northbridge.example",
        "Nia Okafor",
        "officer",
        None,
        True,
    )
    message = db.scalars(select(OutboxMessage)).one()
    assert message.to_address == "new.officer@northbridge.example"
    assert message.subject == "You have been invited to the Children missing education service"
    assert f"\n{invited.link}\n" in message.body
    assert f"until {invitations.plain_time(stored.expires_at)} (UK time)" in message.body
    assert "Test Admin has invited you" in message.body
    assert "Your role: CME officer\n" in message.body
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "user.invited")).one()
    assert (event.actor_id, event.object_type, event.object_id) == (users["admin"].id, "user", user.id)
    assert event.after == {
        "email": "new.officer@northbridge.example",
        "name": "Nia Okafor",
        "role": "officer",
        "school_id": None,
        "invitation_id": stored.id,
        "expires_at": stored.expires_at.isoformat(),
    }
    assert token not in str(event.after) and stored.token_hash not in str(event.after)


def test_nobody_signs_in_as_an_invited_user_before_they_choose_a_password(db, users):
    invited = invite(db, users["admin"])
    for guess in ("", "!", invited.user.password_hash, token_of(invited)):
        assert users_check(db, invited.user.email, guess) is None
    assert invited.user.password_hash.startswith("$argon2")


def users_check(db, email, password):
    return users.check_password(db, email, password).user


def test_an_email_already_used_is_refused_and_nothing_is_saved(db, users):
    before = db.scalar(select(func.count()).select_from(User))
    with pytest.raises(Refused) as refused:
        invite(db, users["admin"], email=" OFFICER@northbridge.example")
    assert refused.value.problems == [Problem("email", EXISTING_EMAIL)]
    assert db.scalar(select(func.count()).select_from(User)) == before
    assert db.scalar(select(func.count()).select_from(Invitation)) == 0
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "user.invited")) == 0


def test_each_missing_or_wrong_answer_is_named(db, users):
    with pytest.raises(Refused) as refused:
        invitations.invite(
            db,
            email="not an email",
            name=" ",
            role="wizard",
            school_urn=None,
            actor=users["admin"],
            service_url=SERVICE,
        )
    assert refused.value.problems == [
        Problem("name", "Enter the person's full name"),
        Problem("email", "Enter an email address in the correct format, like name@example.com"),
        Problem("role", "Select the person's role"),
    ]
    for urn, message in [
        ("", "Enter the school's URN"),
        ("12345", "The school's URN must be 6 digits, like 100001"),
        ("１２３４５６", "The school's URN must be 6 digits, like 100001"),
        ("123456", "No school with URN 123456 is in the schools register"),
    ]:
        with pytest.raises(Refused) as refused:
            invite(db, users["admin"], role="school", school_urn=urn)
        assert refused.value.problems == [Problem("school_urn", message)]


def test_a_school_user_is_invited_to_their_school_and_a_urn_given_for_staff_is_ignored(db, users, school):
    invited = invite(db, users["admin"], role="school", school_urn="990101")
    assert invited.user.school_id == school.id
    assert "Your role: School user, Millfield Primary School\n" in invited.message.body
    assert "authenticator" not in invited.message.body
    staff = invite(db, users["admin"], email="lead2@northbridge.example", role="lead", school_urn="990101")
    assert staff.user.school_id is None


def test_the_invited_person_chooses_a_password_once_and_then_signs_in(db, users):
    invited = invite(db, users["admin"])
    token = token_of(invited)
    assert invitations.look_up(db, token)[0] is LinkState.VALID
    user = invitations.accept(db, token, NEW_PASSWORD, NEW_PASSWORD)
    assert users_check(db, "new.officer@northbridge.example", NEW_PASSWORD).id == user.id
    stored = db.scalars(select(Invitation)).one()
    assert stored.used_at is not None
    assert invitations.look_up(db, token)[0] is LinkState.USED
    with pytest.raises(LinkGone) as gone:
        invitations.accept(db, token, "another long passphrase here", "another long passphrase here")
    assert gone.value.state is LinkState.USED
    assert users_check(db, "new.officer@northbridge.example", NEW_PASSWORD).id == user.id
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "user.invitation_accepted")).one()
    assert (event.actor_id, event.object_id, event.after) == (user.id, user.id, {"invitation_id": stored.id})


def test_an_expired_link_changes_nothing(db, users):
    invited = invite(db, users["admin"], period=timedelta(hours=1))
    stored = db.scalars(select(Invitation)).one()
    stored.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.commit()
    hash_before = invited.user.password_hash
    with pytest.raises(LinkGone) as gone:
        invitations.accept(db, token_of(invited), NEW_PASSWORD, NEW_PASSWORD)
    assert gone.value.state is LinkState.EXPIRED
    db.expire_all()
    assert (invited.user.password_hash, stored.used_at) == (hash_before, None)
    assert users_check(db, invited.user.email, NEW_PASSWORD) is None


def test_an_unknown_link_is_unknown(db, users):
    invite(db, users["admin"])
    for token in ("", "x" * 43, "x" * 500):
        assert invitations.look_up(db, token) == (LinkState.UNKNOWN, None)


def test_of_two_uses_at_once_only_the_first_changes_the_password(app, db, users):
    """The second tab found the link unused, but the first claimed it before the second's write: the claim's
    conditional UPDATE refuses the second, and its password is never set."""
    invited = invite(db, users["admin"])
    token = token_of(invited)
    database = app.extensions["cme.database"]
    with database.session() as first, database.session() as second:
        seen_by_second = invitations.look_up(second, token)
        assert seen_by_second[0] is LinkState.VALID
        invitations.accept(first, token, NEW_PASSWORD, NEW_PASSWORD)
        original = invitations.look_up
        invitations.look_up = lambda *args, **kwargs: seen_by_second
        try:
            with pytest.raises(LinkGone) as gone:
                invitations.accept(second, token, "second tab passphrase ok", "second tab passphrase ok")
        finally:
            invitations.look_up = original
    assert gone.value.state is LinkState.USED
    db.expire_all()
    assert users_check(db, invited.user.email, NEW_PASSWORD) is not None
    assert users_check(db, invited.user.email, "second tab passphrase ok") is None
    assert (
        db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "user.invitation_accepted"))
        == 1
    )


@pytest.mark.parametrize(
    ("password", "confirmation", "problem"),
    [
        ("", "", Problem("password", "Enter a password")),
        (
            "short one",
            "short one",
            Problem("password", "The password must be at least 12 characters, not counting spaces at either end"),
        ),
        (
            "password1234",
            "password1234",
            Problem(
                "password", "The password is one that many people use, so it is easy to guess: choose a different one"
            ),
        ),
        (
            "okafor lighthouse trip",
            "okafor lighthouse trip",
            Problem("password", "The password must not contain the person's name or email address"),
        ),
        (NEW_PASSWORD, "", Problem("confirmation", "Enter the password again")),
        (
            NEW_PASSWORD,
            NEW_PASSWORD + "x",
            Problem("confirmation", "The passwords do not match: enter the same password in both boxes"),
        ),
    ],
)
def test_the_service_password_rules_apply(db, users, password, confirmation, problem):
    invited = invite(db, users["admin"])
    with pytest.raises(Refused) as refused:
        invitations.accept(db, token_of(invited), password, confirmation)
    assert refused.value.problems == [problem]
    assert invitations.look_up(db, token_of(invited))[0] is LinkState.VALID


def test_a_new_invitation_ends_the_old_link(db, users):
    first = invite(db, users["admin"])
    second = invitations.resend(db, first.user, users["admin"], SERVICE)
    assert invitations.look_up(db, token_of(first))[0] is LinkState.EXPIRED
    assert invitations.look_up(db, token_of(second))[0] is LinkState.VALID
    invitations.accept(db, token_of(second), NEW_PASSWORD, NEW_PASSWORD)
    with pytest.raises(Refused) as refused:
        invitations.resend(db, first.user, users["admin"], SERVICE)
    assert refused.value.problems == [
        Problem("", "Nia Okafor has already chosen a password: there is nothing to resend")
    ]


def test_status_as_the_admin_pages_show_it(db, users):
    invited = invite(db, users["admin"])
    now = datetime.now(UTC)
    assert invitations.status(users["officer"], None) == "Active"
    assert invitations.status(invited.user, invited.invitation, now) == "Invited – waiting"
    assert invitations.status(invited.user, invited.invitation, now + timedelta(hours=73)) == "Invitation expired"
    assert set(invitations.waiting(db)) == {invited.user.id}
    invited.user.active = False
    assert invitations.status(invited.user, invited.invitation, now) == "Deactivated"


@pytest.mark.parametrize(
    ("moment", "words"),
    [
        (datetime(2026, 11, 23, 15, 15, tzinfo=UTC), "3:15pm on 23 November 2026"),
        (datetime(2026, 6, 1, 11, 0, tzinfo=UTC), "midday on 1 June 2026"),  # British Summer Time
        (datetime(2026, 1, 5, 0, 0, tzinfo=UTC), "midnight at the start of 5 January 2026"),
        (datetime(2026, 1, 5, 9, 5, tzinfo=UTC), "9:05am on 5 January 2026"),
    ],
)
def test_expiry_in_plain_words(moment, words):
    assert invitations.plain_time(moment) == words


# What admins change ---------------------------------------------------------------------------------------------


def test_the_last_active_admin_cannot_be_deactivated_or_lose_the_role(db, users):
    admin = users["admin"]
    with pytest.raises(Refused) as refused:
        user_admin.deactivate(db, admin, admin, seen_values=user_admin.seen(admin))
    assert refused.value.problems == [Problem("", LAST_ADMIN)]
    with pytest.raises(Refused) as refused:
        user_admin.change_role(db, admin, admin, role="lead", school_urn=None, seen_values=user_admin.seen(admin))
    assert refused.value.problems == [Problem("", LAST_ADMIN)]
    db.expire_all()
    assert (admin.active, admin.role, admin.session_version) == (True, "admin", 1)
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("user.%"))) == 0


@pytest.mark.parametrize("school_id", ["²", "9" * 5000, "99999999999"])
def test_a_forged_page_value_is_refused_as_a_stale_page(db, users, school_id):
    with pytest.raises(Refused) as refused:
        user_admin.deactivate(db, users["officer"], users["admin"], seen_values=f"officer:{school_id}:1")
    assert refused.value.problems == [Problem("", user_admin.STALE)]
    db.expire_all()
    assert users["officer"].active is True


def test_an_admin_deactivates_another_while_one_remains(db, users):
    second = users["lead"]
    user_admin.change_role(db, second, users["admin"], role="admin", school_urn=None, seen_values="lead::1")
    user_admin.deactivate(db, second, users["admin"], seen_values="admin::1")
    db.expire_all()
    assert (second.role, second.active, second.session_version) == ("admin", False, 3)
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "user.deactivated")).one()
    assert (event.before, event.after) == (
        {"role": "admin", "school_id": None, "active": True},
        {"role": "admin", "school_id": None, "active": False},
    )
    with pytest.raises(Refused):
        user_admin.deactivate(db, users["admin"], users["admin"], seen_values="admin::1")


def test_two_admins_removing_each_other_at_once_leave_one(app, db, users):
    user_admin.change_role(db, users["lead"], users["admin"], role="admin", school_urn=None, seen_values="lead::1")
    database = app.extensions["cme.database"]
    ids = (users["admin"].id, users["lead"].id)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def remove(actor_id, target_id):
        with database.session() as session:
            actor, target = session.get(User, actor_id), session.get(User, target_id)
            seen = user_admin.seen(target)
            start.wait()
            try:
                user_admin.deactivate(session, target, actor, seen_values=seen)
                outcomes.append("deactivated")
            except Refused as refused:
                outcomes.append(refused.problems[0].message)

    threads = [threading.Thread(target=remove, args=pair) for pair in (ids, ids[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == sorted(["deactivated", LAST_ADMIN])
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(User).where(User.role == "admin", User.active.is_(True))) == 1


def test_a_change_made_meanwhile_by_another_admin_is_not_overwritten(db, users):
    officer = users["officer"]
    shown = user_admin.seen(officer)
    user_admin.change_role(db, officer, users["admin"], role="lead", school_urn=None, seen_values=shown)
    with pytest.raises(Refused) as refused:
        user_admin.change_role(db, officer, users["admin"], role="manager", school_urn=None, seen_values=shown)
    assert refused.value.problems == [Problem("", STALE)]
    with pytest.raises(Refused):
        user_admin.deactivate(db, officer, users["admin"], seen_values=shown)
    db.expire_all()
    assert (officer.role, officer.active) == ("lead", True)


def test_a_school_user_made_staff_loses_the_school_and_the_reverse_needs_one(db, users, school):
    person = users["school"]
    user_admin.change_role(
        db, person, users["admin"], role="officer", school_urn="990101", seen_values=user_admin.seen(person)
    )
    db.expire_all()
    assert (person.role, person.school_id, person.session_version) == ("officer", None, 2)
    with pytest.raises(Refused) as refused:
        user_admin.change_role(
            db, person, users["admin"], role="school", school_urn="", seen_values=user_admin.seen(person)
        )
    assert refused.value.problems == [Problem("school_urn", "Enter the school's URN")]
    user_admin.change_role(
        db, person, users["admin"], role="school", school_urn="990102", seen_values=user_admin.seen(person)
    )
    db.expire_all()
    assert (person.role, person.school.urn, person.session_version) == ("school", 990102, 3)
    event = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.role_changed").order_by(AuditEvent.id.desc())
    ).first()
    assert (event.before, event.after) == (
        {"role": "officer", "school_id": None, "active": True},
        {"role": "school", "school_id": person.school_id, "active": True},
    )


def test_deactivating_an_invited_user_ends_their_link(db, users):
    invited = invite(db, users["admin"])
    user_admin.deactivate(db, invited.user, users["admin"], seen_values=user_admin.seen(invited.user))
    assert invitations.look_up(db, token_of(invited))[0] is LinkState.EXPIRED
    user_admin.reactivate(db, invited.user, users["admin"], seen_values=user_admin.seen(invited.user))
    assert invitations.look_up(db, token_of(invited))[0] is LinkState.EXPIRED
    assert invitations.look_up(db, token_of(invitations.resend(db, invited.user, users["admin"], SERVICE)))[0] is (
        LinkState.VALID
    )
