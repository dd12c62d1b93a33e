"""An officer uploads a file of attendance marks in the browser: the file's page follows the check by itself, lists
a bad line, imports the rest when asked, and names the pupil now in the intake queue; the authority's and the
school's attendance pages show the result. Every page passes axe."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.accessibility import assert_accessible, wait_for_error_summary
from tests.e2e.test_journeys import sign_in
from tests.shared.test_attendance_import import AMIRA, MONDAY, OLIVER, csv_file, lines

ABSENT_TEN_DAYS = " ".join(["N"] * 20)
PRESENT_WEEK = " ".join(["/", "\\"] * 5)


def test_an_officer_uploads_checks_and_imports_attendance(person, live_server, db, users, school, tmp_path):
    marks = tmp_path / "autumn.csv"
    marks.write_bytes(
        csv_file(
            lines(AMIRA, MONDAY, ABSENT_TEN_DAYS),
            lines(OLIVER, MONDAY, PRESENT_WEEK),
            "990101,C999210126002,Price,Oliver,2014-11-14,2026-09-21,AM,ZZ",
        )
    )
    page = person.page
    sign_in(person, "officer@northbridge.example")
    page.wait_for_url(re.compile(r"/staff/$"))
    page.get_by_role("link", name="Attendance", exact=True).click()
    assert page.locator("h1").inner_text() == "Attendance"
    page.get_by_role("link", name="Upload a file of attendance marks").click()
    assert_accessible(page)

    # No file chosen: the error summary says so.
    page.get_by_role("button", name="Upload and check the file").click()
    wait_for_error_summary(page)
    expect(page.locator(".govuk-error-summary__list li")).to_have_text(["Select a CSV file of attendance marks"])
    assert_accessible(page)

    page.locator("input[type=file]").set_input_files(str(marks))
    page.get_by_role("button", name="Upload and check the file").click()
    # The file's page refreshes itself until the check is done.
    expect(page.locator("h1")).to_have_text("Check the file before importing it", timeout=30_000)
    rows = page.locator("#problems tbody tr").all_inner_texts()
    assert [re.sub(r"\s+", " ", row).strip() for row in rows] == ["32 Code Code 'ZZ' is not an attendance code"]
    assert_accessible(page)

    page.get_by_label("Import the file without the line that has problems").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-panel__title")).to_have_text("Attendance imported", timeout=30_000)
    alerts = page.locator("#alerts li").all_inner_texts()
    assert len(alerts) == 1 and alerts[0].endswith("Amira Khan, 10 school days since 7 September 2026")
    assert_accessible(page)

    page.get_by_role("link", name="See attendance").click()
    page.get_by_label("Term").select_option("2026-autumn")
    page.get_by_role("button", name="Show this term").click()
    page.wait_for_url(re.compile(r"term=2026-autumn"))
    assert page.locator("#schools tbody tr").all_inner_texts()[0].split("\t")[0].strip() == "Millfield Primary School"
    assert_accessible(page)

    page.get_by_role("link", name="Millfield Primary School").click()
    assert page.locator("h1").inner_text() == "Millfield Primary School"
    under_50 = page.locator("#under-50 tbody tr td:first-child").all_inner_texts()
    assert [name.strip() for name in under_50] == ["Amira Khan"]
    assert_accessible(page)
    assert person.problems == []
