"""A school user uploads a file of notices in the browser, checks the preview and sends it; every page passes axe."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select

from shared.models import NoticeUpload, SchoolNotice
from shared.services import users as user_service
from tests.conftest import PASSWORD, a_school
from tests.e2e.accessibility import assert_accessible, wait_for_error_summary
from tests.e2e.test_journeys import sign_in

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HEADER = ["kind", "upn", "first_name", "last_name", "date_of_birth", "sex", "event_date", "deletion_ground"]


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
    wait_for_error_summary(page)
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


def test_a_school_chooses_the_ground_for_ctf_leavers_whose_next_school_is_not_known(person, live_server, users):
    with live_server.app.extensions["cme.database"].session() as session:
        riverside = a_school(109001, "2001", "Riverside Primary School", "BA2 6AA")
        riverside.la_code = "800"
        session.add(riverside)
        session.commit()
        user_service.create_user(session, "office@riverside.example", "Office", "school", PASSWORD, school_urn=109001)
    page = person.page
    sign_in(person, "office@riverside.example")
    page.goto("/schools/notices/upload")
    page.locator("input[type=file]").set_input_files(str(FIXTURES / "ctf_leavers_unknown.xml"))
    page.get_by_role("button", name="Upload and check the file").click()

    expect(page.locator("h1")).to_have_text("Check the notices in the file")
    assert page.get_by_role("button", name="Send 0 notices").count() == 0
    assert_accessible(page)
    page.get_by_label("i: Continuously absent for 20 or more school days").check()
    page.get_by_role("button", name="Apply the ground").click()
    expect(page).to_have_title(re.compile("^Error: "))
    assert_accessible(page)
    page.get_by_label("Enquiries made by the school and the authority (for grounds h and i)").fill(
        "Home visits on 5 and 12 October; health visitor"
    )
    page.get_by_role("button", name="Apply the ground").click()

    page.get_by_role("button", name="Send 2 notices").click()
    expect(page.locator("h1")).to_have_text("2 notices sent")
    with live_server.app.extensions["cme.database"].session() as session:
        grounds = [n.deletion_ground for n in session.scalars(select(SchoolNotice))]
    assert grounds == ["i", "i"]
    assert person.problems == []
