"""Every form, search box and filter of the service, sent random and hostile values: huge strings, control
characters, odd Unicode, SQL and script payloads, impossible dates. The service never answers with a server error,
shows refused answers in the GOV.UK error summary, and whatever it keeps comes back as text: never a script that
runs in a page, never a formula in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from portal.referral import flow
from shared.clock import uk_today
from shared.services import users as user_service
from tests.conftest import PASSWORD, a_school, csrf_token, get_page
from tests.portal.report_helpers import answer, answers_for, confirmation, fill_in, send, year_6_birthday
from tests.portal.test_cases import a_case
from tests.portal.test_notices import a_pupil
from tests.portal.test_notices import send as send_notice
from tests.portal.test_timetables import start_timetable
from tests.property.pages import (
    assert_no_formulas,
    assert_nothing_runs,
    csv_cells,
    fill_in_hostile,
    follow,
    hostile_answers,
    no_server_error,
    page_of,
    the_form,
    xlsx_cells,
)
from tests.property.strategies import cheap, hostile_text, stored_payload
from tests.property.test_hostile_importers import hostile_attendance

# The service sends its emails from a thread, and making a message id uses the random module: Hypothesis notices
# that during a draw and warns, though the draw does not depend on it.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module:hypothesis.errors.HypothesisDeprecationWarning"
)

FIXTURES = Path(__file__).parent.parent / "fixtures"
STAFF = "lead@northbridge.example"
SCHOOL = "school@northbridge.example"


def shows_safely(client, url: str, status: int | None = 200):
    response = client.get(url)
    no_server_error(response, url)
    if status is not None:
        assert response.status_code == status, f"{url}: {response.status_code}"
    return assert_nothing_runs(response, url)


# The public report ------------------------------------------------------------------------------------------------

QUESTIONS = [page.slug for page in flow.PAGES]


@pytest.mark.parametrize("slug", QUESTIONS)
@given(data=st.data())
@cheap(6)
def test_each_question_of_the_report_refuses_hostile_answers_without_failing(app, slug, data):
    client = app.test_client()  # a new reporter for each example
    assert client.get("/report/start").status_code == 302
    if not flow.BY_SLUG[slug].applies({}):
        answer(client, "anonymity", {"named": "yes"})  # Your details is asked only of a reporter who is named
    fill_in_hostile(client, f"/report/{slug}", data)


@pytest.mark.parametrize("url", ["/report/save", "/report/resume", "/report/add-information"])
@given(data=st.data())
@cheap(6)
def test_saving_resuming_and_adding_to_a_report_refuse_hostile_answers_without_failing(app, url, data):
    client = app.test_client()
    fill_in(client, {"child-name": answers_for(year_6_birthday())["child-name"]})
    fill_in_hostile(client, url, data)


@given(token=hostile_text())
@cheap(6)
def test_a_saved_reports_link_with_a_forged_token_has_expired(app, token):
    client = app.test_client()
    url = "/report/resume-link?" + urlencode({"token": token})
    page = shows_safely(client, url)
    response = client.post(url, data={"csrf_token": csrf_token(page)})
    no_server_error(response, url)
    assert "This link has expired" in assert_nothing_runs(response, url).h1.get_text()


REPORT_TEXT = {
    "child-name": ("child_first_name", "child_last_name", "child_other_names"),
    "child-address": ("address_line_1", "address_town"),
    "moved": ("new_address",),
    "last-school": ("last_school", "last_school_area"),
    "reasons": ("reason_details",),
    "family": ("carers", "languages", "agencies"),
    "anything-else": ("anything_else",),
    "your-details": ("reporter_name", "reporter_organisation"),
}


@given(data=st.data())
@cheap(8)
def test_a_report_full_of_payloads_reaches_the_team_as_text(app, signed_in, data):
    pages = answers_for(year_6_birthday())
    for slug, names in REPORT_TEXT.items():
        pages[slug] = {**pages[slug], **{name: data.draw(stored_payload(), label=name) for name in names}}
    reporter = app.test_client()
    fill_in(reporter, pages)
    assert send(reporter).status_code == 302
    reference, _ = confirmation(reporter)
    staff = signed_in(STAFF)
    for url in ("/staff/intake", f"/staff/intake/referrals/{reference}", "/staff/referrals"):
        shows_safely(staff, url)
    shows_safely(staff, f"/staff/referrals/{reference}", status=None)


# Schools' notices -------------------------------------------------------------------------------------------------


def allowed_kinds(client) -> list[str]:
    """The kinds of notice this school may send, as its choice page offers them."""
    page = get_page(client, "/schools/notices/new")
    return [radio["value"] for radio in page.find_all("input", {"name": "kind"})]


@pytest.fixture
def timetable(db, school, users):
    """A part-time timetable of the school's, for its update, extend and end forms."""
    return start_timetable(db, school, users["school"]).notice.reference


@given(data=st.data())
@cheap(6)
def test_every_kind_of_notice_form_and_the_timetable_forms_refuse_hostile_answers_without_failing(
    signed_in, timetable, data
):
    school = signed_in(SCHOOL)
    kinds = allowed_kinds(school)
    assert len(kinds) >= 4, kinds
    for kind in kinds:
        # The form shows its own check page or the form again: its problems are inline, so no summary is required.
        fill_in_hostile(school, f"/schools/notices/new/{kind}", data, errors_shown=False)
    for route in ("/return", f"/update/{timetable}", f"/extend/{timetable}", f"/end/{timetable}"):
        url = f"/schools/part-time-timetables{route}"
        if school.get(url).status_code == 200:  # an earlier example may have ended it
            fill_in_hostile(school, url, data, errors_shown=False)
    shows_safely(school, "/schools/part-time-timetables")
    choice = school.post("/schools/notices/new", data={"csrf_token": "", "kind": data.draw(hostile_text())})
    no_server_error(choice, "choose a notice")


@given(
    first=stored_payload(),
    last=stored_payload(),
    address=stored_payload(),
    parent=stored_payload(),
    concerns=stored_payload(),
)
@cheap(6)
def test_a_notice_full_of_payloads_reaches_the_team_as_text_and_downloads_as_text(
    signed_in, first, last, address, parent, concerns
):
    school, staff = signed_in(SCHOOL), signed_in(STAFF)
    answers = a_pupil(
        first_name=first,
        last_name=last,
        address=address,
        parent_name=parent,
        contact_attempted="yes",
        concerns=concerns,
    )
    response = send_notice(school, "absence", answers)
    assert response.status_code == 302, response.status_code
    reference = response.location.rsplit("/", 1)[-1]
    shows_safely(school, response.location)
    shows_safely(school, "/schools/")
    for url in ("/staff/intake", f"/staff/intake/notices/{reference}", "/staff/school-notices"):
        shows_safely(staff, url)
    shows_safely(staff, f"/staff/school-notices/{reference}", status=None)
    for kind in ("csv", "xlsx"):
        download = staff.get(f"/dashboard/export/notices-waiting.{kind}")
        assert download.status_code == 200, download.status_code
        rows = csv_cells(download.data) if kind == "csv" else xlsx_cells(download.data)
        assert len(rows) >= 2, rows
        assert_no_formulas(rows, f"notices-waiting.{kind}")


# Files of notices -------------------------------------------------------------------------------------------------

SAMPLE_CSV = (FIXTURES / "notices_sample.csv").read_text(encoding="utf-8-sig").splitlines(keepends=True)
CTF_LEAVERS = (FIXTURES / "ctf_leavers.xml").read_text(encoding="utf-8")


NAME_COLUMNS = ("first_name", "last_name", "address", "parent_name", "previous_school", "destination_school")


def hostile_csv(data) -> bytes:
    """The sample file with hostile cells in its rows, and now and then hostile bytes or a hostile header."""
    header, *rows = list(csv.reader(io.StringIO("".join(SAMPLE_CSV), newline="")))
    shape = data.draw(st.sampled_from(["names", "cells", "cells", "header", "bytes"]), label="shape")
    if shape == "bytes":
        return data.draw(
            st.binary(max_size=2000) | st.sampled_from([b"", b"\xff\xfe\x00", b"PK\x03\x04", b"\x00" * 50])
        )
    if shape == "header":
        header = [data.draw(hostile_text(huge=False)) if data.draw(st.booleans()) else name for name in header]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows[:2]:
        if shape == "names":  # a file the service accepts, its names and addresses payloads to be shown as text
            row = [
                data.draw(stored_payload()) if name in NAME_COLUMNS else cell
                for name, cell in zip(header, row, strict=False)
            ]
        else:
            row = [data.draw(hostile_text()) if data.draw(st.integers(0, 2)) == 0 else cell for cell in row]
        writer.writerow(row)
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]), label="encoding")
    return out.getvalue().encode(encoding, "replace")


def hostile_ctf(data) -> bytes:
    """The sample Common Transfer File with hostile text in its elements (escaped as XML, or not), or random bytes."""
    shape = data.draw(st.sampled_from(["text", "text", "raw", "bytes"]), label="shape")
    if shape == "bytes":
        return data.draw(st.binary(max_size=2000))

    def replace(match: re.Match) -> str:
        if data.draw(st.integers(0, 3)):
            return match.group(0)
        value = data.draw(hostile_text())
        value = escape(value) if shape == "text" else value
        return f">{value}</{match.group(1)}>"

    return re.sub(r">[^<>]+</(\w+)>", replace, CTF_LEAVERS).encode("utf-8", "surrogatepass")


@pytest.fixture
def riverside(db, users):
    """The school the Common Transfer File fixtures come from, and its user."""
    school = a_school(109001, "2001", "Riverside Primary School", "BA2 6AA")
    school.la_code = "800"
    db.add(school)
    db.commit()
    user_service.create_user(
        db, "riverside@northbridge.example", "Riverside User", "school", PASSWORD, school_urn=school.urn
    )
    return school


def upload_file(client, name: str, body: bytes, data) -> None:
    page = get_page(client, "/schools/notices/upload")
    form = {"csrf_token": csrf_token(page), "file": (io.BytesIO(body), name)}
    if data.draw(st.booleans()):
        form |= {
            "ground": data.draw(st.sampled_from(["h", "i", "k"]) | hostile_text()),
            "enquiries_made": data.draw(hostile_text()),
        }
    response = client.post("/schools/notices/upload", data=form, content_type="multipart/form-data")
    no_server_error(response, f"upload {name}")
    page = assert_nothing_runs(response, f"upload {name}")
    if response.status_code == 200:
        assert page.find(class_="govuk-error-summary") is not None, "a refused file says why"
        return
    preview = follow(client, response, f"upload {name}")
    assert preview.status_code == 200
    if page_of(preview).find(attrs={"name": "notices"}) is None:
        return  # nothing in the file can be sent: the preview lists its problems and offers no Send
    sent = client.post(response.location, data=hostile_answers(data, the_form(page_of(preview)), forge_hidden=False))
    no_server_error(sent, f"send {name}")
    follow(client, sent, f"send {name}")


@given(data=st.data())
@cheap(10)
def test_hostile_files_of_notices_are_refused_or_previewed_without_failing(signed_in, riverside, data):
    client, staff = signed_in("riverside@northbridge.example"), signed_in(STAFF)
    upload_file(
        client, data.draw(st.sampled_from(["notices.csv", "notices.txt", "leavers.xml"])), hostile_csv(data), data
    )
    upload_file(client, data.draw(st.sampled_from(["leavers.xml", "leavers.XML", "ctf.csv"])), hostile_ctf(data), data)
    upload_file(client, data.draw(hostile_text(huge=False)) or "x", data.draw(st.binary(max_size=200)), data)
    for url in ("/staff/intake", "/staff/school-notices", "/schools/"):
        shows_safely(staff if url.startswith("/staff") else client, url)


@given(data=st.data())
@cheap(6)
def test_hostile_attendance_files_are_refused_or_checked_and_their_problems_shown_as_text(signed_in, db, data):
    for url, email in (
        ("/staff/attendance/upload", "officer@northbridge.example"),
        ("/schools/attendance/upload", SCHOOL),
    ):
        client = signed_in(email)
        page = get_page(client, url)
        name = data.draw(
            st.sampled_from(["marks.csv"] * 6 + ["marks.xlsx", "marks.txt", "<script>.csv", "\u202etxt.csv"])
        )
        response = client.post(
            url,
            data={"csrf_token": csrf_token(page), "file": (io.BytesIO(hostile_attendance(data)), name)},
            content_type="multipart/form-data",
        )
        no_server_error(response, url)
        assert_nothing_runs(response, url)
        if response.status_code == 302:  # its check ran in the request (the tests' immediate mode)
            shows_safely(client, response.location)
        else:
            assert page_of(response).find(class_="govuk-error-summary") is not None


# The CME team's casework ------------------------------------------------------------------------------------------


@pytest.fixture
def casework(app, db, users, signed_in):
    """An open case, with its checks, for a lead signed in; and a report and a notice waiting in the queue."""
    case = a_case(app, db, users)
    reporter = app.test_client()
    fill_in(reporter, answers_for(year_6_birthday()))
    assert send(reporter).status_code == 302
    referral, _ = confirmation(reporter)
    school = signed_in(SCHOOL)
    notice = send_notice(school, "absence", a_pupil(contact_attempted="yes", concerns="None")).location.rsplit("/")[-1]
    check = case.enquiries[0].id
    base = f"/staff/cases/{case.reference}"
    urls = [
        f"{base}/details",
        f"/staff/children/{case.child_id}/details",
        f"{base}/assign",
        f"{base}/checks/new",
        f"{base}/checks/{check}",
        f"{base}/checks/{case.enquiries[1].id}/not-applicable",
        f"{base}/contacts/new",
        f"{base}/status",
        f"{base}/other-authority",
        f"{base}/placement",
        f"{base}/close",
        f"/staff/intake/referrals/{referral}",
        f"/staff/intake/notices/{notice}",
    ]
    return {"case": case, "urls": urls, "staff": signed_in(STAFF)}


@given(data=st.data())
@cheap(5)
def test_every_casework_form_refuses_hostile_answers_without_failing(casework, data):
    staff, case = casework["staff"], casework["case"]
    for url in casework["urls"]:
        if staff.get(url).status_code != 200:
            continue  # an earlier example moved the case on (closed it, say): this page no longer applies
        fill_in_hostile(staff, url, data, errors_shown=False)
    for url in (f"/staff/cases/{case.reference}", f"/staff/children/{case.child_id}", "/staff/my-cases"):
        shows_safely(staff, url)


@pytest.fixture
def open_case(app, db, users):
    return a_case(app, db, users)


@given(with_whom=stored_payload(), outcome=stored_payload(), text=stored_payload(), reason=stored_payload())
@cheap(6)
def test_a_case_note_and_a_check_full_of_payloads_are_shown_as_text(
    signed_in, open_case, with_whom, outcome, text, reason
):
    staff, case = signed_in(STAFF), open_case
    yesterday = uk_today() - timedelta(days=1)
    day = {"occurred_on": [str(yesterday.day), str(yesterday.month), str(yesterday.year)]}
    note = {"kind": "phone", **day, "occurred_time": "2:05pm", "with_whom": with_whom, "outcome": outcome, "text": text}
    post_valid(staff, f"/staff/cases/{case.reference}/contacts/new", note)
    check = {"kind": "other", "description": reason}
    response = post_valid(staff, f"/staff/cases/{case.reference}/checks/new", check, must_redirect=False)
    assert response.status_code in (200, 302)
    page = shows_safely(staff, f"/staff/cases/{case.reference}")
    assert text.strip() in page.get_text(), "the note is shown, as text"
    shows_safely(staff, f"/staff/audit/case/{case.id}", status=None)


def post_valid(client, url: str, answers: dict, must_redirect: bool = True):
    page = get_page(client, url)
    form = the_form(page)
    data = MultiDict((field["name"], field.get("value", "")) for field in form.select("input[type=hidden]"))
    for name, value in answers.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    response = client.post(url, data=data)
    no_server_error(response, url)
    assert_nothing_runs(response, url)
    if must_redirect:
        assert response.status_code == 302, page_of(response).select(".govuk-error-summary a")
    return response


# Signing in, searching and filtering ------------------------------------------------------------------------------


@given(data=st.data())
@cheap(10)
def test_the_sign_in_form_refuses_hostile_answers_without_failing(app, data):
    fill_in_hostile(app.test_client(), "/sign-in", data)
    next_url = data.draw(hostile_text(huge=False) | st.sampled_from(["//example.com", "javascript:alert(1)", "/\\x"]))
    no_server_error(app.test_client().get("/sign-in?" + urlencode({"next": next_url})), "sign in with next")


LISTS = {
    "/staff/search": ("q",),
    "/staff/intake": ("source", "status", "page"),
    "/staff/referrals": ("q", "status", "page", "sort"),
    "/staff/school-notices": ("q", "kind", "status", "school", "page"),
    "/staff/my-cases": ("status", "page", "sort"),
    "/staff/workload": ("officer", "page"),
    "/staff/part-time-timetables": ("status", "school", "page"),
    "/staff/attendance": ("term", "school", "page"),
    "/schools/": ("q", "kind", "status", "page"),
    "/schools/school-search": ("q", "la", "limit"),
    "/schools/part-time-timetables": ("status", "page"),
}


def hostile_query(data, keys) -> str:
    pairs = [(key, data.draw(hostile_text(huge=False), label=key)) for key in keys if data.draw(st.integers(0, 3))]
    pairs += [(data.draw(hostile_text(huge=False), label="key"), data.draw(hostile_text(huge=False)))]
    return urlencode(pairs)


@given(data=st.data())
@cheap(8)
def test_search_boxes_and_list_filters_answer_hostile_queries_without_failing(signed_in, data):
    staff, school = signed_in(STAFF), signed_in(SCHOOL)
    for path, keys in LISTS.items():
        client = school if path.startswith("/schools") else staff
        url = f"{path}?{hostile_query(data, keys)}"
        response = client.get(url)
        no_server_error(response, url)
        assert response.status_code in (200, 302, 400, 404), f"{url}: {response.status_code}"
        assert_nothing_runs(response, url)
        follow(client, response, url)


DASHBOARD_FILTERS = ("from", "to", "school", "phase", "officer", "sort", "order", "q", "census", "page")


@given(data=st.data())
@cheap(8)
def test_the_dashboard_and_its_downloads_answer_hostile_filters_without_failing(signed_in, data):
    from dashboard.pages import PAGES, TABLES

    staff = signed_in(STAFF)
    for page in PAGES:
        url = f"{page.PATH}?{hostile_query(data, DASHBOARD_FILTERS)}"
        response = staff.get(url)
        no_server_error(response, url)
        assert "alert(1)" not in "".join(s.get_text() for s in page_of(response).find_all("script"))
    for key in TABLES:
        kind = data.draw(st.sampled_from(["csv", "xlsx"]))
        url = f"/dashboard/export/{key}.{kind}?{hostile_query(data, DASHBOARD_FILTERS)}"
        response = staff.get(url)
        no_server_error(response, url)
        if response.status_code == 200:
            rows = csv_cells(response.data) if kind == "csv" else xlsx_cells(response.data)
            assert_no_formulas(rows[1:], url)
        else:
            assert response.status_code == 400 and response.mimetype == "text/plain", f"{url}: {response.status_code}"
    weird = data.draw(hostile_text(huge=False))
    no_server_error(staff.get(f"/dashboard/export/{quote(weird, safe='')}.csv"), "an unknown table")
