"""A school telling the authority about its pupils, one notice at a time."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from shared.clock import uk_today, utcnow
from shared.domain.casework import CaseStatus
from shared.domain.notices import GROUNDS
from shared.domain.reference import new_reference
from shared.models import Case, Child, PartTimeTimetable, SchoolNotice
from shared.services import users as user_service
from tests.conftest import PASSWORD, calendar_of, csrf_token, error_summary, get_page, parse, sign_in, text_of

LAST_MONTH = uk_today() - timedelta(days=30)


def parts(day: date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


def a_pupil(**changes) -> dict:
    pupil = {
        "upn": "B801200005001",
        "first_name": "Amy",
        "last_name": "Lee",
        "date_of_birth": ["1", "10", str(uk_today().year - 11)],
        "sex": "F",
        "address": "1 Mill Road, Northbridge",
        "postcode": "nb1 1aa",
        "parent_name": "Jo Lee",
        "parent_phone": "07700 900123",
        "event_date": parts(LAST_MONTH),
    }
    pupil.update(changes)
    return pupil


def checked(client, kind: str, answers: dict):
    """Fill in the notice form and continue: the check page, or the form again with errors."""
    page = get_page(client, f"/schools/notices/new/{kind}")
    return client.post(
        f"/schools/notices/new/{kind}", data={"csrf_token": csrf_token(page), "action": "check", **answers}
    )


def send(client, kind: str, answers: dict):
    """Fill in, check and send a notice; returns the response to Send."""
    check_page = parse(checked(client, kind, answers))
    assert check_page.h1.get_text(strip=True) == "Check the notice before you send it", error_summary(check_page)
    form = MultiDict((field["name"], field.get("value", "")) for field in check_page.select("form input[type=hidden]"))
    form.add("action", "send")
    return client.post(f"/schools/notices/new/{kind}", data=form)


@pytest.fixture
def school_client(client, users):
    sign_in(client, "school@northbridge.example")
    return client


def test_a_removal_to_home_education_goes_to_the_cme_team_and_the_school_gets_its_reference(school_client, db, mailbox):
    answers = a_pupil(deletion_ground="f", destination="none")
    response = send(school_client, "leaver", answers)
    [notice] = db.scalars(select(SchoolNotice)).all()
    assert response.location == f"/schools/notices/{notice.reference}"
    assert (notice.kind, notice.status, notice.routed_to_cme) == ("leaver", "for_cme", True)
    assert (notice.upn, notice.pupil_first_name, notice.pupil_postcode) == ("B801200005001", "Amy", "NB1 1AA")
    assert (notice.deletion_ground, notice.destination_laestab, notice.event_date) == ("f", None, LAST_MONTH)
    page = get_page(school_client, response.location)
    assert text_of(page.select_one(".govuk-notification-banner")).endswith(f"Its reference is {notice.reference}")
    [email] = mailbox.wait_for(1)
    assert (email["To"], email["Subject"]) == ("school@northbridge.example", f"Notice received: {notice.reference}")
    for detail in ("Amy", "Lee", "B801200005001", "NB1 1AA"):
        assert detail not in email.get_content()


@pytest.mark.parametrize(
    ("ground", "destination", "laestab", "routed"),
    [
        ("a", "school", "9992101", False),
        ("a", "XXXXXXX", "", True),
        ("g", "MMMMMMM", "", True),
        ("i", "none", "", True),
        ("o", "none", "", False),
    ],
)
def test_which_removals_the_cme_team_must_act_on(school_client, db, ground, destination, laestab, routed):
    extra = {"new_address": "Somewhere in Spain", "enquiries_made": "Phoned, visited, wrote"}
    send(
        school_client,
        "leaver",
        a_pupil(deletion_ground=ground, destination=destination, destination_laestab=laestab, **extra),
    )
    notice = db.scalars(select(SchoolNotice)).one()
    assert notice.routed_to_cme is routed
    assert notice.destination_laestab == (laestab or (destination if destination.isupper() else None))


def test_every_continuous_absence_notice_goes_to_the_cme_team(school_client, db):
    send(school_client, "absence", a_pupil(contact_attempted="Phoned twice, letter sent"))
    notice = db.scalars(select(SchoolNotice)).one()
    assert (notice.kind, notice.status, notice.details["contact_attempted"]) == (
        "absence",
        "for_cme",
        "Phoned twice, letter sent",
    )


def test_a_joiner_who_is_a_missing_child_is_attached_to_their_open_case(school_client, db, users):
    dob = date(uk_today().year - 11, 10, 1)
    child = Child(first_name="Amy", last_name="Lee", date_of_birth=dob)
    case = Case(reference=new_reference("CS"), child=child, status=CaseStatus.ENQUIRIES)
    db.add_all([child, case])
    db.commit()
    send(school_client, "joiner", a_pupil(upn=""))
    notice = db.scalars(select(SchoolNotice)).one()
    assert (notice.status, notice.case_id, notice.child_id) == ("attached", case.id, child.id)


def test_a_joiner_sent_more_than_five_school_days_after_joining_is_marked_late(school_client, db, app):
    # Ten weeks ago is more than five school days ago on any day, across the summer holiday too.
    joined = uk_today() - timedelta(weeks=10)
    assert calendar_of(app).school_days_between(joined, uk_today()) > 5
    send(school_client, "joiner", a_pupil(event_date=parts(joined)))
    notice = db.scalars(select(SchoolNotice)).one()
    assert notice.details["late"] is True
    page = get_page(school_client, f"/schools/notices/{notice.reference}")
    assert "No: more than 5 school days after the pupil joined" in text_of(page)


def test_a_notice_says_exactly_what_is_wrong_and_keeps_what_was_typed(school_client, db):
    answers = a_pupil(
        upn="B801200005002",
        last_name="",
        date_of_birth=["31", "2", "2015"],
        postcode="NB1",
        deletion_ground="a",
        destination="school",
        event_date=parts(uk_today() + timedelta(days=3)),
    )
    page = parse(checked(school_client, "leaver", answers))
    assert page.title.get_text(strip=True).startswith("Error: Pupil to be removed from the admission register")
    assert error_summary(page) == [
        ("UPN check letter is wrong: check the UPN has been copied correctly", "#upn"),
        ("Enter the last name", "#last_name"),
        ("Date of birth must be a real date", "#date_of_birth-day"),
        ("Enter a real postcode, like BA1 1JG", "#postcode"),
        ("Date of removal from the register must be today or in the past", "#event_date-day"),
        ("Enter the destination school (LAESTAB): ground a needs it", "#destination_laestab"),
    ]
    assert page.find("input", {"name": "upn"})["value"] == "B801200005002"
    assert page.find("input", {"name": "postcode"})["value"] == "NB1"
    assert db.scalars(select(SchoolNotice)).all() == []


def test_the_answers_can_be_changed_before_sending(school_client, db):
    check_page = parse(checked(school_client, "absence", a_pupil(contact_attempted="Phoned")))
    form = MultiDict((field["name"], field.get("value", "")) for field in check_page.select("form input[type=hidden]"))
    form.add("action", "change")
    page = parse(school_client.post("/schools/notices/new/absence", data=form))
    assert page.h1.get_text(strip=True) == "Continuous unexplained absence"
    assert page.find("input", {"name": "first_name"})["value"] == "Amy"
    assert page.find(id="date_of_birth-year")["value"] == str(uk_today().year - 11)
    assert db.scalars(select(SchoolNotice)).all() == []


def test_a_school_sees_only_its_own_notices(app, school_client, db, school, users):
    send(school_client, "absence", a_pupil(contact_attempted="Phoned"))
    ours = db.scalars(select(SchoolNotice)).one()
    user_service.create_user(db, "other@riverside.example", "Other School", "school", PASSWORD, school_urn=990102)
    other = app.test_client()
    sign_in(other, "other@riverside.example")
    assert other.get(f"/schools/notices/{ours.reference}").status_code == 404
    assert ours.reference not in other.get("/schools/").get_data(as_text=True)
    assert school_client.get(f"/schools/notices/{ours.reference}").status_code == 200
    officer = app.test_client()
    sign_in(officer, "officer@northbridge.example")
    for path in (
        "/schools/",
        "/schools/notices/new",
        "/schools/notices/new/joiner",
        f"/schools/notices/{ours.reference}",
    ):
        assert officer.get(path).status_code == 403


def test_a_school_chooses_from_the_notices_it_can_send(school_client):
    page = get_page(school_client, "/schools/notices/new")
    labels = [text_of(label) for label in page.select(".govuk-radios__label")]
    assert labels == [
        "Pupil added to the admission register",
        "Pupil to be removed from the admission register",
        "Part-time timetable",
        "Continuous unexplained absence",
    ]
    response = school_client.post("/schools/notices/new", data={"csrf_token": csrf_token(page)})
    assert error_summary(parse(response)) == [("Select the kind of notice you want to send", "#kind")]
    assert school_client.get("/schools/notices/new/independent-admission").status_code == 404


def test_over_long_text_is_refused_with_its_limit_and_kept_in_full(school_client, db):
    too_long = "Phoned. " * 300  # 2,400 characters
    page = parse(checked(school_client, "absence", a_pupil(contact_attempted=too_long)))
    assert error_summary(page) == [("Contact attempted must be 2,000 characters or fewer", "#contact_attempted")]
    box = page.find("textarea", {"name": "contact_attempted"})
    assert box.get_text() == too_long.strip() and not box.has_attr("maxlength")
    assert db.scalars(select(SchoolNotice)).all() == []


def test_sending_the_same_notice_twice_stores_it_once(school_client, db, mailbox):
    check_page = parse(checked(school_client, "absence", a_pupil(contact_attempted="Phoned")))
    form = MultiDict((field["name"], field.get("value", "")) for field in check_page.select("form input[type=hidden]"))
    form.add("action", "send")
    first = school_client.post("/schools/notices/new/absence", data=form)
    second = school_client.post("/schools/notices/new/absence", data=form)  # a double click with JavaScript off
    stored = db.scalars(select(SchoolNotice)).one()
    assert first.headers["Location"] == second.headers["Location"] == f"/schools/notices/{stored.reference}"
    mailbox.wait_for(1)
    assert len(mailbox.to("school@northbridge.example")) == 1


def test_a_part_time_notice_starts_a_timetable_the_school_can_keep_up_to_date(school_client, db):
    start = uk_today() + timedelta(days=7)
    answers = a_pupil(
        event_date=parts(start),
        hours_per_week="12.5",
        reason="Phased return after illness",
        review_date=parts(start + timedelta(days=42)),
        agreed_with_parents="yes",
    )
    assert send(school_client, "part-time", answers).status_code == 302
    timetable = db.scalars(select(PartTimeTimetable)).one()
    assert (timetable.pupil_last_name, timetable.start_date, timetable.hours_per_week, timetable.status) == (
        "Lee",
        start,
        12.5,
        "active",
    )
    assert (timetable.review_date, timetable.agreed_with_parents) == (start + timedelta(days=42), True)
    assert timetable.notice.kind == "part_time"


def test_a_school_finds_its_notices_by_kind_status_and_pupil(app, school_client, db, school, users):
    send(school_client, "absence", a_pupil(first_name="Amy", last_name="Lee", contact_attempted="Phoned"))
    send(school_client, "absence", a_pupil(upn="", first_name="Ben", last_name="Okafor", contact_attempted="Phoned"))
    send(school_client, "joiner", a_pupil(upn="", first_name="Cara", last_name="Leeson"))
    user_service.create_user(db, "other@riverside.example", "Other School", "school", PASSWORD, school_urn=990102)
    other = app.test_client()
    sign_in(other, "other@riverside.example")
    send(other, "absence", a_pupil(upn="", first_name="Dan", last_name="Lee", contact_attempted="Phoned"))

    def pupils(query: str) -> list[str]:
        page = get_page(school_client, f"/schools/?{query}")
        return [text_of(row.select("td")[2]) for row in page.select("#notices tbody tr")]

    assert pupils("") == ["Cara Leeson", "Ben Okafor", "Amy Lee"]
    assert pupils("kind=absence") == ["Ben Okafor", "Amy Lee"]
    assert pupils("status=for_cme") == ["Ben Okafor", "Amy Lee"]
    assert pupils("kind=joiner&status=received") == ["Cara Leeson"]
    assert pupils("q=lee") == ["Cara Leeson", "Amy Lee"]  # names starting with it; never another school's Dan Lee
    assert pupils("q=B801200005001") == ["Amy Lee"]
    amy = db.scalars(select(SchoolNotice).where(SchoolNotice.pupil_first_name == "Amy")).one()
    assert pupils(f"q={amy.reference.lower()}") == ["Amy Lee"]
    assert pupils("kind=nonsense") == ["Cara Leeson", "Ben Okafor", "Amy Lee"]  # an edited link is ignored
    page = get_page(school_client, "/schools/?kind=part_time")
    assert text_of(page.find(id="no-matches")) == (
        "No notices match the filters. Clear filters to see all your school's notices."
    )
    assert page.find("select", {"name": "kind"}).find("option", selected=True)["value"] == "part_time"


def test_a_long_list_of_notices_comes_a_page_at_a_time(school_client, db, school, users):
    from shared.domain.notices import CheckedNotice
    from shared.services.notices import send_notices

    notices = [
        CheckedNotice(
            kind="absence",
            first_name=f"Pupil{number:03}",
            last_name="Lee",
            date_of_birth=date(2015, 1, 1),
            event_date=LAST_MONTH,
            details={"contact_attempted": "Phoned"},
        )
        for number in range(120)
    ]
    user = users["school"]
    send_notices(db, school, user, notices, utcnow(), uk_today(), lambda day, n: day, "https://cme.example")
    first = get_page(school_client, "/schools/?kind=absence")
    assert len(first.select("#notices tbody tr")) == 50
    assert [text_of(item) for item in first.select(".govuk-pagination__item")] == ["1", "2", "3"]
    third = get_page(school_client, "/schools/?kind=absence&page=3")
    assert len(third.select("#notices tbody tr")) == 20
    assert third.select_one(".govuk-pagination__prev a")["href"] == "/schools/?page=2&kind=absence"
    assert len(get_page(school_client, "/schools/?page=99").select("#notices tbody tr")) == 20  # the last page


def test_the_school_sees_every_answer_it_sent(school_client, db):
    answers = a_pupil(
        event_date=parts(LAST_MONTH),
        deletion_ground="i",
        destination="XXXXXXX",
        enquiries_made="Visited the home twice",
    )
    send(school_client, "leaver", answers)
    stored = db.scalars(select(SchoolNotice)).one()
    page = get_page(school_client, f"/schools/notices/{stored.reference}")
    rows = {text_of(row.dt): text_of(row.dd) for row in page.select(".govuk-summary-list__row")}
    assert rows["Pupil"] == "Amy Lee"
    assert rows["Status"] == "Sent to the CME team"
    assert rows["Ground for removal"] == "i: " + GROUNDS["i"].label
    assert rows["Destination school (LAESTAB)"] == "Not known (XXXXXXX)"
    assert rows["Enquiries made"] == "Visited the home twice"
    assert rows["Parent or carer"] == "Jo Lee"
    assert rows["Parent or carer's phone number"] == "07700 900123"
    assert rows["Postcode"] == "NB1 1AA"
    assert rows["Date of removal from the register"] == f"{LAST_MONTH.day} {LAST_MONTH:%B %Y}"


def test_the_cme_team_sees_the_notices_it_must_act_on_oldest_first(app, school_client, db, users):
    send(school_client, "absence", a_pupil(first_name="Amy", contact_attempted="Phoned"))
    send(school_client, "joiner", a_pupil(upn="", first_name="Cara"))  # a joiner is not for the team
    send(school_client, "absence", a_pupil(upn="", first_name="Ben", contact_attempted="Phoned"))
    officer = app.test_client()
    sign_in(officer, "officer@northbridge.example")
    page = get_page(officer, "/staff/school-notices")
    rows = [[text_of(cell) for cell in row.select("td")[2:]] for row in page.select("#notices tbody tr")]
    assert rows == [
        ["Millfield Primary School", "Continuous unexplained absence", "Amy Lee"],
        ["Millfield Primary School", "Continuous unexplained absence", "Ben Lee"],
    ]
    amy = db.scalars(select(SchoolNotice).where(SchoolNotice.pupil_first_name == "Amy")).one()
    detail = get_page(officer, f"/staff/school-notices/{amy.reference.lower()}")
    rows = {text_of(row.dt): text_of(row.dd) for row in detail.select(".govuk-summary-list__row")}
    assert (rows["School"], rows["Contact attempted"]) == ("Millfield Primary School (URN 990101)", "Phoned")
    assert officer.get("/staff/school-notices/SN-0000-0000").status_code == 404
    assert school_client.get("/staff/school-notices").status_code == 403
    assert school_client.get(f"/staff/school-notices/{amy.reference}").status_code == 403


def test_the_cme_team_sees_every_current_part_time_timetable_and_who_has_made_the_return(
    app, school_client, db, school, users
):
    from shared.domain.school_days import SchoolCalendar
    from shared.domain.terms import return_schedule
    from shared.services.timetables import make_return, return_version

    start = uk_today() - timedelta(days=60)
    for first_name, review in (("Amy", start + timedelta(days=30)), ("Ben", uk_today() + timedelta(days=30))):
        answers = a_pupil(
            upn="",
            first_name=first_name,
            event_date=parts(start),
            hours_per_week="12.5",
            reason="Phased return",
            review_date=parts(review),
            agreed_with_parents="yes",
        )
        send(school_client, "part-time", answers)
    officer = app.test_client()
    sign_in(officer, "officer@northbridge.example")
    page = get_page(officer, "/staff/part-time-timetables")
    rows = [[text_of(cell) for cell in row.select("td")] for row in page.select("#timetables tbody tr")]
    assert [row[0] for row in rows] == ["Amy Lee", "Ben Lee"]  # the overdue review first
    assert rows[0][1:4] == ["Millfield Primary School", f"{start.day} {start:%B %Y}", "12.5"]
    assert rows[0][4].endswith("Review overdue") and not rows[1][4].endswith("Review overdue")
    assert text_of(page.find(id="returns-summary")).startswith("0 of 1 school has made the return, due by ")
    returns = [[text_of(cell) for cell in row.select("td")] for row in page.select("#returns tbody tr")]
    assert returns[0][:2] == ["Millfield Primary School (URN 990101)", "2"]
    assert returns[0][2] in ("Not made yet", "Overdue")
    assert school_client.get("/staff/part-time-timetables").status_code == 403
    home = get_page(officer, "/staff/")
    figures = {text_of(row.dt): text_of(row.dd) for row in home.select("#team-work .govuk-summary-list__row")}
    assert figures["Pupils on part-time timetables"] == "2"

    schedule = return_schedule(uk_today(), SchoolCalendar())
    seen = [timetable.notice.reference for timetable in db.scalars(select(PartTimeTimetable))]
    make_return(db, school, users["school"], schedule, utcnow(), seen=seen, replaces=return_version(None))
    db.commit()
    page = get_page(officer, "/staff/part-time-timetables")
    assert text_of(page.find(id="returns-summary")).startswith("1 of 1 school has made the return, due by ")
    made = [text_of(cell) for cell in page.select("#returns tbody tr td")]
    assert made == ["Millfield Primary School (URN 990101)", "2", f"Made {uk_today().day} {uk_today():%B %Y}"]
