"""Staff sign in with a password and a security code: setting up the authenticator app, recovery codes, refusing
replayed codes, locking an account after repeated failures, and ending sessions left unused or open too long."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from portal.auth.two_factor_routes import WRONG_CODE, WRONG_RECOVERY_CODE
from shared.models import AuditEvent, RecoveryCode, User
from shared.services import two_factor
from shared.services import users as user_service
from tests.conftest import (
    PASSWORD,
    TEST_TOTP_SECRET,
    csrf_token,
    error_summary,
    get_page,
    parse,
    sign_in,
    text_of,
)

LOCKED = "You have tried to sign in too many times. Wait 15 minutes, then try again"
WRONG_DETAILS = "Enter a correct email address and password"
START = datetime(2026, 12, 3, 9, 0, 7, tzinfo=UTC)


@pytest.fixture
def clock(clock):
    """The clock stopped at START, moved on by hand."""
    clock.set(START)
    return clock


def post_password(client, email: str, password: str = PASSWORD, next_url: str = ""):
    page = get_page(client, "/sign-in" + next_url)
    return client.post(
        "/sign-in" + next_url, data={"csrf_token": csrf_token(page), "email": email, "password": password}
    )


def post_code(client, url: str, code: str):
    page = get_page(client, url)
    return client.post(url, data={"csrf_token": csrf_token(page), "code": code})


def code_at(when: datetime, secret: str = TEST_TOTP_SECRET) -> str:
    return pyotp.TOTP(secret).at(when)


def actions(db, user_id: int) -> list[str]:
    events = db.scalars(select(AuditEvent).where(AuditEvent.object_id == user_id).order_by(AuditEvent.id))
    return [event.action for event in events if event.object_type == "user"]


@pytest.fixture
def newcomer(db, school):
    """An officer who has never signed in, so has no authenticator app set up."""
    return user_service.create_user(db, "newcomer@northbridge.example", "Nia Newcomer", "officer", PASSWORD)


# Setting up the app -----------------------------------------------------------------------------------------------


def test_a_new_officer_sets_up_their_app_from_the_qr_page_and_is_shown_recovery_codes_once(client, db, newcomer):
    response = post_password(client, "newcomer@northbridge.example")
    assert (response.status_code, response.headers["Location"]) == (302, "/sign-in/set-up-two-factor")

    page = get_page(client, "/sign-in/set-up-two-factor")
    assert page.h1.get_text(strip=True) == "Set up your authenticator app"
    image = page.find("img")
    assert image["src"].startswith("data:image/svg+xml")
    assert image["alt"] == "QR code to add the Children missing education service to an authenticator app"
    key = page.find(id="secret-key").get_text()
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", key)
    secret = key.replace(" ", "")
    assert len(base64.b32decode(secret)) == 20  # 160 bits
    db.expire_all()
    assert db.get(User, newcomer.id).totp_secret == secret
    assert db.get(User, newcomer.id).totp_confirmed_at is None
    code_input = page.find("input", {"name": "code"})
    assert (code_input["autocomplete"], code_input["inputmode"]) == ("one-time-code", "numeric")
    assert page.find("label", {"for": "code"}).get_text(strip=True) == "Security code"
    # Reloading the page shows the same key, so an app that scanned it still works.
    assert get_page(client, "/sign-in/set-up-two-factor").find(id="secret-key").get_text() == key

    right = pyotp.TOTP(secret).now()
    wrong = "000000" if right != "000000" else "111111"
    response = post_code(client, "/sign-in/set-up-two-factor", wrong)
    page = parse(response)
    assert response.status_code == 200
    assert page.title.get_text(strip=True).startswith("Error: Set up your authenticator app")
    assert error_summary(page) == [(WRONG_CODE, "#code")]
    assert client.get("/staff/").status_code == 302  # not signed in yet

    response = post_code(client, "/sign-in/set-up-two-factor", "12345")
    assert error_summary(parse(response)) == [("The security code must be 6 digits", "#code")]

    response = post_code(client, "/sign-in/set-up-two-factor", f"{right[:3]} {right[3:]}")
    assert (response.status_code, response.headers["Location"]) == (302, "/sign-in/recovery-codes")
    page = get_page(client, "/sign-in/recovery-codes")
    assert page.h1.get_text(strip=True) == "Save your recovery codes"
    codes = [item.get_text(strip=True) for item in page.find(id="recovery-codes").find_all("li")]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code) for code in codes)
    assert page.find("a", string=re.compile("Continue"))["href"] == "/staff/"
    stored = db.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == newcomer.id)).all()
    # Only hashes are kept, of the code without its hyphen (as it may be typed).
    assert sorted(stored) == sorted(hashlib.sha256(code.replace("-", "").encode()).hexdigest() for code in codes)
    # Shown once: the page is not there a second time.
    response = client.get("/sign-in/recovery-codes")
    assert (response.status_code, response.headers["Location"]) == (302, "/staff/")
    assert get_page(client, "/staff/").h1.get_text(strip=True) == "Children Missing Education team"

    db.expire_all()
    assert db.get(User, newcomer.id).totp_confirmed_at is not None
    assert actions(db, newcomer.id)[-4:] == [
        "sign_in_failed",
        "two_factor_enrolled",
        "sign_in",
        "recovery_codes_made",
    ]


def test_someone_else_with_the_password_cannot_hand_the_officer_a_key_they_also_hold(app, client, db, newcomer):
    """Whoever opens the set-up page first, each sign-in sees its own key; only the last one shown can be set up,
    and only from the sign-in it was shown to."""
    intruder = app.test_client()
    post_password(intruder, "newcomer@northbridge.example")
    intruders_key = get_page(intruder, "/sign-in/set-up-two-factor").find(id="secret-key").get_text()
    post_password(client, "newcomer@northbridge.example")
    own_key = get_page(client, "/sign-in/set-up-two-factor").find(id="secret-key").get_text()
    assert own_key != intruders_key

    intruders_code = pyotp.TOTP(intruders_key.replace(" ", "")).now()
    response = post_code(intruder, "/sign-in/set-up-two-factor", intruders_code)
    assert error_summary(parse(response))[0] == (WRONG_CODE, "#code")
    db.expire_all()
    assert db.get(User, newcomer.id).totp_confirmed_at is None
    # The intruder's reload made yet another key, so the officer's page no longer matches: they are told, and
    # their own reload shows a key that works.
    assert error_summary(
        parse(post_code(client, "/sign-in/set-up-two-factor", pyotp.TOTP(own_key.replace(" ", "")).now()))
    )[0] == (WRONG_CODE, "#code")
    fresh_key = get_page(client, "/sign-in/set-up-two-factor").find(id="secret-key").get_text()
    response = post_code(client, "/sign-in/set-up-two-factor", pyotp.TOTP(fresh_key.replace(" ", "")).now())
    assert (response.status_code, response.headers["Location"]) == (302, "/sign-in/recovery-codes")


def test_the_recovery_codes_page_asked_again_with_an_old_cookie_makes_no_new_codes(client, db, newcomer):
    post_password(client, "newcomer@northbridge.example")
    key = get_page(client, "/sign-in/set-up-two-factor").find(id="secret-key").get_text().replace(" ", "")
    post_code(client, "/sign-in/set-up-two-factor", pyotp.TOTP(key).now())
    old_cookie = client.get_cookie("cme_session").value
    page = get_page(client, "/sign-in/recovery-codes")
    shown = [item.get_text(strip=True) for item in page.find(id="recovery-codes").find_all("li")]
    kept = sorted(db.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == newcomer.id)))

    client.set_cookie("cme_session", old_cookie)
    response = client.get("/sign-in/recovery-codes")
    assert (response.status_code, response.headers["Location"]) == (302, "/staff/")
    assert sorted(db.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == newcomer.id))) == kept
    assert len(shown) == 10


def test_one_code_sent_twice_at_once_signs_in_once(app, db, users, clock):
    """Two requests with the same code, each having read the user before either wrote: only one claims it."""
    users["officer"].totp_last_step = None
    db.commit()
    opened = app.extensions["cme.database"].sessionmaker
    first, second = opened(), opened()
    try:
        one, other = first.get(User, users["officer"].id), second.get(User, users["officer"].id)
        code = code_at(clock.now)
        assert [two_factor.accept_code(first, one, code), two_factor.accept_code(second, other, code)] == [True, False]
    finally:
        first.close()
        second.close()


def test_an_enrolled_officer_is_asked_for_a_code_not_shown_the_qr_page_again(client, users):
    response = post_password(client, "officer@northbridge.example")
    assert response.headers["Location"] == "/sign-in/two-factor"
    response = client.get("/sign-in/set-up-two-factor")
    assert (response.status_code, response.headers["Location"]) == (302, "/sign-in/two-factor")
    page = get_page(client, "/sign-in/two-factor")
    label = page.find("label", {"for": "code"})
    assert label.parent.name == "h1"
    assert text_of(page.h1) == "Enter the security code from your authenticator app"
    code_input = page.find("input", {"name": "code"})
    assert (code_input["autocomplete"], code_input["inputmode"]) == ("one-time-code", "numeric")
    assert page.find("a", string="use a recovery code")["href"] == "/sign-in/recovery-code"


def test_school_users_need_no_security_code(client, users):
    response = post_password(client, "school@northbridge.example")
    assert (response.status_code, response.headers["Location"]) == (302, "/schools/")
    assert client.get("/schools/").status_code == 200


@pytest.mark.parametrize("role", ["officer", "lead", "manager", "admin"])
def test_every_staff_role_needs_a_security_code(client, users, role):
    response = post_password(client, f"{role}@northbridge.example")
    assert response.headers["Location"] == "/sign-in/two-factor"


# Codes --------------------------------------------------------------------------------------------------------


def test_a_code_works_once_and_the_next_one_after_it(client, app, users, db, clock):
    assert sign_in(client, "officer@northbridge.example").headers["Location"] == "/staff/"
    used = code_at(clock.now)
    client.post("/sign-out", data={"csrf_token": csrf_token(get_page(client, "/sign-out"))})

    post_password(client, "officer@northbridge.example")
    response = post_code(client, "/sign-in/two-factor", used)  # seen over a shoulder, typed again
    assert error_summary(parse(response)) == [(WRONG_CODE, "#code")]
    # A code from the step before the one used is older still: refused too.
    response = post_code(client, "/sign-in/two-factor", code_at(clock.now - timedelta(seconds=30)))
    assert error_summary(parse(response)) == [(WRONG_CODE, "#code")]
    clock.advance(seconds=30)
    response = post_code(client, "/sign-in/two-factor", code_at(clock.now))
    assert (response.status_code, response.headers["Location"]) == (302, "/staff/")


def test_a_code_from_the_step_either_side_is_accepted(client, users, clock):
    post_password(client, "officer@northbridge.example")
    response = post_code(client, "/sign-in/two-factor", code_at(clock.now + timedelta(seconds=30)))
    assert response.headers["Location"] == "/staff/"


def test_a_code_two_steps_old_is_refused(client, users, clock):
    post_password(client, "officer@northbridge.example")
    response = post_code(client, "/sign-in/two-factor", code_at(clock.now - timedelta(seconds=60)))
    assert error_summary(parse(response)) == [(WRONG_CODE, "#code")]


def test_a_recovery_code_signs_in_once(client, users, db):
    codes = two_factor.new_recovery_codes(db, users["officer"])
    post_password(client, "officer@northbridge.example")
    page = get_page(client, "/sign-in/recovery-code")
    assert text_of(page.h1) == "Enter a recovery code"
    response = post_code(client, "/sign-in/recovery-code", f"  {codes[3].upper()} ")
    assert (response.status_code, response.headers["Location"]) == (302, "/staff/")
    assert "You have 9 recovery codes left." in text_of(get_page(client, "/staff/"))
    client.post("/sign-out", data={"csrf_token": csrf_token(get_page(client, "/sign-out"))})

    post_password(client, "officer@northbridge.example")
    response = post_code(client, "/sign-in/recovery-code", codes[3])
    page = parse(response)
    assert page.title.get_text(strip=True).startswith("Error: Enter a recovery code")
    assert error_summary(page) == [(WRONG_RECOVERY_CODE, "#code")]
    assert client.get("/staff/").status_code == 302
    assert actions(db, users["officer"].id).count("recovery_code_used") == 1


def test_a_pending_sign_in_reaches_no_staff_page_and_no_dashboard(client, users):
    post_password(client, "manager@northbridge.example")
    assert client.get("/staff/").headers["Location"] == "/sign-in?next=%2Fstaff%2F"
    assert client.get("/dashboard/").headers["Location"] == "/sign-in?next=%2Fdashboard%2F"
    assert client.get("/dashboard/_dash-layout").status_code == 401
    assert client.get("/sign-in/recovery-codes").headers["Location"] == "/sign-in"


def test_a_pending_sign_in_expires_after_10_minutes(client, users, clock):
    post_password(client, "officer@northbridge.example")
    clock.advance(minutes=10, seconds=1)
    response = client.get("/sign-in/two-factor")
    assert (response.status_code, response.headers["Location"]) == (302, "/sign-in")
    assert "Your sign-in took too long or has ended. Enter your email address and password again" in text_of(
        get_page(client, "/sign-in")
    )


def test_a_code_page_without_a_password_sends_to_sign_in(client, users):
    for url in ("/sign-in/two-factor", "/sign-in/recovery-code", "/sign-in/set-up-two-factor"):
        assert client.get(url).headers["Location"] == "/sign-in"


def test_the_next_page_asked_for_is_kept_through_the_code(client, users):
    post_password(client, "manager@northbridge.example", next_url="?next=/dashboard/")
    response = post_code(client, "/sign-in/two-factor", code_at(datetime.now(UTC)))
    assert response.headers["Location"] == "/dashboard/"


# Lockout ------------------------------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_for_15_minutes(client, users, db, clock):
    messages = [
        error_summary(parse(post_password(client, "officer@northbridge.example", "wrong password"))) for _ in range(5)
    ]
    assert messages == [[(WRONG_DETAILS, "#email")]] * 4 + [[(LOCKED, "#email")]]
    # Locked: even the right password is refused, with the same message.
    assert error_summary(parse(post_password(client, "officer@northbridge.example"))) == [(LOCKED, "#email")]
    clock.advance(minutes=14, seconds=59)
    assert error_summary(parse(post_password(client, "officer@northbridge.example"))) == [(LOCKED, "#email")]
    clock.advance(seconds=2)
    assert post_password(client, "officer@northbridge.example").headers["Location"] == "/sign-in/two-factor"
    assert actions(db, users["officer"].id).count("locked") == 1
    assert actions(db, users["officer"].id).count("sign_in_failed") == 5


def test_the_count_of_failures_lasts_one_lockout_period_as_an_unknown_address_s_does(client, users, db, clock):
    """Four wrong passwords, a wait of more than 15 minutes, then one more: not locked, as for an address with no
    account; the count starts again from that one."""
    for _ in range(4):
        post_password(client, "officer@northbridge.example", "wrong password")
    clock.advance(minutes=15, seconds=1)
    messages = [
        error_summary(parse(post_password(client, "officer@northbridge.example", "wrong password"))) for _ in range(5)
    ]
    assert messages == [[(WRONG_DETAILS, "#email")]] * 4 + [[(LOCKED, "#email")]]


def test_an_unknown_email_gets_the_same_messages_as_a_known_one(client, users):
    messages = [
        error_summary(parse(post_password(client, "nobody@northbridge.example", "wrong password"))) for _ in range(6)
    ]
    assert messages == [[(WRONG_DETAILS, "#email")]] * 4 + [[(LOCKED, "#email")]] * 2


def test_a_school_user_is_locked_out_too(client, users):
    for _ in range(5):
        post_password(client, "school@northbridge.example", "wrong password")
    assert error_summary(parse(post_password(client, "school@northbridge.example"))) == [(LOCKED, "#email")]


def test_wrong_codes_count_towards_the_lockout_with_wrong_passwords(client, users, clock):
    for _ in range(2):
        post_password(client, "officer@northbridge.example", "wrong password")
    post_password(client, "officer@northbridge.example")
    wrong = "000000" if code_at(clock.now) != "000000" else "111111"
    responses = [post_code(client, "/sign-in/two-factor", wrong) for _ in range(3)]
    assert [error_summary(parse(r)) for r in responses[:2]] == [[(WRONG_CODE, "#code")]] * 2
    assert (responses[2].status_code, responses[2].headers["Location"]) == (302, "/sign-in")
    assert LOCKED in text_of(get_page(client, "/sign-in"))
    assert client.get("/sign-in/two-factor").headers["Location"] == "/sign-in"  # the pending sign-in has ended
    assert error_summary(parse(post_password(client, "officer@northbridge.example"))) == [(LOCKED, "#email")]


def test_an_account_locked_while_the_code_is_awaited_takes_no_code(app, client, users):
    post_password(client, "officer@northbridge.example")
    token = csrf_token(get_page(client, "/sign-in/two-factor"))
    elsewhere = app.test_client()
    for _ in range(5):
        post_password(elsewhere, "officer@northbridge.example", "wrong password")
    right = code_at(datetime.now(UTC))
    response = client.post("/sign-in/two-factor", data={"csrf_token": token, "code": right})
    assert (response.status_code, response.headers["Location"]) == (302, "/sign-in")
    assert LOCKED in text_of(get_page(client, "/sign-in"))
    assert client.get("/staff/").status_code == 302


def test_signing_in_starts_the_count_again(client, users, db):
    for _ in range(4):
        post_password(client, "officer@northbridge.example", "wrong password")
    assert sign_in(client, "officer@northbridge.example").headers["Location"] == "/staff/"
    db.expire_all()
    assert db.get(User, users["officer"].id).failed_sign_ins == 0
    client.post("/sign-out", data={"csrf_token": csrf_token(get_page(client, "/sign-out"))})
    messages = [
        error_summary(parse(post_password(client, "officer@northbridge.example", "wrong password"))) for _ in range(4)
    ]
    assert messages == [[(WRONG_DETAILS, "#email")]] * 4


def test_the_right_password_alone_does_not_start_the_count_again(client, users, db):
    """Otherwise someone who knows the password could guess codes four at a time for ever."""
    for _ in range(4):
        post_password(client, "officer@northbridge.example", "wrong password")
    post_password(client, "officer@northbridge.example")
    db.expire_all()
    assert db.get(User, users["officer"].id).failed_sign_ins == 4


# Session timeouts -----------------------------------------------------------------------------------------------


def test_a_session_unused_for_30_minutes_ends(client, users, clock):
    sign_in(client, "officer@northbridge.example")
    clock.advance(minutes=29)
    assert client.get("/staff/").status_code == 200
    clock.advance(minutes=29)  # 58 minutes after sign-in, but only 29 unused
    assert client.get("/staff/").status_code == 200
    clock.advance(minutes=30, seconds=1)
    response = client.get("/staff/my-cases")
    assert (response.status_code, response.headers["Location"]) == (302, "/sign-in?next=%2Fstaff%2Fmy-cases")
    page = get_page(client, "/sign-in")
    assert "You were signed out because you had not used the service for 30 minutes" in text_of(page)
    assert client.get("/staff/").headers["Location"] == "/sign-in?next=%2Fstaff%2F"


def test_a_session_ends_12_hours_after_sign_in_however_much_it_is_used(client, users, clock):
    sign_in(client, "officer@northbridge.example")
    for _ in range(47):  # every 15 minutes for 11 hours 45 minutes
        clock.advance(minutes=15)
        assert client.get("/staff/").status_code == 200
    clock.advance(minutes=15, seconds=1)
    assert client.get("/staff/").headers["Location"] == "/sign-in?next=%2Fstaff%2F"
    assert "You were signed out because you had been signed in for 12 hours" in text_of(get_page(client, "/sign-in"))


def test_the_dashboard_s_own_requests_get_401_once_the_session_has_ended(client, users, clock):
    sign_in(client, "manager@northbridge.example")
    assert client.get("/dashboard/_dash-layout").status_code == 200
    clock.advance(minutes=31)
    response = client.get("/dashboard/_dash-layout")
    assert (response.status_code, response.get_json()) == (401, {"error": "Sign in to use the dashboard"})
    # signed-out.js then opens the sign-in page, which says why.
    assert "You were signed out because you had not used the service for 30 minutes" in text_of(
        get_page(client, "/sign-in?next=%2Fdashboard%2F")
    )


def test_timeouts_come_from_the_settings(database_url, users, clock):
    from tests.conftest import make_app

    app = make_app(database_url, SESSION_IDLE_TIMEOUT=timedelta(minutes=5))
    client = app.test_client()
    sign_in(client, "officer@northbridge.example")
    clock.advance(minutes=5, seconds=1)
    assert client.get("/staff/").status_code == 302
    assert "because you had not used the service for 5 minutes" in text_of(get_page(client, "/sign-in"))
    app.extensions["cme.database"].dispose()


def test_the_session_cookie_is_http_only_and_same_site(client, users):
    sign_in(client, "school@northbridge.example")
    cookie = client.get_cookie("cme_session")
    assert (cookie.http_only, cookie.same_site) == (True, "Lax")


def test_default_settings(app):
    assert (
        app.config["SIGN_IN_LOCKOUT_ATTEMPTS"],
        app.config["SIGN_IN_LOCKOUT_PERIOD"],
        app.config["SIGN_IN_PENDING_PERIOD"],
        app.config["SESSION_IDLE_TIMEOUT"],
        app.config["SESSION_ABSOLUTE_TIMEOUT"],
    ) == (5, timedelta(minutes=15), timedelta(minutes=10), timedelta(minutes=30), timedelta(hours=12))


# Passwords ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password1234", "The password is one that many people use, so it is easy to guess: choose a different one"),
        ("Liverpool2026!!", "The password is one that many people use, so it is easy to guess: choose a different one"),
        ("iloveyou iloveyou", None),
        ("Priya-Sharma-likes-tea", "The password must not contain the person's name or email address"),
        ("my psharma password", "The password must not contain the person's name or email address"),
        ("short", "The password must be at least 12 characters, not counting spaces at either end"),
        ("x" * 201, "The password must be 200 characters or fewer"),
        ("x" * 200, None),
        (PASSWORD, None),
    ],
)
def test_passwords_that_are_common_or_personal_are_refused(db, school, password, message):
    try:
        user_service.create_user(db, "psharma@northbridge.example", "Priya Sharma", "officer", password)
        refused = None
    except user_service.UserError as error:
        refused = str(error)
    assert refused == message
    assert db.scalar(select(func.count()).select_from(User)) == (0 if message else 1)


# The command line ---------------------------------------------------------------------------------------------


def test_an_administrator_resets_a_lost_app_from_the_command_line(app, users, db):
    two_factor.new_recovery_codes(db, users["officer"])
    result = app.test_cli_runner().invoke(args=["users", "reset-two-factor", "Officer@northbridge.example"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Two-factor sign-in reset for officer@northbridge.example: they set up their authenticator app again "
        "when they next sign in.\n"
    )
    db.expire_all()
    officer = db.get(User, users["officer"].id)
    assert (officer.totp_secret, officer.totp_confirmed_at) == (None, None)
    assert db.scalar(select(func.count()).select_from(RecoveryCode)) == 0
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "two_factor_reset"))
    assert (event.object_id, event.actor_label) == (officer.id, "command line")
    client = app.test_client()
    assert post_password(client, "officer@northbridge.example").headers["Location"] == "/sign-in/set-up-two-factor"


def test_resetting_an_unknown_or_school_user_says_so(app, users):
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["users", "reset-two-factor", "nobody@northbridge.example"])
    assert (unknown.exit_code, unknown.output) == (1, "Error: No user has the email nobody@northbridge.example\n")
    school = runner.invoke(args=["users", "reset-two-factor", "school@northbridge.example"])
    assert (school.exit_code, school.output) == (
        1,
        "Error: school@northbridge.example is a school user: school users sign in without two-factor\n",
    )
