"""User management at /admin/: an admin invites someone, who follows the emailed link, chooses a password and signs
in; admins change roles and schools, deactivate and reactivate, reset two-factor sign-in; the last active
administrator stays; nobody else gets in."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shared.models import AuditEvent, Invitation, User
from shared.services.user_admin import LAST_ADMIN
from tests.conftest import csrf_token, error_summary, get_page, parse, sign_in, text_of
from webcommon.forms import STALE_PAGE

NEW_PASSWORD = "tangerine lighthouse percolator"


def invite(client, **answers):
    page = get_page(client, "/admin/invite")
    data = {"csrf_token": csrf_token(page), "name": "Nia Okafor", "email": "nia.okafor@northbridge.example"}
    data.update(answers)
    return client.post("/admin/invite", data=data)


def link_in(body: str) -> str:
    return re.search(r"https://cme\.northbridge\.example(/invitation/\S+)", body).group(1)


def emailed_link(mailbox, address: str) -> str:
    mailbox.wait_for(1)
    [email] = mailbox.to(address)
    return link_in(email.get_content())


def choose_password(client, path: str, password: str = NEW_PASSWORD, confirmation: str | None = None):
    page = get_page(client, path)
    return client.post(
        path,
        data={
            "csrf_token": csrf_token(page),
            "password": password,
            "confirmation": password if confirmation is None else confirmation,
        },
    )


def user_with(db, email: str) -> User:
    db.expire_all()
    return db.scalar(select(User).where(User.email == email))


@pytest.fixture
def admin(client, users):
    sign_in(client, "admin@northbridge.example")
    return client


def test_the_admin_invites_a_school_user_who_sets_a_password_and_signs_in(app, admin, db, users, school, mailbox):
    page = get_page(admin, "/admin/")
    assert text_of(page.find("a", href="/admin/invite")) == "Invite a user"
    response = invite(admin, role="school", school_urn="990101")
    person = user_with(db, "nia.okafor@northbridge.example")
    assert response.headers["Location"] == f"/admin/users/{person.id}"
    page = get_page(admin, response.headers["Location"])
    banner = text_of(page.find(class_="govuk-notification-banner"))
    assert banner.startswith("Success Invitation sent to nia.okafor@northbridge.example. The link works until ")
    details = {
        text_of(row.dt): text_of(row.dd) for row in page.find(id="details").find_all(class_="govuk-summary-list__row")
    }
    assert details["Role"] == "School user"
    assert details["School"] == "Millfield Primary School (URN 990101)"
    assert details["Status"] == "Invited – waiting"
    assert details["Last signed in"] == "Never"

    path = emailed_link(mailbox, "nia.okafor@northbridge.example")
    token = path.rsplit("/", 1)[1]
    assert db.scalars(select(Invitation.token_hash)).one() != token
    stranger = app.test_client()
    page = get_page(stranger, path)
    assert page.h1.get_text(strip=True) == "Choose your password"
    response = choose_password(stranger, path)
    assert response.headers["Location"] == "/sign-in"
    page = get_page(stranger, "/sign-in")
    assert "Your password is set" in text_of(page.find(class_="govuk-notification-banner"))
    assert sign_in(stranger, "nia.okafor@northbridge.example", NEW_PASSWORD).headers["Location"] == "/schools/"
    rows = {
        text_of(row.find("td")): text_of(row.find_all("td")[-1])
        for row in get_page(admin, "/admin/").find(id="users").tbody.find_all("tr")
    }
    assert rows["Nia Okafor"] == "Active"


def test_invited_staff_set_up_their_authenticator_at_their_first_sign_in(app, admin, db, users, mailbox):
    invite(admin, role="officer")
    path = emailed_link(mailbox, "nia.okafor@northbridge.example")
    newcomer = app.test_client()
    choose_password(newcomer, path)
    page = get_page(newcomer, "/sign-in")
    response = newcomer.post(
        "/sign-in",
        data={"csrf_token": csrf_token(page), "email": "nia.okafor@northbridge.example", "password": NEW_PASSWORD},
    )
    assert response.headers["Location"] == "/sign-in/set-up-two-factor"


def test_an_email_already_used_is_refused_keeping_the_answers(admin, db, users, mailbox):
    before = db.scalar(select(func.count()).select_from(User))
    response = invite(admin, email="Officer@Northbridge.example ", role="lead")
    assert response.status_code == 200
    page = parse(response)
    assert error_summary(page) == [("A user with this email address already exists", "#email")]
    assert page.title.get_text().startswith("Error: Invite a user")
    assert page.find(id="name")["value"] == "Nia Okafor"
    assert page.find("input", {"name": "role", "value": "lead"}).has_attr("checked")
    assert db.scalar(select(func.count()).select_from(User)) == before
    assert db.scalar(select(func.count()).select_from(Invitation)) == 0


def test_missing_answers_are_each_named(admin, users):
    page = parse(invite(admin, name="", email="", role="school", school_urn="123456"))
    assert error_summary(page) == [
        ("Enter the person's full name", "#name"),
        ("Enter an email address", "#email"),
        ("No school with URN 123456 is in the schools register", "#school_urn"),
    ]


def test_a_page_open_too_long_keeps_what_was_typed(admin, db, users):
    response = admin.post(
        "/admin/invite", data={"csrf_token": "stale", "name": "Nia Okafor", "email": "nia@northbridge.example"}
    )
    page = parse(response)
    assert error_summary(page) == [(STALE_PAGE, "#name")]
    assert page.find(id="email")["value"] == "nia@northbridge.example"
    assert db.scalar(select(func.count()).select_from(Invitation)) == 0


def test_an_expired_link_says_so_and_changes_nothing(app, admin, db, users, mailbox):
    invite(admin, role="manager")
    path = emailed_link(mailbox, "nia.okafor@northbridge.example")
    invitation = db.scalars(select(Invitation)).one()
    invitation.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    db.commit()
    hash_before = user_with(db, "nia.okafor@northbridge.example").password_hash
    visitor = app.test_client()
    page = get_page(visitor, path, status=410)
    assert page.h1.get_text(strip=True) == "This link has expired"
    assert "Ask your administrator to send you a new one" in text_of(page.main)
    response = visitor.post(path, data={"password": NEW_PASSWORD, "confirmation": NEW_PASSWORD})
    assert response.status_code == 410
    assert user_with(db, "nia.okafor@northbridge.example").password_hash == hash_before
    assert db.scalars(select(Invitation.used_at)).one() is None
    assert get_page(admin, "/admin/").find("td", string="Invitation expired") is not None


def test_a_used_link_says_so_and_an_unknown_one_is_not_right(app, admin, users, mailbox):
    invite(admin, role="manager")
    path = emailed_link(mailbox, "nia.okafor@northbridge.example")
    visitor = app.test_client()
    choose_password(visitor, path)
    page = get_page(visitor, path, status=410)
    assert page.h1.get_text(strip=True) == "This link has already been used"
    assert page.main.find("a", string="Sign in")["href"] == "/sign-in"
    page = get_page(visitor, "/invitation/" + "A" * 43, status=404)
    assert page.h1.get_text(strip=True) == "This link is not right"


def test_the_password_rules_and_the_confirmation_are_checked(app, admin, db, users, mailbox):
    invite(admin, role="manager")
    path = emailed_link(mailbox, "nia.okafor@northbridge.example")
    visitor = app.test_client()
    page = parse(choose_password(visitor, path, "too short"))
    assert error_summary(page) == [
        ("The password must be at least 12 characters, not counting spaces at either end", "#password")
    ]
    assert page.find(id="password").get("value") in (None, "")
    page = parse(choose_password(visitor, path, NEW_PASSWORD, NEW_PASSWORD + "!"))
    assert error_summary(page) == [
        ("The passwords do not match: enter the same password in both boxes", "#confirmation")
    ]
    assert db.scalars(select(Invitation.used_at)).one() is None


def test_the_admin_changes_a_role_and_the_person_signs_in_again(app, admin, db, users, school):
    officer = app.test_client()
    sign_in(officer, "officer@northbridge.example")
    person = users["officer"]
    page = get_page(admin, f"/admin/users/{person.id}/role")
    response = admin.post(
        f"/admin/users/{person.id}/role",
        data={
            "csrf_token": csrf_token(page),
            "role": "school",
            "school_urn": "990102",
            "seen": page.find("input", {"name": "seen"})["value"],
        },
    )
    assert response.headers["Location"] == f"/admin/users/{person.id}"
    person = user_with(db, "officer@northbridge.example")
    assert (person.role, person.school.urn) == ("school", 990102)
    assert officer.get("/staff/").headers["Location"].startswith("/sign-in")
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "user.role_changed")).one()
    assert (event.actor_id, event.before["role"], event.after["role"]) == (users["admin"].id, "officer", "school")


def test_a_role_change_on_a_page_another_admin_changed_meanwhile_is_refused(admin, db, users):
    person = users["manager"]
    page = get_page(admin, f"/admin/users/{person.id}/role")
    person.role = "lead"
    db.commit()
    response = admin.post(
        f"/admin/users/{person.id}/role",
        data={"csrf_token": csrf_token(page), "role": "officer", "seen": page.find("input", {"name": "seen"})["value"]},
    )
    assert error_summary(parse(response))[0][0].startswith("Someone else changed this user while you were looking")
    assert user_with(db, "manager@northbridge.example").role == "lead"


def confirm(client, url: str):
    page = get_page(client, url)
    return client.post(
        url, data={"csrf_token": csrf_token(page), "seen": page.find("input", {"name": "seen"})["value"]}
    )


def test_deactivating_ends_the_persons_sessions_and_reactivating_lets_them_back(app, admin, db, users):
    lead = app.test_client()
    sign_in(lead, "lead@northbridge.example")
    person = users["lead"]
    page = get_page(admin, f"/admin/users/{person.id}/deactivate")
    assert text_of(page.main.find("button", class_="govuk-button--warning")) == "Deactivate user"
    response = confirm(admin, f"/admin/users/{person.id}/deactivate")
    assert response.headers["Location"] == f"/admin/users/{person.id}"
    assert user_with(db, "lead@northbridge.example").active is False
    assert lead.get("/staff/").headers["Location"].startswith("/sign-in")
    assert sign_in(app.test_client(), "lead@northbridge.example").status_code == 200  # refused: page again
    assert get_page(admin, "/admin/").find("td", string="Deactivated") is not None
    confirm(admin, f"/admin/users/{person.id}/reactivate")
    assert user_with(db, "lead@northbridge.example").active is True
    assert sign_in(app.test_client(), "lead@northbridge.example").headers["Location"] == "/staff/"
    actions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == person.id, AuditEvent.action.like("user.%"))
    )
    assert list(actions) == ["user.deactivated", "user.reactivated"]


def test_resetting_two_factor_forgets_the_app_and_ends_sessions(app, admin, db, users):
    officer = app.test_client()
    sign_in(officer, "officer@northbridge.example")
    person = users["officer"]
    confirm(admin, f"/admin/users/{person.id}/reset-two-factor")
    person = user_with(db, "officer@northbridge.example")
    assert (person.totp_secret, person.totp_confirmed_at) == (None, None)
    assert officer.get("/staff/").headers["Location"].startswith("/sign-in")
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "user.two_factor_reset")).one()
    assert (event.before, event.after) == ({"two_factor_set_up": True}, {"two_factor_set_up": False})
    assert db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("%two_factor%"))).all() == [
        "user.two_factor_reset"
    ]  # one event for one reset


def test_the_last_active_admin_cannot_deactivate_themselves_or_stop_being_admin(admin, db, users):
    me = users["admin"]
    page = parse(confirm(admin, f"/admin/users/{me.id}/deactivate"))
    assert error_summary(page) == [(LAST_ADMIN, "#seen")]
    page = get_page(admin, f"/admin/users/{me.id}/role")
    page = parse(
        admin.post(
            f"/admin/users/{me.id}/role",
            data={
                "csrf_token": csrf_token(page),
                "role": "lead",
                "seen": page.find("input", {"name": "seen"})["value"],
            },
        )
    )
    assert error_summary(page)[0][0] == LAST_ADMIN
    me = user_with(db, "admin@northbridge.example")
    assert (me.role, me.active) == ("admin", True)


def test_resending_an_invitation_ends_the_first_link(app, admin, db, users, mailbox):
    invite(admin, role="officer")
    first = emailed_link(mailbox, "nia.okafor@northbridge.example")
    person = user_with(db, "nia.okafor@northbridge.example")
    confirm(admin, f"/admin/users/{person.id}/resend-invitation")
    mailbox.wait_for(2)
    second = link_in(mailbox.to("nia.okafor@northbridge.example")[1].get_content())
    visitor = app.test_client()
    assert get_page(visitor, first, status=410).h1.get_text(strip=True) == "This link has expired"
    assert get_page(visitor, second).h1.get_text(strip=True) == "Choose your password"


@pytest.mark.parametrize("role", ["officer", "lead", "manager", "school"])
def test_only_admins_get_in(app, users, role):
    client = app.test_client()
    sign_in(client, f"{role}@northbridge.example")
    target = users["officer"].id
    for url in ("/admin/", "/admin/invite", f"/admin/users/{target}", f"/admin/users/{target}/role"):
        assert client.get(url).status_code == 403, url
    for url in (f"/admin/users/{target}/deactivate", "/admin/invite"):
        assert client.post(url, data={"email": "x@northbridge.example", "role": "officer"}).status_code == 403
    with app.extensions["cme.database"].session() as session:
        assert session.scalar(select(func.count()).select_from(Invitation)) == 0
        assert session.get(User, target).active is True
