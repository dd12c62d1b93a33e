"""Signing in and out, as each kind of user."""

import pytest
from sqlalchemy import select

from shared.models import AuditEvent, User
from tests.conftest import PASSWORD, csrf_token, error_summary, get_page, make_app, parse, sign_in
from webcommon.forms import STALE_PAGE


@pytest.mark.parametrize(
    ("role", "home", "heading"),
    [
        ("school", "/schools/", "Your school's notices"),
        ("officer", "/staff/", "Children Missing Education team"),
        ("lead", "/staff/", "Children Missing Education team"),
        ("manager", "/staff/", "Children Missing Education team"),
        ("admin", "/staff/", "Children Missing Education team"),
    ],
)
def test_each_role_signs_in_and_lands_on_its_home_page(client, users, role, home, heading):
    response = sign_in(client, f"{role}@northbridge.example")
    assert (response.status_code, response.headers["Location"]) == (302, home)
    page = get_page(client, home)
    assert page.h1.get_text(strip=True) == heading


def test_sign_in_is_recorded_in_the_audit_trail(client, users, db):
    sign_in(client, "officer@northbridge.example")
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "sign_in"))
    assert (event.actor_id, event.object_type) == (users["officer"].id, "user")
    db.expire_all()
    assert db.get(User, users["officer"].id).last_signed_in_at is not None


@pytest.mark.parametrize(
    ("email", "password"),
    [("officer@northbridge.example", "not the password"), ("nobody@northbridge.example", PASSWORD)],
)
def test_wrong_details_say_so_without_saying_which_part(client, users, email, password):
    response = sign_in(client, email, password)
    assert response.status_code == 200
    page = parse(response)
    assert page.title.get_text(strip=True).startswith("Error: Sign in")
    assert error_summary(page) == [("Enter a correct email address and password", "#email")]
    assert page.find("input", {"name": "email"})["value"] == email  # what was typed is kept
    assert not page.find("input", {"name": "password"}).get("value")  # the password is not sent back


def test_missing_answers_get_their_own_messages(client, users):
    page = get_page(client, "/sign-in")
    response = client.post("/sign-in", data={"csrf_token": csrf_token(page), "email": "", "password": ""})
    assert error_summary(parse(response)) == [
        ("Enter your email address", "#email"),
        ("Enter your password", "#password"),
    ]


def test_a_deactivated_user_cannot_sign_in(client, users, db):
    db.get(User, users["officer"].id).active = False
    db.commit()
    response = sign_in(client, "officer@northbridge.example")
    assert error_summary(parse(response)) == [("Enter a correct email address and password", "#email")]


def test_after_sign_in_the_user_goes_back_to_the_page_they_asked_for(client, users):
    response = client.get("/dashboard/")
    assert response.headers["Location"] == "/sign-in?next=%2Fdashboard%2F"
    response = sign_in(client, "manager@northbridge.example", next_url="/dashboard/")
    assert response.headers["Location"] == "/dashboard/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"])
def test_sign_in_never_redirects_off_the_site(client, users, target):
    response = sign_in(client, "officer@northbridge.example", next_url=target)
    assert response.headers["Location"] == "/staff/"


def test_sign_out_asks_then_ends_the_session_everywhere(client, users, app):
    sign_in(client, "officer@northbridge.example")
    stolen = client.get_cookie("cme_session").value  # a copy of the cookie, as if taken from the browser
    page = get_page(client, "/sign-out")  # a link cannot sign anyone out: it asks
    assert page.h1.get_text(strip=True) == "Sign out"
    assert client.get("/staff/").status_code == 200
    response = client.post("/sign-out", data={"csrf_token": csrf_token(page)})
    assert response.headers["Location"] == "/sign-in"
    assert "You have signed out" in client.get("/sign-in").get_data(as_text=True)
    assert client.get("/staff/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("cme_session", stolen)
    assert replay.get("/staff/").status_code == 302  # the copied cookie no longer signs anyone in


@pytest.mark.parametrize(("hours_later", "status"), [(11, 200), (13, 302)])
def test_a_session_lasts_at_most_12_hours(client, users, monkeypatch, hours_later, status):
    import time

    from itsdangerous import TimestampSigner

    sign_in(client, "officer@northbridge.example")
    later = int(time.time()) + hours_later * 3600
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    assert client.get("/staff/").status_code == status


def test_repeated_attempts_are_throttled_with_the_429_page(database_url, users):
    app = make_app(database_url, SIGN_IN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    responses = [sign_in(client, "officer@northbridge.example", "wrong password") for _ in range(4)]
    assert [response.status_code for response in responses] == [200, 200, 200, 429]
    assert parse(responses[-1]).h1.get_text(strip=True) == "Too many attempts"
    # Even the right password waits until the limit has passed.
    assert sign_in(client, "officer@northbridge.example").status_code == 429
    app.extensions["cme.database"].dispose()


def test_a_sign_in_without_a_valid_token_is_asked_again_keeping_the_email(client, users):
    response = client.post(
        "/sign-in", data={"email": "officer@northbridge.example", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 200
    page = parse(response)
    assert error_summary(page) == [(STALE_PAGE, "#email")]
    assert page.find("input", {"name": "email"})["value"] == "officer@northbridge.example"
    assert client.get("/staff/").status_code == 302  # not signed in
