"""An administrator adds a term in a real browser: a mistake is shown in the error summary, fixed, and the term is
listed. axe-core checks every page on the way."""

from __future__ import annotations

from tests.e2e.accessibility import assert_accessible, wait_for_error_summary
from tests.e2e.test_journeys import sign_in


def fill_date(page, legend: str, day: str, month: str, year: str) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(day)
    group.get_by_label("Month").fill(month)
    group.get_by_label("Year").fill(year)


def test_an_admin_adds_a_term_after_fixing_its_dates(person, users):
    page = person.page
    sign_in(person, "admin@northbridge.example")
    page.goto("/admin/term-dates")
    assert page.locator("h1").inner_text().strip() == "Term dates"
    assert_accessible(page)

    with page.expect_navigation():
        page.get_by_role("button", name="Add a term or closure").click()
    assert_accessible(page)
    page.get_by_label("Term", exact=True).check()
    fill_date(page, "Start date", "20", "10", "2099")
    fill_date(page, "End date", "1", "9", "2099")
    page.get_by_label("Description").fill("Autumn 2099 first half")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    wait_for_error_summary(page)
    summary = page.locator(".govuk-error-summary")
    assert summary.get_by_role("link").all_inner_texts() == ["The end date must be the same as or after the start date"]
    assert page.title().startswith("Error: Add a term or closure")
    assert_accessible(page)

    fill_date(page, "Start date", "1", "9", "2099")
    fill_date(page, "End date", "20", "10", "2099")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    assert page.url.endswith("/admin/term-dates")
    assert page.locator(".govuk-notification-banner__heading").inner_text().strip() == "Autumn 2099 first half added"
    row = page.locator("#year-2099 tbody tr")
    assert row.locator("td").all_inner_texts()[:4] == [
        "Autumn 2099 first half",
        "Term",
        "1 September 2099",
        "20 October 2099",
    ]
    assert_accessible(page)
    assert person.problems == []
