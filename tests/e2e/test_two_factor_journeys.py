"""Staff two-factor sign-in in a real browser: setting up an authenticator app from the page, and signing in with a
security code or a recovery code. axe finds nothing on any of the pages."""

from __future__ import annotations

import re

import pyotp
from playwright.sync_api import expect

from shared.services import two_factor
from shared.services import users as user_service
from tests.conftest import PASSWORD, TEST_TOTP_SECRET
from tests.e2e.accessibility import assert_accessible, wait_for_error_summary


def type_password(page, email: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_new_officer_sets_up_their_app_and_reaches_the_team_s_page(person, db, school):
    user_service.create_user(db, "newcomer@northbridge.example", "Nia Newcomer", "officer", PASSWORD)
    page = person.page
    type_password(page, "newcomer@northbridge.example")
    page.wait_for_url(re.compile(r"/sign-in/set-up-two-factor$"))
    assert page.locator("h1").inner_text() == "Set up your authenticator app"
    qr = page.get_by_role("img", name="QR code to add the Children missing education service to an authenticator app")
    assert qr.evaluate("image => image.complete && image.naturalWidth > 0")
    assert_accessible(page)

    # As someone whose phone cannot scan: the key typed into the app by hand.
    secret = page.locator("#secret-key").inner_text().replace(" ", "")
    page.get_by_label("Security code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(re.compile(r"/sign-in/recovery-codes$"))
    assert page.locator("h1").inner_text() == "Save your recovery codes"
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code) for code in codes)
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()  # a link drawn as a button

    page.wait_for_url(re.compile(r"/staff/$"))
    assert page.locator("h1").inner_text() == "Children Missing Education team"
    assert person.problems == []


def test_an_officer_mistypes_the_code_then_uses_a_recovery_code(person, users, db):
    codes = two_factor.new_recovery_codes(db, users["officer"])
    page = person.page
    type_password(page, "officer@northbridge.example")
    page.wait_for_url(re.compile(r"/sign-in/two-factor$"))
    assert_accessible(page)

    right = pyotp.TOTP(TEST_TOTP_SECRET).now()
    page.get_by_label("Enter the security code from your authenticator app").fill(
        "000000" if right != "000000" else "111111"
    )
    page.get_by_role("button", name="Continue").click()
    wait_for_error_summary(page)
    assert page.title().startswith("Error: Enter your security code")
    expect(page.locator(".govuk-error-summary a")).to_have_text(
        ["The security code is not correct. Enter the code your authenticator app shows now"]
    )
    assert_accessible(page)

    page.get_by_role("link", name="use a recovery code").click()
    page.wait_for_url(re.compile(r"/sign-in/recovery-code$"))
    assert page.locator("h1").inner_text() == "Enter a recovery code"
    assert_accessible(page)
    page.get_by_label("Enter a recovery code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(re.compile(r"/staff/$"))
    assert "You have 9 recovery codes left." in page.locator(".govuk-notification-banner").inner_text()
    assert_accessible(page)
    assert person.problems == []
