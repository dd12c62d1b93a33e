"""A school user uploads a file of notices in the browser, checks the preview and sends it; every page passes axe."""

from __future__ import annotations

import csv
import io
import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from shared.models import NoticeUpload, SchoolNotice
from tests.e2e.test_journeys import sign_in

axe = Axe()
HEADER = ["kind", "upn", "first_name", "last_name", "date_of_birth", "sex", "event_date", "deletion_ground"]


def assert_accessible(page) -> None:
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()


def notices_csv() -> bytes:
    """Two removals the school can send, and one with a ground that does not exist (line 3)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerow(["leaver", "B801200005001", "Amy", "Lee", "01/10/2014", "F", "02/11/2026", "f"])
    writer.writerow(["leaver", "", "Ben", "Cole", "05/05/2013", "M", "03/11/2026", "z"])
    writer.writerow(["leaver", "", "Cara", "Dunn", "12/12/2012", "F", "04/11/2026", "k"])
    return out.getvalue().encode()


def test_a_school_uploads_a_csv_with_a_bad_row_checks_it_and_sends_the_rest(person, live_server, users, tmp_path):
    page = person.page
    sign_in(person, "school@northbridge.example")
    page.goto("/schools/notices/upload")
    assert page.locator("h1").inner_text() == "Upload a file of notices"
    assert_accessible(page)

    page.get_by_role("button", name="Upload and check the file").click()  # no file chosen
    expect(page).to_have_title(re.compile("^Error: "))
    page.wait_for_function("document.activeElement && document.activeElement.closest('.govuk-error-summary') !== null")
    assert page.locator(".govuk-error-summary").inner_text().endswith("Select a CSV file or a Common Transfer File")
    assert_accessible(page)

    path = tmp_path / "november leavers.csv"
    path.write_bytes(notices_csv())
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_role("button", name="Upload and check the file").click()

    expect(page.locator("h1")).to_have_text("Check the notices in the file")
    assert page.locator("#problems tbody tr").all_inner_texts() == [
        "3\tGround for removal\tGround for removal must be a letter from a to o (regulation 9(1))"
    ]
    assert page.locator("#notices tbody td:nth-child(3)").all_inner_texts() == ["Amy Lee", "Cara Dunn"]
    assert_accessible(page)
    with live_server.app.extensions["cme.database"].session() as session:
        assert session.scalars(select(SchoolNotice)).all() == []

    page.get_by_role("button", name="Send 2 notices").click()

    expect(page.locator("h1")).to_have_text("2 notices sent")
    with live_server.app.extensions["cme.database"].session() as session:
        notices = session.scalars(select(SchoolNotice).order_by(SchoolNotice.id)).all()
        upload = session.scalars(select(NoticeUpload)).one()
    assert [(n.pupil_first_name, n.deletion_ground, n.routed_to_cme) for n in notices] == [
        ("Amy", "f", True),
        ("Cara", "k", False),
    ]
    assert (upload.status, upload.batch_reference) == ("sent", notices[0].batch_reference)
    assert page.locator(".govuk-panel__body").inner_text() == f"Batch reference\n{upload.batch_reference}"
    assert page.locator("#references a").all_inner_texts() == [n.reference for n in notices]
    assert_accessible(page)
    assert person.problems == []
