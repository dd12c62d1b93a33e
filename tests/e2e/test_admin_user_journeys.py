"""An admin invites a school user in a real browser; the new user follows the emailed link, chooses a password and
signs in. axe-core checks every page on the way."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.accessibility import assert_accessible, wait_for_error_summary
from tests.e2e.conftest import Browsing
from tests.e2e.test_journeys import sign_in

NEW_PASSWORD = "tangerine lighthouse percolator"


def heading(page) -> str:
    return page.locator("h1").inner_text().strip()


def test_an_admin_invites_a_school_user_who_chooses_a_password_and_signs_in(
    browser, person, live_server, mailbox, users
):
    admin = person.page
    sign_in(person, "admin@northbridge.example")
    admin.goto("/admin/")
    assert heading(admin) == "Users"
    assert_accessible(admin)

    with admin.expect_navigation():
        admin.get_by_role("button", name="Invite a user").click()
    assert heading(admin) == "Invite a user"
    assert_accessible(admin)
    admin.get_by_label("Full name").fill("Nia Okafor")
    admin.get_by_label("Email address").fill("officer@northbridge.example")
    admin.get_by_label("School user").check()
    admin.get_by_label("School URN").fill("990101")
    assert_accessible(admin)
    with admin.expect_navigation():
        admin.get_by_role("button", name="Send invitation").click()
    wait_for_error_summary(admin)
    expect(admin.locator(".govuk-error-summary a")).to_have_text(["A user with this email address already exists"])
    assert admin.get_by_label("Full name").input_value() == "Nia Okafor"
    assert_accessible(admin)

    admin.get_by_label("Email address").fill("nia.okafor@northbridge.example")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Send invitation").click()
    assert heading(admin) == "Nia Okafor"
    banner = admin.locator(".govuk-notification-banner").inner_text()
    assert "Invitation sent to nia.okafor@northbridge.example" in banner
    assert_accessible(admin)

    [email] = mailbox.wait_for(1)
    assert email["To"] == "nia.okafor@northbridge.example"
    path = re.search(r"https://cme\.northbridge\.example(/invitation/\S+)", email.get_content()).group(1)

    newcomer = Browsing(browser, live_server)
    try:
        page = newcomer.page
        page.goto(path)
        assert heading(page) == "Choose your password"
        assert_accessible(page)
        page.get_by_label("Create a password").fill("too short")
        page.get_by_label("Confirm your password").fill("too short")
        with page.expect_navigation():
            page.get_by_role("button", name="Set password").click()
        wait_for_error_summary(page)
        expect(page.locator(".govuk-error-summary a")).to_have_text(
            ["The password must be at least 12 characters, not counting spaces at either end"]
        )
        assert_accessible(page)
        page.get_by_label("Create a password").fill(NEW_PASSWORD)
        page.get_by_label("Confirm your password").fill(NEW_PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Set password").click()
        assert heading(page) == "Sign in"
        assert "Your password is set" in page.locator(".govuk-notification-banner").inner_text()
        assert_accessible(page)

        sign_in(newcomer, "nia.okafor@northbridge.example", NEW_PASSWORD)
        assert heading(page) == "Your school's notices"
        assert_accessible(page)

        page.goto(path)
        assert heading(page) == "This link has already been used"
        assert_accessible(page)
    finally:
        newcomer.close()

    admin.goto("/admin/")
    row = admin.locator("#users tr", has_text="Nia Okafor")
    assert row.locator("td").last.inner_text().strip() == "Active"
