"""A whole case in the browser, from a referral to its closure: the officer triages the referral into a new case,
the lead assigns it, the officer records a check, starts enquiries and closes the case with an outcome. Every
page passes axe."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from shared.clock import uk_today
from shared.models import Case
from tests.e2e.accessibility import ERROR_TITLE, assert_accessible
from tests.e2e.test_journeys import sign_in
from tests.shared.test_intake import a_referral

TODAY = uk_today()


def fill_date(page, legend: str, day) -> None:
    group = page.get_by_role("group", name=legend)
    for label, value in zip(("Day", "Month", "Year"), (day.day, day.month, day.year), strict=True):
        group.get_by_label(label, exact=True).fill(str(value))


def sign_out(person) -> None:
    person.page.get_by_role("button", name="Sign out").click()


def test_a_referral_becomes_a_case_that_is_assigned_worked_and_closed(person, live_server, db, users, school):
    referral = a_referral(db)
    page = person.page

    sign_in(person, "officer@northbridge.example")
    page.get_by_role("link", name="Intake", exact=True).click()
    page.get_by_role("link", name=referral.reference).click()
    page.get_by_label("A new child", exact=True).check()
    page.get_by_label("Open a new case").check()
    page.get_by_role("button", name="Save the decision").click()
    case = db.scalar(select(Case))
    page.wait_for_url(re.compile(rf"/staff/cases/{case.reference}$"))
    sign_out(person)

    sign_in(person, "lead@northbridge.example")
    page.goto(f"/staff/cases/{case.reference}/assign")
    assert_accessible(page)
    page.get_by_label("Test Officer").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{case.reference}$"))
    page.get_by_role("link", name="Workload").click()
    assert_accessible(page)
    sign_out(person)

    sign_in(person, "officer@northbridge.example")
    page.get_by_role("link", name="My cases").click()
    assert page.locator("#my-cases tbody tr td").first.inner_text().strip() == case.reference
    assert_accessible(page)
    page.get_by_role("link", name=case.reference).click()

    page.goto(f"/staff/cases/{case.reference}/status")
    assert_accessible(page)
    page.get_by_label("Start making enquiries").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{case.reference}$"))
    assert page.locator(".govuk-notification-banner").inner_text().strip().endswith("Enquiries started")

    page.goto(f"/staff/cases/{case.reference}/close")
    assert_accessible(page)
    page.get_by_role("button", name="Close the case").click()
    expect(page).to_have_title(ERROR_TITLE)
    expect(page.locator(".govuk-error-summary__list li")).to_have_text(
        [
            "Select the outcome",
        ]
    )
    page.get_by_label("Moved to another local authority").check()
    page.get_by_label("Which local authority?").fill("Bristol City Council")
    fill_date(page, "When did it happen?", TODAY)
    page.get_by_label("Why can the case close with checks still open?").fill(
        "Bristol confirmed by phone that the child is on roll there"
    )
    assert_accessible(page)
    page.get_by_role("button", name="Close the case").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{case.reference}$"))
    assert (
        page.locator(".govuk-notification-banner")
        .inner_text()
        .strip()
        .endswith("Case closed: Moved to another local authority")
    )
    db.expire_all()
    closed = db.scalar(select(Case))
    assert (closed.status, closed.outcome, closed.assigned_to_id) == (
        "closed",
        "moved_to_other_la",
        users["officer"].id,
    )
    timeline = page.locator("main").inner_text()
    assert "Closed: moved to another local authority (Bristol City Council)" in timeline
    assert "Assigned to Test Officer" in timeline
    assert_accessible(page)
    assert person.problems == []
