"""Attendance alerts in the intake queue and on their triage page, as the CME team uses them: a pupil's run of
unexplained absence waiting beside referrals and notices, the pupil the school's file named, the child the import
linked chosen already, and the same decisions as for any item."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from shared.models import AttendanceAlert, Case, Child
from tests.conftest import get_page, parse, sign_in, text_of
from tests.portal.test_cases import post_form
from tests.portal.test_intake import banner, long, queue_rows
from tests.shared.test_intake import BORN, NOW, RUN_START, TODAY, a_case_for, a_referral, an_alert, ellie


@pytest.fixture
def settings(app):
    from tests.portal.test_cases import settings_for

    return settings_for(app)


def alert_url(alert: AttendanceAlert) -> str:
    return f"/staff/intake/alerts/{alert.reference}"


def summary_rows(page) -> dict[str, str]:
    rows = page.find(id="item-summary").find_all(class_="govuk-summary-list__row")
    return {text_of(row.dt): text_of(row.dd) for row in rows}


# The queue --------------------------------------------------------------------------------------------------------


def test_an_alert_waits_in_the_queue_with_its_school_and_run(client, db, users, school):
    referral = a_referral(db, received_at=NOW - timedelta(days=1))
    alert = an_alert(db, school, raised_at=NOW - timedelta(days=3), sessions=21)
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, "/staff/intake")
    assert text_of(page.find(id="queue").caption) == "2 items waiting, urgent first, then oldest first"
    rows = queue_rows(page)
    assert [row[0] for row in rows] == [alert.reference, referral.reference]
    assert rows[0][1] == (
        f"Attendance alert: 10.5 school days of unexplained absence since {long(RUN_START)} Millfield Primary School"
    )
    assert rows[0][2] == f"Ellie Whitcombe Born {long(BORN)}"
    assert rows[0][5] == "New"
    assert page.find(id="queue").find("tbody").find("a")["href"] == alert_url(alert)

    only_alerts = get_page(client, "/staff/intake?source=attendance_alert")
    assert [row[0] for row in queue_rows(only_alerts)] == [alert.reference]
    checked = [box["value"] for box in only_alerts.select("input[type=checkbox][checked]")]
    assert checked == ["attendance_alert"]


def test_an_alert_s_age_is_counted_in_working_days(client, db, users, school, clock):
    # Raised on Friday 1 May 2026; Monday 4 May is a bank holiday; today is Tuesday 5 May.
    clock.set(date(2026, 5, 5))
    alert = an_alert(db, school, raised_at=NOW.replace(year=2026, month=5, day=1, hour=9))
    sign_in(client, "officer@northbridge.example")
    row = queue_rows(get_page(client, "/staff/intake"))[0]
    assert (row[0], row[3], row[4]) == (alert.reference, "1 May 2026", "1 working day")


# The triage page --------------------------------------------------------------------------------------------------


def test_the_triage_page_shows_the_run_the_pupil_and_the_child_the_import_linked(client, db, users, school, settings):
    child = ellie(db)
    case = a_case_for(db, child, users, settings)
    alert = an_alert(db, school, child=child)
    sign_in(client, "officer@northbridge.example")
    page = get_page(client, alert_url(alert))
    assert text_of(page.h1) == f"Triage {alert.reference}"
    assert page.title.get_text(strip=True).startswith(f"Triage attendance alert {alert.reference}")
    assert text_of(page.find(class_="govuk-caption-l")) == "Attendance alert: Millfield Primary School"
    assert [text_of(tag) for tag in page.find(id="item-tags").find_all(class_="govuk-tag")] == ["In triage"]
    assert summary_rows(page) == {
        "School": "Millfield Primary School (URN 990101)",
        "Unexplained absence": f"10 school days of unexplained absence since {long(RUN_START)}",
        "Since the alert": f"Still absent without a reason: 12 school days by {long(TODAY - timedelta(days=1))}",
        "Pupil’s name": "Ellie Whitcombe",
        "Date of birth": long(BORN),
        "UPN": "B801200005001",
        "Raised": long(NOW.date()),
    }
    cells = [text_of(cell) for cell in page.find(id="candidates").find("tbody").find("tr").find_all("td")]
    assert cells[0] == "Ellie Whitcombe"
    assert cells[5].startswith("Linked to this pupil by the attendance import Same UPN")
    assert cells[6] == case.reference
    # The linked child and the pupil's school are chosen already, for the officer to check.
    assert page.find("input", {"name": "child", "value": str(child.id)}).has_attr("checked")
    assert page.find("select", id="school").find("option", selected=True)["value"] == "990101"
    new_child = page.find("input", {"name": "child", "value": "new"})
    assert text_of(page.find(id=new_child["aria-describedby"])) == (
        "Made from the attendance alert’s details: name, date of birth, UPN and the school"
    )
    assert text_of(page.find(id="action-item-hint")) == (
        f"With the standard checks. It starts with medium risk, missing education since {long(RUN_START)}, and "
        "no primary reason yet: you can change them on the case"
    )


def test_a_run_that_has_ended_says_so(client, db, users, school):
    alert = an_alert(db, school)
    alert.pupil.current_run_start, alert.pupil.current_run_sessions = None, 0
    db.commit()
    sign_in(client, "manager@northbridge.example")
    page = get_page(client, alert_url(alert))
    assert summary_rows(page)["Since the alert"] == (
        f"The run has ended: the latest marks are from {long(TODAY - timedelta(days=1))}"
    )
    assert text_of(page.find(id="read-only")) == (
        "You can read this attendance alert, but deciding on it is for the CME officers, the lead and administrators."
    )
    db.expire_all()
    assert db.get(AttendanceAlert, alert.id).status == "new"  # a manager's look moves nothing


def test_unknown_alerts_are_not_found_and_schools_cannot_see_them(app, client, db, users, school):
    alert = an_alert(db, school)
    sign_in(client, "officer@northbridge.example")
    assert client.get("/staff/intake/alerts/not-a-reference").status_code == 404
    assert client.get("/staff/intake/alerts/AA-0000-0000").status_code == 404
    school_user = app.test_client()
    sign_in(school_user, "school@northbridge.example")
    assert school_user.get(alert_url(alert)).status_code == 403
    assert school_user.post(alert_url(alert), data={}).status_code == 403


# Deciding ---------------------------------------------------------------------------------------------------------


def test_an_officer_opens_a_case_from_an_alert_and_its_timeline_says_so(client, db, users, school):
    alert = an_alert(db, school)
    sign_in(client, "officer@northbridge.example")
    response = post_form(client, alert_url(alert), {"child": "new", "action": "open_case"})
    case = db.scalar(select(Case))
    assert response.headers["Location"] == f"/staff/cases/{case.reference}"
    assert (case.missing_since, case.risk_level, case.primary_reason) == (RUN_START, "medium", None)
    page = get_page(client, response.headers["Location"])
    assert banner(page) == (
        f"Success Case {case.reference} opened for Ellie Whitcombe from attendance alert {alert.reference}"
    )
    assert f"Attendance alert {alert.reference} added" in text_of(page.find(id="main-content"))
    child = db.scalar(select(Child))
    assert (child.upn, child.current_school_id) == ("B801200005001", school.id)


def test_an_officer_closes_an_alert_as_on_roll_at_its_school(client, db, users, school):
    alert = an_alert(db, school)
    sign_in(client, "officer@northbridge.example")
    response = post_form(client, alert_url(alert), {"child": "none", "action": "close_on_roll", "school": "990101"})
    assert response.headers["Location"] == "/staff/intake"
    queue = parse(client.get("/staff/intake"))
    assert banner(queue) == (
        f"Success Attendance alert {alert.reference} closed without a case: "
        "On roll at a named school: Millfield Primary School (URN 990101)"
    )
    assert queue.find(id="nothing-waiting") is not None
    page = get_page(client, alert_url(alert))
    rows = {
        text_of(row.dt): text_of(row.dd) for row in page.find(id="decision").find_all(class_="govuk-summary-list__row")
    }
    assert (rows["Status"], rows["Child"], rows["Case"]) == ("Closed without a case", "No child recorded", "No case")
    assert page.find(id="candidates") is None
