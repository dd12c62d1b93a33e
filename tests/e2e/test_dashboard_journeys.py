"""The dashboard in a real browser: the CME lead filters the overview by keyboard-usable controls, the filters go
into the URL and follow the lead from page to page, the overdue table sorts and searches, a school is found and
chosen, a bookmarked URL with a school that does not exist says why, and a session that ends while the dashboard is
open leads to the sign-in page. axe finds nothing on any of them."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.dashboard.test_dashboard import work  # noqa: F401  (the fixture)
from tests.e2e.accessibility import assert_accessible
from tests.e2e.test_journeys import sign_in


def wait_for_address(page, pattern: str, timeout: float = 10) -> str:
    """The address once it matches. Dash moves it with history.pushState, which Playwright's own URL tracking
    does not always see, so the browser's location is read."""
    deadline = time.monotonic() + timeout
    while True:
        address = page.evaluate("window.location.pathname + window.location.search")
        if re.search(pattern, address) or time.monotonic() > deadline:
            assert re.search(pattern, address), address
            return address
        time.sleep(0.05)


def test_the_lead_filters_sorts_and_searches_the_dashboard(person, live_server, users, work):  # noqa: F811
    page = person.page
    sign_in(person, "lead@northbridge.example")
    page.wait_for_url(re.compile(r"/staff/$"))
    page.goto("/dashboard/")
    expect(page.locator("#page h1")).to_have_text("Overview", timeout=20_000)
    expect(page.locator("#figure-open-cases")).to_have_text("4")
    assert_accessible(page)

    # An officer chosen by their label, then applied: the URL holds them and the figures follow.
    page.get_by_role("radio", name="Test Officer").check()
    page.get_by_role("button", name="Apply filters").click()
    wait_for_address(page, rf"officer={users['officer'].id}")
    expect(page.locator("#figure-open-cases")).to_have_text("2")
    expect(page.locator("#figure-overdue-checks")).to_have_text("1")

    # The filters go with the lead to another page.
    page.get_by_role("link", name="Overdue enquiries").click()
    wait_for_address(page, rf"/dashboard/overdue\?officer={users['officer'].id}$")
    expect(page.locator("#page h1")).to_have_text("Overdue enquiries")
    expect(page.locator("#overdue-checks-count")).to_have_text("1 overdue checks.")
    page.get_by_role("link", name="Clear filters").click()
    expect(page.locator("#overdue-checks-count")).to_have_text("2 overdue checks.")
    assert_accessible(page)

    # Sorted by the due date, latest first, from its heading; then searched.
    rows = page.locator("table:has(caption:text('Overdue checks')) tbody tr td:first-child")
    assert rows.all_inner_texts() == ["CS-TEST-003", "CS-TEST-002"]
    page.get_by_role("link", name="Due", exact=True).click()
    wait_for_address(page, r"order=asc&sort=due_on")
    expect(page.locator("th[aria-sort=ascending]")).to_have_text("Due")
    expect(rows).to_have_text(["CS-TEST-003", "CS-TEST-002"])
    page.get_by_role("link", name="Due", exact=True).click()
    wait_for_address(page, r"order=desc")
    # Each sort redraws the page: its heading's aria-sort says the new table (and search box) is there.
    expect(page.locator("th[aria-sort=descending]")).to_have_text("Due")
    expect(rows).to_have_text(["CS-TEST-002", "CS-TEST-003"])
    page.get_by_role("link", name="Case", exact=True).click()
    wait_for_address(page, r"order=asc&sort=case")
    expect(page.locator("th[aria-sort=ascending]")).to_have_text("Case")
    expect(rows).to_have_text(["CS-TEST-002", "CS-TEST-003"])
    page.get_by_label("Search the tables").fill("health")
    page.get_by_role("button", name="Search", exact=True).click()
    wait_for_address(page, r"q=health")
    expect(page.locator("#overdue-checks-count")).to_have_text("1 overdue checks match the search.")
    assert_accessible(page)

    # A school found by part of its name and chosen.
    page.get_by_text("Choose schools").click()
    page.get_by_label("Find a school").fill("mill")
    page.get_by_label("Find a school").press("Enter")
    expect(page.locator("#filter-school label")).to_have_text(["Millfield Primary School (990101)"])
    page.get_by_role("checkbox", name="Millfield Primary School (990101)").check()
    page.get_by_role("button", name="Apply filters").click()
    wait_for_address(page, r"school=990101")
    expect(page.get_by_role("link", name="Overview")).to_have_attribute("href", re.compile(r"school=990101"))
    page.get_by_role("link", name="Overview").click()
    expect(page.locator("#figure-open-cases")).to_have_text("1")
    assert_accessible(page)

    # A figure counted elsewhere in the service leads there.
    page.get_by_role("link", name=re.compile("Waiting in the intake queue")).click()
    page.wait_for_url(re.compile(r"/staff/intake$"))
    expect(page.locator("h1")).to_have_text("Intake queue")
    assert person.problems == []


def test_a_bookmark_that_cannot_be_used_says_why_and_an_ended_session_leads_to_sign_in(person, live_server, users):
    page = person.page
    sign_in(person, "manager@northbridge.example")
    page.wait_for_url(re.compile(r"/staff/$"))
    page.goto("/dashboard/caseloads?school=123456")
    expect(page.locator(".govuk-error-summary")).to_contain_text("No school with URN 123456 is in the schools register")
    expect(page.locator("#page h1")).to_have_text("Caseloads")
    assert_accessible(page)

    # Signed out elsewhere: the next thing the dashboard asks for is refused, and the person is sent to sign in.
    person.context.clear_cookies()
    page.get_by_role("link", name="Attendance trends").click()
    page.wait_for_url(re.compile(r"/sign-in\?next=%2Fdashboard%2Fattendance"))
    expect(page.locator("h1")).to_have_text("Sign in")
    # The refused request is the only thing the browser reported.
    assert [problem for problem in person.problems if "401" not in problem] == []
