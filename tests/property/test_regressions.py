"""Inputs the property tests found that once failed the service: each kept here as a plain example."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest

from shared.importers import attendance_csv
from shared.importers.ctf import parse_ctf
from tests.conftest import csrf_token, get_page
from tests.portal.test_cases import a_case
from tests.shared.test_attendance_import import CALENDAR, SCHOOLS

FIXTURES = Path(__file__).parent.parent / "fixtures"
TODAY = date(2026, 12, 3)
# Characters str.isdigit() accepts that int() does not, and a number too long for int() to read.
NOT_NUMBERS = ["²", "³", "①", "9" * 5000]


@pytest.mark.parametrize("order", NOT_NUMBERS)
def test_a_common_transfer_file_whose_contact_order_is_not_a_number_is_still_read(order):
    ctf = (FIXTURES / "ctf_leavers.xml").read_text("utf-8")
    assert "<Order>" in ctf
    preview = parse_ctf(re.sub(r"<Order>[^<]*</Order>", f"<Order>{order}</Order>", ctf).encode(), TODAY)
    assert preview.notices and not preview.file_problems


def test_an_attendance_file_with_a_urn_too_long_to_be_a_number_says_so():
    header = "URN,UPN,Surname,Forename,DOB,Date,Session,Code"
    line = f"{'9' * 5000},N999210126001,Khan,Amira,2015-03-27,2026-09-07,AM,/"
    checked = attendance_csv.read_attendance(
        f"{header}\r\n{line}\r\n".encode(), schools=SCHOOLS, calendar=CALENDAR, today=TODAY
    )
    [problem] = checked.problems
    assert (problem.line, problem.field) == (2, "URN")
    assert problem.message.endswith("is not a URN: a URN is a number, like 100001")
    assert len(problem.message) < 200


def test_a_schools_notices_page_number_that_is_not_a_number_shows_the_first_page(signed_in):
    school = signed_in("school@northbridge.example")
    for page in NOT_NUMBERS:
        assert school.get("/schools/", query_string={"page": page}).status_code == 200


def test_a_forged_school_or_officer_on_a_case_is_refused_not_a_server_error(app, db, users, signed_in):
    case = a_case(app, db, users)
    lead = signed_in("lead@northbridge.example")
    for value in NOT_NUMBERS:
        for path, field in (("/close", "school"), ("/placement", "school"), ("/assign", "officer")):
            url = f"/staff/cases/{case.reference}{path}"
            page = get_page(lead, url)
            form = {element["name"]: element.get("value", "") for element in page.select("form input[type=hidden]")}
            response = lead.post(url, data={**form, "csrf_token": csrf_token(page), field: value, "outcome": "on_roll"})
            assert response.status_code in (200, 302), f"{path} with {value[:10]!r}: {response.status_code}"


def test_a_forged_count_of_notices_to_send_is_not_a_server_error(signed_in):
    school = signed_in("school@northbridge.example")
    page = get_page(school, "/schools/notices/upload")
    body = (FIXTURES / "notices_sample.csv").read_bytes()
    response = school.post(
        "/schools/notices/upload",
        data={"csrf_token": csrf_token(page), "file": (io.BytesIO(body), "notices.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    preview = get_page(school, response.location)
    form = {element["name"]: element.get("value", "") for element in preview.select("form input[type=hidden]")}
    for count in NOT_NUMBERS:
        assert school.post(response.location, data={**form, "notices": count}).status_code == 302
