"""A school user sends notices in the browser; every page passes axe."""

from __future__ import annotations

from datetime import timedelta

from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from shared.clock import uk_today
from shared.models import SchoolNotice
from tests.e2e.test_journeys import sign_in

axe = Axe()
LAST_MONTH = uk_today() - timedelta(days=30)


def assert_accessible(page) -> None:
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()


def fill_date(page, legend: str, day) -> None:
    group = page.get_by_role("group", name=legend)
    for label, value in zip(("Day", "Month", "Year"), (day.day, day.month, day.year), strict=True):
        group.get_by_label(label, exact=True).fill(str(value))


def test_a_school_sends_a_removal_to_home_education(person, live_server, users):
    page = person.page
    sign_in(person, "school@northbridge.example")
    assert page.locator("h1").inner_text() == "Your school's notices"
    assert_accessible(page)
    page.get_by_role("button", name="Send a notice").click()
    assert_accessible(page)
    page.get_by_label("Pupil to be removed from the admission register").check()
    page.get_by_role("button", name="Continue").click()
    assert page.locator("h1").inner_text() == "Pupil to be removed from the admission register"

    page.get_by_role("button", name="Continue").click()  # nothing filled in: the errors, then fill in
    assert page.title().startswith("Error: ")
    # GOV.UK Frontend moves focus to the error summary once its script has run.
    page.wait_for_function("document.activeElement && document.activeElement.closest('.govuk-error-summary') !== null")
    assert_accessible(page)

    page.get_by_label("UPN (optional if the pupil has none)").fill("B801200005001")
    page.get_by_label("First name").fill("Amy")
    page.get_by_label("Last name").fill("Lee")
    fill_date(page, "Date of birth", LAST_MONTH.replace(year=LAST_MONTH.year - 11))
    page.get_by_label("Female").check()
    page.get_by_label("Home address").fill("1 Mill Road, Northbridge")
    page.get_by_label("Postcode").fill("NB1 1AA")
    page.get_by_label("Parents or carers the pupil lives with").fill("Jo Lee")
    page.get_by_label("Emergency phone number for a parent or carer").fill("07700 900123")
    fill_date(page, "Date of removal from the register", LAST_MONTH)
    page.get_by_label("f: Parent told the school in writing they will educate the child at home").check()
    page.get_by_label("No school to go to (for example home education, or the pupil has died)").check()
    page.get_by_role("button", name="Continue").click()
    assert page.locator("h1").inner_text() == "Check the notice before you send it"
    assert_accessible(page)
    page.get_by_role("button", name="Send notice").click()

    with live_server.app.extensions["cme.database"].session() as session:
        notice = session.scalars(select(SchoolNotice)).one()
    assert page.locator("h1").inner_text() == notice.reference
    assert (notice.kind, notice.status, notice.deletion_ground) == ("leaver", "for_cme", "f")
    assert_accessible(page)
    assert person.problems == []
