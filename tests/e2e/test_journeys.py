"""The service in a real browser, as its users meet it, with an axe-core scan of every page."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from portal.errors import PAGES, error_response
from tests.conftest import PASSWORD, ready_for_two_factor, security_code

axe = Axe()


def assert_accessible(page):
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()


def visit(person, path: str, heading: str):
    person.page.goto(path)
    assert person.page.locator("h1").inner_text().strip() == heading
    assert_accessible(person.page)


def sign_in(person, email: str, password: str = PASSWORD):
    """Sign in as a person would, typing the security code from an authenticator app for staff.

    As tests.conftest.sign_in: a staff user without an app gets TEST_TOTP_SECRET first, and their last used code is
    forgotten in the (shared) database, so that signing the same person in again within 30 seconds is not refused as
    a replayed code."""
    page = person.page
    secret = ready_for_two_factor(person.base_url.app, email)
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if secret is not None and page.url.endswith("/sign-in/two-factor"):
        page.get_by_label("Enter the security code from your authenticator app").fill(security_code(secret))
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()


def test_public_pages_are_accessible_with_the_council_look(person):
    for path, heading in [
        ("/", "Tell us about a child who may be missing education"),
        ("/accessibility", "Accessibility statement for the Children Missing Education service"),
        ("/privacy", "Privacy notice"),
        ("/cookies", "Cookies"),
        ("/sign-in", "Sign in"),
    ]:
        visit(person, path, heading)
    font = person.page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert font == "Arial, Helvetica, sans-serif"
    # GOV.UK Frontend's JavaScript ran under the CSP (its inline script has the nonce, the module is ours).
    assert "govuk-frontend-supported" in person.page.evaluate("document.body.className")
    assert person.problems == []


def test_the_404_page_is_accessible(person):
    visit(person, "/no-such-page", "Page not found")
    assert person.problems == [
        "console: Failed to load resource: the server responded with a status of 404 (NOT FOUND)"
    ]


def test_wrong_sign_in_details_use_the_error_summary_and_keep_the_email(person, users):
    sign_in(person, "officer@northbridge.example", "not the password")
    page = person.page
    assert page.title().startswith("Error: Sign in")
    summary = page.locator(".govuk-error-summary")
    assert summary.locator("a").all_inner_texts() == ["Enter a correct email address and password"]
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")
    summary.locator("a").click()
    assert page.evaluate("document.activeElement.id") == "email"
    assert page.get_by_label("Email address").input_value() == "officer@northbridge.example"
    assert_accessible(page)


def test_an_officer_signs_in_and_reads_the_dashboard(person, users):
    sign_in(person, "officer@northbridge.example")
    page = person.page
    page.wait_for_url(re.compile(r"/staff/$"))
    assert page.locator("h1").inner_text() == "Children Missing Education team"
    assert_accessible(page)
    page.get_by_role("link", name="Dashboard", exact=True).click()
    page.wait_for_selector("#figure-open-cases")
    assert page.locator("#figure-open-cases").inner_text() == "0"
    assert page.locator("h1").inner_text() == "Overview"
    page.wait_for_selector("#cases-by-status .main-svg")
    assert_accessible(page)
    assert person.problems == []


def test_an_admin_sees_the_users_page(person, users):
    sign_in(person, "admin@northbridge.example")
    person.page.wait_for_url(re.compile(r"/staff/$"))
    visit(person, "/admin/", "Users")
    assert person.page.locator("#users tbody tr").count() == 5


def test_a_school_user_sees_their_notices_and_is_refused_the_dashboard(person, users):
    sign_in(person, "school@northbridge.example")
    person.page.wait_for_url(re.compile(r"/schools/$"))
    assert_accessible(person.page)
    assert person.page.locator("h1").inner_text() == "Your school's notices"
    visit(person, "/dashboard/", "You do not have permission to see this page")
    person.page.get_by_role("button", name="Sign out").click()
    assert person.page.locator(".govuk-notification-banner").inner_text().strip().endswith("You have signed out")
    assert_accessible(person.page)
    person.page.goto("/schools/")
    assert person.page.locator("h1").inner_text() == "Sign in"


@pytest.mark.parametrize("status", [400, 403, 404, 405, 413, 429, 500, 503])
def test_every_error_page_is_accessible(person, app_for_rendering, status):
    with app_for_rendering.test_request_context("/"):
        html, _, _ = error_response(status)
    person.page.goto("/cookies")  # the page's own address, so its stylesheet and scripts load
    person.page.set_content(html, wait_until="load")
    assert person.page.locator("h1").inner_text() == PAGES[status][0]
    assert person.page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily") == (
        "Arial, Helvetica, sans-serif"
    )  # the stylesheet applied, so colours and contrast are really checked
    assert_accessible(person.page)


def test_the_public_pages_work_with_javascript_off(person_without_javascript):
    person = person_without_javascript
    for path, heading in [
        ("/", "Tell us about a child who may be missing education"),
        ("/privacy", "Privacy notice"),
        ("/accessibility", "Accessibility statement for the Children Missing Education service"),
        ("/cookies", "Cookies"),
    ]:
        person.page.goto(path)
        assert person.page.locator("h1").inner_text() == heading
    assert "js-enabled" not in (person.page.locator("body").get_attribute("class") or "")


def test_signing_in_works_with_javascript_off(person_without_javascript, users):
    # axe needs script, so these pages are scanned in the JavaScript tests above; here only behaviour counts.
    person = person_without_javascript
    sign_in(person, "manager@northbridge.example", "wrong password")
    assert person.page.title().startswith("Error: Sign in")
    assert person.page.get_by_label("Email address").input_value() == "manager@northbridge.example"
    sign_in(person, "manager@northbridge.example")
    person.page.wait_for_url(re.compile(r"/staff/$"))
    assert person.page.locator("h1").inner_text() == "Children Missing Education team"
