"""A school user extends and ends a part-time timetable, then makes the term's return, in Chromium; every page
passes axe."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from shared.domain.notices import check_notice
from shared.models import PartTimeTimetable, TimetableReturn
from shared.services.notices import send_notices
from tests.e2e.accessibility import ERROR_TITLE, assert_accessible
from tests.e2e.test_journeys import sign_in

TODAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)


def fill_date(page, legend: str, day: date) -> None:
    group = page.get_by_role("group", name=legend)
    for label, value in zip(("Day", "Month", "Year"), (day.day, day.month, day.year), strict=True):
        group.get_by_label(label, exact=True).fill(str(value))


def errors_have_focus(page) -> None:
    expect(page).to_have_title(ERROR_TITLE)
    # GOV.UK Frontend moves focus to the error summary once its script has run.
    expect(page.locator(".govuk-error-summary")).to_be_focused()


@pytest.fixture
def amy(db, school, users, clock):
    """Amy's part-time timetable, started by a notice; the service's day is Monday 7 December 2026."""
    clock.set(NOW)
    raw = {
        "kind": "part_time",
        "first_name": "Amy",
        "last_name": "Lee",
        "date_of_birth": "2015-10-01",
        "event_date": "2026-11-02",
        "hours_per_week": "12.5",
        "reason": "Anxiety after a long illness",
        "review_date": "2026-12-14",
        "agreed_with_parents": "yes",
    }
    checked, problems = check_notice(raw, TODAY)
    assert problems == []
    send_notices(db, school, users["school"], [checked], NOW, TODAY, lambda day, n: day, "https://cme.example")
    return db.scalars(select(PartTimeTimetable)).one()


def test_a_school_extends_then_ends_a_timetable_and_makes_its_return(person, live_server, amy):
    page = person.page
    sign_in(person, "school@northbridge.example")
    page.goto("/schools/part-time-timetables")
    assert page.locator("h1").inner_text() == "Part-time timetables"
    assert_accessible(page)

    page.get_by_role("link", name="Amy Lee").click()
    assert page.locator("h1").inner_text() == "Amy Lee"
    assert_accessible(page)

    page.get_by_role("button", name="Extend the timetable").click()
    assert page.locator("h1").inner_text() == "Extend the part-time timetable"
    assert_accessible(page)
    fill_date(page, "New review date", date(2026, 12, 1))
    page.get_by_label("Why is the timetable being extended?").fill("Good progress: two more mornings from January")
    page.get_by_role("button", name="Extend the timetable").click()
    errors_have_focus(page)
    expect(page.locator(".govuk-error-summary a")).to_have_text(
        ["New review date must be after the current review date, 14 December 2026"]
    )
    assert_accessible(page)
    fill_date(page, "New review date", date(2027, 2, 1))
    page.get_by_role("button", name="Extend the timetable").click()
    assert (
        page.locator(".govuk-notification-banner")
        .inner_text()
        .endswith("Part-time timetable extended: the next review is on 1 February 2027")
    )
    assert_accessible(page)

    page.get_by_role("button", name="End the timetable", exact=True).click()
    assert page.locator("h1").inner_text() == "End the part-time timetable"
    assert_accessible(page)
    fill_date(page, "When did the part-time timetable end?", TODAY)
    page.get_by_label("Back to full-time at the school").check()
    page.get_by_role("button", name="Continue").click()
    assert page.locator("h1").inner_text() == "Check before you end the part-time timetable"
    assert_accessible(page)
    page.get_by_role("button", name="End the part-time timetable").click()
    assert page.locator(".govuk-notification-banner").inner_text().endswith("Part-time timetable ended")
    assert page.get_by_role("button", name="Update the timetable").count() == 0
    assert (
        page.locator("#history > li")
        .all_inner_texts()[0]
        .startswith("Ended on 7 December 2026, 10:30am by Test School")
    )
    assert_accessible(page)

    page.get_by_role("link", name="Part-time timetables").first.click()
    page.get_by_role("button", name="Make the return").click()
    assert page.locator("h1").inner_text() == "Part-time timetable return"
    assert_accessible(page)
    page.get_by_role("button", name="Make a nil return").click()
    errors_have_focus(page)
    assert_accessible(page)
    page.get_by_label("I confirm no pupils at Millfield Primary School are on a part-time timetable").check()
    page.get_by_role("button", name="Make a nil return").click()
    assert page.locator(".govuk-panel").inner_text().split("\n") == ["Return made", "Autumn term 2026: nil return"]
    assert_accessible(page)

    with live_server.app.extensions["cme.database"].session() as session:
        timetable = session.scalars(select(PartTimeTimetable)).one()
        made = session.scalars(select(TimetableReturn)).one()
    assert (timetable.status, timetable.ended_on, timetable.review_date) == ("ended", TODAY, date(2027, 2, 1))
    assert (made.term, made.nil_return, made.submitted_at) == ("2026-autumn", True, NOW)
    assert person.problems == []
