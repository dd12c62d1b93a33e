"""A school sends many notices at once: it uploads a CSV or a Common Transfer File, checks the preview, and sends
every valid notice together."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from shared.importers.notices_csv import CSV_GUIDE, template_csv
from shared.models import AuditEvent, NoticeUpload, SchoolNotice
from shared.services import users as user_service
from tests.conftest import PASSWORD, a_school, csrf_token, error_summary, get_page, make_app, parse, sign_in, text_of

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SAMPLE = (FIXTURES / "notices_sample.csv").read_bytes()

# notices_sample.csv as Millfield Primary (a maintained school, LAESTAB 9992101) sends it: the schools register
# has no school 8014001, and only an independent school sends independent admissions.
SAMPLE_PROBLEMS = [
    ["3", "Destination school (LAESTAB)", "no school with LAESTAB 8014001 is in the schools register"],
    [
        "10",
        "Notice type",
        "Only an independent school sends independent_admission notices: send a joiner notice instead",
    ],
]
JOINER, LEAVER = "Pupil added to the admission register", "Pupil to be removed from the admission register"
REMOVED = "(date of removal from the register)"
SAMPLE_NOTICES = [
    ["2", JOINER, "Amira Khan", "3 September 2026 (date of first attendance)"],
    ["6", LEAVER, "Mia Clarke", f"20 October 2026 {REMOVED}"],
    ["7", LEAVER, "Leo Turner", f"21 October 2026 {REMOVED}"],
    ["8", "Part-time timetable", "Lily Evans", "1 December 2026 (start date of the part-time timetable)"],
    ["9", "Continuous unexplained absence", "Noah Williams", "2 November 2026 (first day of absence)"],
    ["11", LEAVER, "Isla Green", f"30 October 2026 {REMOVED}"],
]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def upload(client, name: str, data: bytes, **answers):
    page = get_page(client, "/schools/notices/upload")
    form = {"csrf_token": csrf_token(page), **answers}
    if name is not None:
        form["file"] = (io.BytesIO(data), name)
    return client.post("/schools/notices/upload", data=form, content_type="multipart/form-data")


def uploaded(client, name: str, data: bytes, **answers) -> str:
    """Upload a file and return its preview's address."""
    response = upload(client, name, data, **answers)
    assert response.status_code == 302, error_summary(parse(response))
    return response.location


def table(page, table_id: str) -> list[list[str]]:
    found = page.find("table", id=table_id)
    if found is None:
        return []
    return [[text_of(cell) for cell in row.find_all("td")] for row in found.find("tbody").find_all("tr")]


def summary(page) -> dict[str, str]:
    return {text_of(row.find("dt")): text_of(row.find("dd")) for row in page.select(".govuk-summary-list__row")}


def send(client, preview_url: str):
    page = get_page(client, preview_url)
    form = page.find("input", {"name": "notices"}).find_parent("form")
    data = {field["name"]: field["value"] for field in form.find_all("input", type="hidden")}
    return client.post(preview_url, data=data)


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


@pytest.fixture
def school_client(client, users):
    sign_in(client, "school@northbridge.example")
    return client


@pytest.fixture
def riverside(db, users):
    """Riverside Primary (LAESTAB 8002001), the school the Common Transfer File fixtures come from, and its user."""
    school = a_school(109001, "2001", "Riverside Primary School", "BA2 6AA")
    school.la_code = "800"
    db.add(school)
    db.commit()
    user_service.create_user(
        db, "riverside@northbridge.example", "Riverside User", "school", PASSWORD, school_urn=school.urn
    )
    return school


def test_the_upload_page_says_what_files_are_accepted_and_offers_the_template_and_its_guide(school_client):
    page = get_page(school_client, "/schools/notices/upload")

    assert page.h1.get_text(strip=True) == "Upload a file of notices"
    assert page.find("input", type="file")["accept"] == ".csv,.txt,.xml,text/csv,text/xml,application/xml"
    assert "A CSV file (.csv) or a Common Transfer File (.xml)" in text_of(page)
    links = {link.get_text(strip=True): link["href"] for link in page.select("main a")}
    assert links["Download the CSV template (CSV, 1 KB)"] == "/schools/notices/csv-template"
    assert links["the guide to filling it in (text file, 5 KB)"] == "/schools/notices/csv-guide"

    template = school_client.get("/schools/notices/csv-template")
    assert template.headers["Content-Disposition"] == "attachment; filename=notices-template.csv"
    assert template.mimetype == "text/csv"
    assert template.data == template_csv().encode("utf-8-sig")
    guide = school_client.get("/schools/notices/csv-guide")
    assert guide.headers["Content-Disposition"] == "attachment; filename=notices-csv-guide.txt"
    assert guide.get_data(as_text=True) == CSV_GUIDE


def test_the_preview_shows_what_will_be_sent_and_every_problem_and_stores_no_notice(school_client, db):
    preview_url = uploaded(school_client, "autumn notices.csv", SAMPLE)

    page = get_page(school_client, preview_url)
    assert page.h1.get_text(strip=True) == "Check the notices in the file"
    assert summary(page) == {
        "Notices to send": "6",
        "Of these, for the CME team to act on": "4",
        "Rows with problems, which will not be sent": "2",
    }
    assert table(page, "problems") == SAMPLE_PROBLEMS
    assert table(page, "notices") == SAMPLE_NOTICES
    assert [button.get_text(strip=True) for button in page.select("main button")] == ["Send 6 notices"]
    assert page.find("button", string=lambda s: s and "Send" in s).has_attr("data-prevent-double-click")
    assert page.find("a", string="Upload a different file")["href"] == "/schools/notices/upload"
    assert count(db, SchoolNotice) == 0
    stored = db.scalars(select(NoticeUpload)).one()
    assert preview_url == f"/schools/notices/upload/{stored.reference}"
    assert (stored.file_name, stored.file_format, stored.status, stored.content) == (
        "autumn notices.csv",
        "csv",
        "previewed",
        SAMPLE,
    )


def test_sending_stores_every_valid_row_as_one_batch_and_shows_their_references(school_client, db, mailbox):
    preview_url = uploaded(school_client, "notices.csv", SAMPLE)

    response = send(school_client, preview_url)

    assert response.location == preview_url
    notices = db.scalars(select(SchoolNotice).order_by(SchoolNotice.id)).all()
    assert sorted((n.pupil_first_name, n.kind, n.routed_to_cme) for n in notices) == [
        ("Amira", "joiner", False),
        ("Isla", "leaver", True),
        ("Leo", "leaver", True),
        ("Lily", "part_time", False),
        ("Mia", "leaver", True),
        ("Noah", "absence", True),
    ]
    [batch] = {notice.batch_reference for notice in notices}
    assert batch.startswith("SB-")
    sent = db.scalars(select(NoticeUpload)).one()
    assert (sent.status, sent.content, sent.notices_sent, sent.batch_reference) == ("sent", b"", 6, batch)
    audit = db.scalars(select(AuditEvent).where(AuditEvent.object_type == "school_notice")).one()
    assert audit.after == {"batch": batch, "notices": 6, "routed_to_cme": 4, "attached": 0}

    page = get_page(school_client, preview_url)  # the preview's address now shows what was sent
    assert page.h1.get_text(strip=True) == "6 notices sent"
    assert text_of(page.select_one(".govuk-panel__body")) == f"Batch reference {batch}"
    assert [link.get_text(strip=True) for link in page.select("#references a")] == [n.reference for n in notices]
    assert "4 of the notices go to the Children Missing Education team, who will act on them." in text_of(page)
    [email] = mailbox.wait_for(1)
    assert (email["To"], email["Subject"]) == ("school@northbridge.example", f"6 notices received: {batch}")
    for notice in notices:
        assert notice.reference in email.get_content()
        assert notice.pupil_last_name not in email.get_content()


def test_sending_twice_stores_the_notices_once(school_client, db, mailbox):
    preview_url = uploaded(school_client, "notices.csv", SAMPLE)
    page = get_page(school_client, preview_url)
    data = {
        field["name"]: field["value"] for field in page.select("form input[type=hidden]") if field["name"] != "action"
    }

    first = school_client.post(preview_url, data={**data, "action": "send"})
    second = school_client.post(preview_url, data={**data, "action": "send"})  # another tab, or a double click

    assert first.location == preview_url
    assert second.location == preview_url
    assert count(db, SchoolNotice) == 6
    assert get_page(school_client, preview_url).h1.get_text(strip=True) == "6 notices sent"
    assert len(mailbox.wait_for(1)) == 1


def test_a_preview_that_has_changed_since_it_was_seen_is_shown_again_before_anything_is_sent(school_client, db):
    preview_url = uploaded(school_client, "notices.csv", SAMPLE)
    page = get_page(school_client, preview_url)
    data = {field["name"]: field["value"] for field in page.select("form input[type=hidden]")}

    response = school_client.post(preview_url, data={**data, "action": "send", "notices": "7"})

    assert response.location == preview_url
    assert count(db, SchoolNotice) == 0
    page = get_page(school_client, preview_url)
    assert "The notices this file would send have changed since you looked" in text_of(page)


def test_a_file_where_every_row_is_wrong_shows_only_its_problems(school_client, db):
    lines = fixture("notices_bad.csv").splitlines(keepends=True)
    bad = b"".join(lines[:10] + lines[12:])  # without the valid row 11 and its repeat
    page = get_page(school_client, uploaded(school_client, "bad.csv", bad))

    assert summary(page)["Notices to send"] == "0"
    assert page.find("input", {"name": "notices"}) is None
    assert [button.get_text(strip=True) for button in page.select("main button")] == []
    assert "No notices can be sent from this file" in text_of(page)
    assert table(page, "notices") == []
    assert table(page, "problems")[:2] == [
        ["2", "Address", "Enter the address"],
        ["2", "Postcode", "Enter the postcode"],
    ]
    assert len(table(page, "problems")) == 24
    assert summary(page)["Rows with problems, which will not be sent"] == "10"


def test_a_file_with_thousands_of_problems_shows_the_first_500(school_client):
    header = "kind,first_name,last_name,date_of_birth,event_date\n"
    data = (header + "joiner,Sam,Smith,31/02/2015,01/09/2026\n" * 3000).encode()

    page = get_page(school_client, uploaded(school_client, "many.csv", data))

    assert text_of(page.find("table", id="problems").caption) == "Problems (the first 500 of 15,000)"
    assert len(table(page, "problems")) == 500
    assert summary(page)["Rows with problems, which will not be sent"] == "3,000"


XXE_REFUSED = (
    "The file declares XML entities or refers to other files, which a Common Transfer File never does. It was not "
    "read, to keep the service safe: export the CTF again from your school's system"
)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (None, b"", "Select a CSV file or a Common Transfer File"),
        ("empty.csv", b"", "The selected file is empty"),
        ("blank.csv", b"  \r\n \r\n", "The selected file is empty"),
        (
            "letter.pdf",
            b"%PDF-1.7 a letter",
            "The selected file must be a CSV file (.csv) or a Common Transfer File (.xml)",
        ),
        (
            "notices.xlsx",
            b"PK\x03\x04 a workbook",
            "The selected file is a spreadsheet, not a CSV file: in Excel, use Save As and choose CSV UTF-8",
        ),
        ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "The file is not a CSV file: save it from Excel as CSV UTF-8"),
        (
            "pupils.csv",
            b"UPN,Forename\nA1,Sam\n",
            "The header row (line 1) is missing the columns: kind, first_name, last_name, date_of_birth, event_date",
        ),
        (
            "ctf.xml",
            b"<CTfile><Header>",
            "The file is not well-formed XML (no element found at line 1, column 17): export the CTF again from "
            "your school's system",
        ),
        ("ctf.xml", fixture("ctf_xxe.xml"), XXE_REFUSED),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_specific_error(school_client, db, name, data, message):
    response = upload(school_client, name, data)

    assert response.status_code == 200
    page = parse(response)
    assert page.title.get_text(strip=True).startswith("Error: Upload a file of notices")
    assert error_summary(page) == [(message, "#file")]
    assert text_of(page.select_one("#file-error")) == f"Error: {message}"
    assert count(db, NoticeUpload) == 0


def test_a_common_transfer_file_from_another_school_is_refused(school_client, db):
    response = upload(school_client, "8002001_CTF_8014001_001.xml", fixture("ctf_leavers.xml"))

    assert error_summary(parse(response)) == [
        (
            "The file was sent by the school with LAESTAB 8002001, not by Millfield Primary School (9992101): "
            "upload only your own school's Common Transfer Files",
            "#file",
        )
    ]
    assert count(db, NoticeUpload) == 0


def test_a_school_chooses_the_ground_for_ctf_leavers_whose_next_school_is_not_known(client, db, riverside):
    sign_in(client, "riverside@northbridge.example")
    preview_url = uploaded(client, "8002001_CTF_XXXXXXX_002.xml", fixture("ctf_leavers_unknown.xml"))
    page = get_page(client, preview_url)
    assert summary(page)["Notices to send"] == "0"
    assert table(page, "problems") == [
        ["23", "Ground for removal", "Enter the ground for removal"],
        ["61", "Ground for removal", "Enter the ground for removal"],
    ]

    missing = client.post(preview_url, data={"csrf_token": csrf_token(page), "action": "ground", "ground": "i"})
    page = parse(missing)
    assert error_summary(page) == [
        ("Enter the enquiries made by the school and the authority: ground i needs them", "#enquiries_made")
    ]
    enquiries = "Home visits on 5 and 12 October; health visitor; council tax records"
    chosen = client.post(
        preview_url,
        data={"csrf_token": csrf_token(page), "action": "ground", "ground": "i", "enquiries_made": enquiries},
    )
    assert chosen.location == preview_url
    page = get_page(client, preview_url)
    assert summary(page) == {
        "Notices to send": "2",
        "Of these, for the CME team to act on": "2",
        "Rows with problems, which will not be sent": "0",
    }
    assert page.find("input", {"name": "ground", "value": "i"}).has_attr("checked")

    send(client, preview_url)
    stored = db.scalars(select(SchoolNotice).order_by(SchoolNotice.id)).all()
    assert [(n.upn, n.deletion_ground, n.destination_laestab, n.status) for n in stored] == [
        ("W800200124005", "i", "XXXXXXX", "for_cme"),
        ("K800200124006", "i", "XXXXXXX", "for_cme"),
    ]
    assert {n.details["enquiries_made"] for n in stored} == {enquiries}


def test_the_ground_can_be_chosen_with_the_file(client, db, riverside):
    sign_in(client, "riverside@northbridge.example")
    preview_url = uploaded(client, "ctf.xml", fixture("ctf_leavers_out_of_scope.xml"), ground="f")

    page = get_page(client, preview_url)
    assert table(page, "notices") == [["23", LEAVER, "Freya Jones", f"14 September 2026 {REMOVED}"]]
    send(client, preview_url)
    notice = db.scalars(select(SchoolNotice)).one()
    assert (notice.deletion_ground, notice.destination_laestab, notice.routed_to_cme) == ("f", "MMMMMMM", True)


def test_a_ground_that_names_a_school_cannot_be_applied_to_unknown_destinations(client, db, riverside):
    sign_in(client, "riverside@northbridge.example")
    response = upload(client, "ctf.xml", fixture("ctf_leavers_unknown.xml"), ground="a")

    assert error_summary(parse(response)) == [
        ("Select the ground for removal: one of b, c, e, f, h, i, j, k, l, m, n, o", "#ground")
    ]
    assert count(db, NoticeUpload) == 0


def test_a_file_over_the_size_limit_gets_the_too_large_page(database_url, users):
    small = make_app(database_url, MAX_CONTENT_LENGTH=4_000)
    try:
        client = small.test_client()
        sign_in(client, "school@northbridge.example")
        big = b"kind,first_name,last_name,date_of_birth,event_date\n" + b"x" * 5_000

        response = upload(client, "big.csv", big)

        assert response.status_code == 413
        page = parse(response)
        assert page.h1.get_text(strip=True) == "The file is too large"
        assert "The file you sent is bigger than this service accepts. Send a smaller file." in text_of(page)
        assert upload(client, "small.csv", SAMPLE).status_code == 302
    finally:
        small.extensions["cme.database"].dispose()


def urls_for(reference: str) -> list[tuple[str, str]]:
    return [
        ("GET", "/schools/notices/upload"),
        ("POST", "/schools/notices/upload"),
        ("GET", "/schools/notices/csv-template"),
        ("GET", "/schools/notices/csv-guide"),
        ("GET", f"/schools/notices/upload/{reference}"),
        ("POST", f"/schools/notices/upload/{reference}"),
    ]


@pytest.fixture
def other_school_user(db, users):
    """A user of Riverside Junior School (URN 990102), the other school in the register."""
    return user_service.create_user(
        db, "riverside-junior@northbridge.example", "Other School", "school", PASSWORD, school_urn=990102
    )


@pytest.mark.parametrize("sent_first", [False, True])
def test_another_schools_upload_is_not_found_on_any_page(client, db, school_client, other_school_user, sent_first):
    preview_url = uploaded(school_client, "notices.csv", SAMPLE)
    if sent_first:
        send(school_client, preview_url)
    school_client.post("/sign-out", data={"csrf_token": csrf_token(get_page(school_client, "/schools/"))})
    sign_in(client, "riverside-junior@northbridge.example")
    token = csrf_token(get_page(client, "/schools/notices/upload"))

    assert client.get(preview_url).status_code == 404
    for action in ("send", "ground"):
        answer = client.post(preview_url, data={"csrf_token": token, "action": action, "notices": "6", "ground": "f"})
        assert answer.status_code == 404
    assert client.get(preview_url.lower()).status_code == 404
    db.expire_all()
    assert count(db, SchoolNotice) == (6 if sent_first else 0)
    assert db.scalars(select(NoticeUpload)).one().status == ("sent" if sent_first else "previewed")


def test_council_staff_may_not_use_the_upload_pages(client, db, school_client, users):
    reference = uploaded(school_client, "notices.csv", SAMPLE).rsplit("/", 1)[1]
    school_client.post("/sign-out", data={"csrf_token": csrf_token(get_page(school_client, "/schools/"))})
    sign_in(client, "officer@northbridge.example")
    token = csrf_token(get_page(client, "/staff/"))
    for method, url in urls_for(reference):
        response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
        assert response.status_code == 403, url
    assert count(db, SchoolNotice) == 0


def test_signed_out_people_are_sent_to_sign_in(client, school):
    for method, url in urls_for("SF-0000-0000"):
        if method == "GET":
            response = client.get(url)
            assert (response.status_code, response.location.split("?")[0]) == (302, "/sign-in"), url


def rows_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def test_a_single_notice_in_a_file_is_confirmed_with_its_own_reference(school_client, db):
    data = rows_csv(
        [
            {
                "kind": "absence",
                "first_name": "Noah",
                "last_name": "Williams",
                "date_of_birth": "30/01/2013",
                "event_date": "02/11/2026",
                "contact_attempted": "Phoned twice; letter sent",
            }
        ]
    )
    preview_url = uploaded(school_client, "one.csv", data)
    assert [text_of(button) for button in get_page(school_client, preview_url).select("main button")] == [
        "Send 1 notice"
    ]

    send(school_client, preview_url)

    notice = db.scalars(select(SchoolNotice)).one()
    page = get_page(school_client, preview_url)
    assert page.h1.get_text(strip=True) == "1 notice sent"
    assert text_of(page.select_one(".govuk-panel__body")) == f"Its reference is {notice.reference}"
    assert notice.batch_reference is None
