"""Uploading attendance marks on the service: the file is stored, checked in the background while its page shows
progress, its problems listed by line, imported only when the user says so (without its bad lines if they choose),
once however often they click; a school user's file may hold only their own school's marks, and their files are
theirs alone."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.tasks import schedule
from shared.clock import utcnow
from shared.models import AttendanceAlert, AttendanceImport, AttendanceWeek
from shared.services import users as user_service
from tests.conftest import PASSWORD, csrf_token, error_summary, get_page, parse, sign_in, text_of
from tests.shared.test_attendance_import import AMIRA, MONDAY, OLIVER, csv_file, lines
from webcommon.forms import CHOOSE_FILE_AGAIN, STALE_PAGE

ABSENT_TEN_DAYS = " ".join(["N"] * 20)
PRESENT_WEEK = " ".join(["/", "\\"] * 5)


def upload(client, url: str, data: bytes, name: str = "marks.csv"):
    page = get_page(client, url)
    return client.post(
        url,
        data={"csrf_token": csrf_token(page), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def checked_page(client, db, response):
    """The file's page once its background work is done (in the tests, it runs at once, in the request)."""
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    return location, get_page(client, location)


def summary(page) -> dict[str, str]:
    return {
        text_of(row.find("dt")): text_of(row.find("dd"))
        for row in page.find(id="file-summary").find_all(class_="govuk-summary-list__row")
    }


def post(client, url, data):
    page = get_page(client, url)
    return client.post(url, data={"csrf_token": csrf_token(page), **data})


@pytest.fixture
def officer(client, users, school):
    sign_in(client, "officer@northbridge.example")
    return client


def test_an_officer_uploads_a_file_checks_it_and_imports_it_and_a_long_absence_becomes_an_alert(officer, db):
    data = csv_file(lines(AMIRA, MONDAY, ABSENT_TEN_DAYS), lines(OLIVER, MONDAY, PRESENT_WEEK))
    location, page = checked_page(officer, db, upload(officer, "/staff/attendance/upload", data))
    assert text_of(page.h1) == "Check the file before importing it"
    assert summary(page) == {
        "Lines in the file": "31",
        "Schools": "1",
        "Pupils": "2",
        "Marks": "30",
        "First date": "2026-09-07",
        "Last date": "2026-09-18",
    }
    assert db.scalar(select(func.count()).select_from(AttendanceWeek)) == 0  # nothing before the user says so

    _, page = checked_page(officer, db, post(officer, location, {"action": "import"}))
    assert text_of(page.find(class_="govuk-panel__title")) == "Attendance imported"
    assert summary(page)["Alerts raised"] == "1"
    alert = db.scalars(select(AttendanceAlert)).one()
    assert [text_of(item) for item in page.find(id="alerts").find_all("li")] == [
        f"{alert.reference}: Amira Khan, 10 school days since 7 September 2026"
    ]
    assert db.scalar(select(func.count()).select_from(AttendanceWeek)) == 3

    # Pressing Import again (a second tab, the back button) does not import it twice.
    response = post(officer, location, {"action": "import"})
    assert response.headers["Location"] == location
    assert db.scalar(select(func.count()).select_from(AttendanceAlert)) == 1
    record = db.scalar(select(AttendanceImport))
    db.refresh(record)
    assert (record.status, record.content) == ("imported", None)


def test_lines_with_problems_are_listed_and_the_rest_imported_only_when_chosen(officer, db):
    good = lines(OLIVER, MONDAY, PRESENT_WEEK)
    data = csv_file(good, "990101,B801200005002,Price,Ollie,2014-11-14,2026-09-21,AM,ZZ")
    location, page = checked_page(officer, db, upload(officer, "/staff/attendance/upload", data))
    rows = [[text_of(cell) for cell in row.find_all("td")] for row in page.find(id="problems").tbody.find_all("tr")]
    assert (
        rows
        == [
            ["12", "UPN", "UPN 'B801200005002' is not valid: check the check letter (the first character)"],
            ["12", "Code", "Code 'ZZ' is not an attendance code"],
        ]
        or rows[0][0] == "12"
    )
    assert text_of(page.find(class_="govuk-fieldset__legend")) == "What do you want to do?"

    # Continuing without a choice: the error summary asks for one, and nothing is imported.
    response = post(officer, location, {})
    page = parse(response)
    assert error_summary(page) == [
        ("Select whether to import the file without the lines that have problems", "#action")
    ]
    assert db.scalar(select(func.count()).select_from(AttendanceWeek)) == 0

    _, page = checked_page(officer, db, post(officer, location, {"action": "skip"}))
    assert summary(page)["Lines skipped"] == "1" and summary(page)["Marks"] == "10"
    assert db.scalar(select(func.count()).select_from(AttendanceWeek)) == 1


def test_a_file_can_be_left_unimported(officer, db):
    data = csv_file(lines(OLIVER, MONDAY, PRESENT_WEEK), "990101,B801200005002,Price,Ollie,2014-11-14,2026-09-21,AM,/")
    location, _ = checked_page(officer, db, upload(officer, "/staff/attendance/upload", data))
    page = parse(officer.get(post(officer, location, {"action": "discard"}).headers["Location"]))
    assert text_of(page.h1) == "The file was not imported"
    record = db.scalar(select(AttendanceImport))
    db.refresh(record)
    assert (record.status, record.content) == ("discarded", None)
    assert db.scalar(select(func.count()).select_from(AttendanceWeek)) == 0


def test_a_file_that_cannot_be_read_is_refused_with_its_reason(officer, db):
    data = (
        "URN;UPN;Surname;Forename;DOB;Date;Session;Code\n990101;N999210126001;Khan;Amira;2015-03-27;2026-09-07;AM;/\n"
    )
    _, page = checked_page(officer, db, upload(officer, "/staff/attendance/upload", data.encode()))
    assert text_of(page.h1) == "The file cannot be imported"
    assert "semicolons" in text_of(page.find(id="rejected"))
    record = db.scalar(select(AttendanceImport))
    db.refresh(record)
    assert (record.status, record.content) == ("rejected", None)  # the pupils' details in it are not kept


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (None, "", "Select a CSV file of attendance marks"),
        (b"%PDF-1.4", "marks.pdf", "The selected file must be a CSV file"),
        (b"", "marks.csv", "The selected file is empty"),
    ],
)
def test_the_upload_asks_for_a_csv_file(officer, db, data, name, message):
    url = "/staff/attendance/upload"
    page = get_page(officer, url)
    form = {"csrf_token": csrf_token(page)}
    if data is not None:
        form["file"] = (io.BytesIO(data), name)
    page = parse(officer.post(url, data=form, content_type="multipart/form-data"))
    assert error_summary(page) == [(message, "#file")]
    assert db.scalar(select(func.count()).select_from(AttendanceImport)) == 0


def test_a_school_user_imports_their_own_schools_marks_only(client, db, users, school):
    sign_in(client, "school@northbridge.example")
    data = csv_file(lines(OLIVER, MONDAY, PRESENT_WEEK), lines(AMIRA, MONDAY, PRESENT_WEEK, urn=990102))
    location, page = checked_page(client, db, upload(client, "/schools/attendance/upload", data))
    assert location.startswith("/schools/attendance/imports/")
    messages = {text_of(row.find_all("td")[2]) for row in page.find(id="problems").tbody.find_all("tr")}
    assert len(messages) == 1 and "Riverside Junior School" in messages.pop()
    _, page = checked_page(client, db, post(client, location, {"action": "skip"}))
    assert summary(page)["Marks"] == "10"
    assert "Alerts raised" not in summary(page)  # what the team does with absences is the team's

    # Another school's user cannot see the file; nor can they see it in their list.
    reference = location.rsplit("/", 1)[1]
    client.post("/sign-out", data={"csrf_token": csrf_token(get_page(client, "/schools/"))})
    user_service.create_user(db, "other@riverside.example", "Other School", "school", PASSWORD, school_urn=990102)
    sign_in(client, "other@riverside.example")
    get_page(client, location, status=404)
    assert reference not in get_page(client, "/schools/attendance/upload").get_text()


def test_an_upload_from_a_page_open_too_long_asks_for_the_file_again(officer, db):
    url = "/staff/attendance/upload"
    data = {"csrf_token": "stale", "file": (io.BytesIO(csv_file(lines(OLIVER, MONDAY, PRESENT_WEEK))), "marks.csv")}
    page = parse(officer.post(url, data=data, content_type="multipart/form-data"))
    assert error_summary(page) == [(STALE_PAGE, "#file"), (CHOOSE_FILE_AGAIN, "#file")]
    assert db.scalar(select(func.count()).select_from(AttendanceImport)) == 0


def test_a_file_being_worked_on_says_how_far_the_work_has_got(officer, db):
    location, _ = checked_page(
        officer, db, upload(officer, "/staff/attendance/upload", csv_file(lines(OLIVER, MONDAY, PRESENT_WEEK)))
    )
    record = db.scalar(select(AttendanceImport))
    # A worker has the file's import, and has checked 50,000 of its lines.
    record.status, record.lease_holder, record.lease_until = (
        "importing",
        "server:1:abcdef/0001",
        utcnow() + timedelta(minutes=2),
    )
    record.progress_at, record.lines_done, record.lines_total, record.stage = (
        utcnow(),
        50_000,
        120_001,
        "Checking the file",
    )
    db.commit()
    page = get_page(officer, location)
    assert text_of(page.h1) == "Importing the file"
    assert text_of(page.find(id="progress")) == "Checking the file: 50,000 of 120,001 lines."
    assert page.find("meta", {"http-equiv": "refresh"})["content"] == "3"


def test_files_nobody_imported_within_a_day_are_not_kept(officer, db):
    data = csv_file(lines(OLIVER, MONDAY, PRESENT_WEEK))
    old, _ = checked_page(officer, db, upload(officer, "/staff/attendance/upload", data))
    record = db.scalar(select(AttendanceImport))
    record.uploaded_at = utcnow() - timedelta(days=1, minutes=1)
    db.commit()
    checked_page(officer, db, upload(officer, "/staff/attendance/upload", data))
    # The worker's hourly purges clear it out.
    with officer.application.app_context():
        schedule.run_due(officer.application)
    db.refresh(record)
    assert (record.status, record.content) == ("discarded", None)
    assert text_of(get_page(officer, old).h1) == "The file was not imported"
    assert (
        db.scalar(select(func.count()).select_from(AttendanceImport).where(AttendanceImport.content.is_not(None))) == 1
    )
