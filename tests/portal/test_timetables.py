"""A school keeps its part-time timetables up to date and makes its termly return, in its own pages only."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from shared.domain.notices import check_notice
from shared.domain.school_days import SchoolCalendar, parse_term_dates
from shared.models import AuditEvent, PartTimeTimetable, TimetableReturn
from shared.services import timetables as service
from shared.services import users as user_service
from shared.services.notices import send_notices
from tests.conftest import (
    PASSWORD,
    csrf_token,
    error_summary,
    get_page,
    parse,
    set_term_dates,
    sign_in,
    text_of,
)
from webcommon.forms import STALE_PAGE

TERM_DATES = """kind,start,end,description
term,2026-09-02,2026-10-23,Autumn 2026 first half
term,2026-11-02,2026-12-18,Autumn 2026 second half
term,2027-01-04,2027-02-12,Spring 2027 first half
term,2027-02-22,2027-03-26,Spring 2027 second half
"""
TODAY = date(2026, 12, 7)  # a Monday: the autumn term's return is due by Friday 18 December
NOW = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)
ROUTES = ("", "/update", "/extend", "/end")


@pytest.fixture
def app(app, clock):
    """The app on these term dates, on Monday 7 December 2026 at 10:30."""
    clock.set(NOW)
    set_term_dates(app, TERM_DATES)
    return app


def start_timetable(db, school, user, **answers) -> PartTimeTimetable:
    raw = {
        "kind": "part_time",
        "upn": "B801200005001",
        "first_name": "Amy",
        "last_name": "Lee",
        "date_of_birth": "2015-10-01",
        "event_date": "2026-11-02",
        "hours_per_week": "12.5",
        "reason": "Anxiety after a long illness",
        "review_date": "2026-12-14",
        "agreed_with_parents": "yes",
    }
    raw.update(answers)
    checked, problems = check_notice(raw, TODAY)
    assert problems == []
    calendar = SchoolCalendar(parse_term_dates(TERM_DATES))
    sent = send_notices(db, school, user, [checked], NOW, TODAY, calendar.add_school_days, "https://cme.example")
    return service.find_timetable(db, school.id, sent.references[0])


@pytest.fixture
def school_client(client, users):
    sign_in(client, "school@northbridge.example")
    return client


@pytest.fixture
def amy(db, school, users):
    return start_timetable(db, school, users["school"])


def url(timetable: PartTimeTimetable, route: str = "") -> str:
    base = "/schools/part-time-timetables"
    return f"{base}/{timetable.notice.reference}" if not route else f"{base}{route}/{timetable.notice.reference}"


def post(client, address: str, data: dict):
    """Open the page, then send its form with `data` filled in (and its hidden fields as the page set them)."""
    page = get_page(client, address)
    hidden = {field["name"]: field.get("value", "") for field in page.select("#main-content form input[type=hidden]")}
    return client.post(address, data={**hidden, **data})


def rows(page, table_id: str) -> list[list[str]]:
    return [[text_of(cell) for cell in row.select("td")] for row in page.select(f"#{table_id} tbody tr")]


def summary(page) -> dict[str, str]:
    return {text_of(row.dt): text_of(row.dd) for row in page.select(".govuk-summary-list__row")}


def banner(page) -> str:
    return text_of(page.select_one(".govuk-notification-banner__content"))


def test_the_list_shows_current_and_ended_timetables_and_when_the_return_is_due(school_client, db, school, users, amy):
    user = users["school"]
    ben = start_timetable(
        db, school, user, upn="", first_name="Ben", last_name="Khan", event_date="2026-10-01",
        review_date="2026-12-01", hours_per_week="20",
    )  # fmt: skip
    cara = start_timetable(db, school, user, upn="", first_name="Cara", last_name="Diaz")
    service.end_timetable(db, cara, user, NOW, TODAY, ended_on=date(2026, 12, 4), outcome="full_time", details="")
    page = get_page(school_client, "/schools/part-time-timetables")
    assert text_of(page.h1) == "Part-time timetables"
    assert rows(page, "current") == [
        ["Ben Khan", "1 October 2026", "20", "1 December 2026 Review overdue"],
        ["Amy Lee", "2 November 2026", "12.5", "14 December 2026"],
    ]
    assert rows(page, "ended") == [
        ["Cara Diaz", "2 November 2026", "4 December 2026", "Back to full-time at the school"]
    ]
    assert text_of(page.select_one("#return-status")) == (
        "Not made yet Your return is due by 18 December 2026. It lists every pupil on a part-time timetable, "
        "or says there are none. Make the return"
    )
    assert page.select_one("#return-status a")["href"] == "/schools/part-time-timetables/return"
    assert [link["href"] for link in page.select("#current a")] == [url(ben), url(amy)]


def test_a_school_updates_a_timetable_and_sees_the_change_in_its_history(school_client, db, amy):
    form = get_page(school_client, url(amy, "/update"))
    assert form.find(id="hours_per_week")["value"] == "12.5"
    assert form.find(id="reason").get_text() == "Anxiety after a long illness"
    assert [form.find(id=f"review_date-{part}")["value"] for part in ("day", "month", "year")] == ["14", "12", "2026"]
    assert form.find("input", {"name": "agreed_with_parents", "checked": True})["value"] == "yes"
    response = post(
        school_client,
        url(amy, "/update"),
        {
            "hours_per_week": "15",
            "reason": "Anxiety after a long illness",
            "review_date": ["11", "1", "2027"],
            "agreed_with_parents": "yes",
        },
    )
    assert response.location == url(amy)
    page = get_page(school_client, url(amy))
    assert banner(page) == "Part-time timetable updated"
    assert summary(page)["Hours a week"] == "15"
    assert summary(page)["Review date"] == "11 January 2027"
    assert [text_of(item) for item in page.select("#history > li")] == [
        "Updated on 7 December 2026, 10:30am by Test School "
        "Hours a week: 12.5, changed to 15 Review date: 14 December 2026, changed to 11 January 2027"
    ]


def test_an_update_with_mistakes_says_what_is_wrong_keeps_what_was_typed_and_saves_nothing(school_client, db, amy):
    response = post(
        school_client,
        url(amy, "/update"),
        {"hours_per_week": "lots", "reason": "", "review_date": ["1", "", "2027"], "agreed_with_parents": "no"},
    )
    assert response.status_code == 200
    page = parse(response)
    assert page.title.get_text(strip=True).startswith("Error: ")
    assert error_summary(page) == [
        ("Hours a week must be a number more than 0 and less than 32.5", "#hours_per_week"),
        ("Enter the reason for the part-time timetable", "#reason"),
        ("Review date must include a month", "#review_date-day"),
    ]
    assert page.find(id="hours_per_week")["value"] == "lots"
    assert [page.find(id=f"review_date-{part}")["value"] for part in ("day", "year")] == ["1", "2027"]
    assert page.find("input", {"name": "agreed_with_parents", "checked": True})["value"] == "no"
    db.expire_all()
    assert (amy.hours_per_week, amy.agreed_with_parents, amy.changes) == (12.5, True, [])


def test_a_school_extends_a_timetable_with_a_reason(school_client, db, amy):
    response = post(
        school_client,
        url(amy, "/extend"),
        {"review_date": ["1", "2", "2027"], "reason": "Good progress, not there yet"},
    )
    assert response.location == url(amy)
    page = get_page(school_client, url(amy))
    assert banner(page) == "Part-time timetable extended: the next review is on 1 February 2027"
    assert [text_of(item) for item in page.select("#history > li")] == [
        "Extended on 7 December 2026, 10:30am by Test School "
        "Review date: 14 December 2026, changed to 1 February 2027 Why: Good progress, not there yet"
    ]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (["31", "2", "2027"], "New review date must be a real date"),
        (["10", "12", "2026"], "New review date must be after the current review date, 14 December 2026"),
        (["", "", ""], "Enter the new review date"),
    ],
)
def test_a_bad_review_date_is_named_in_the_error_summary_and_kept(school_client, db, amy, typed, message):
    page = parse(post(school_client, url(amy, "/extend"), {"review_date": typed, "reason": "More time"}))
    assert error_summary(page) == [(message, "#review_date-day")]
    assert [page.find(id=f"review_date-{part}")["value"] for part in ("day", "month", "year")] == typed
    assert page.find(id="reason").get_text() == "More time"
    db.expire_all()
    assert (amy.review_date, amy.changes) == (date(2026, 12, 14), [])


def test_ending_a_timetable_is_checked_before_it_is_done_and_then_it_cannot_be_changed(school_client, db, amy):
    answers = {"ended_on": ["4", "12", "2026"], "outcome": "other", "details": "Moving to a specialist provision"}
    check = parse(post(school_client, url(amy, "/end"), {**answers, "action": "check"}))
    assert text_of(check.h1) == "Check before you end the part-time timetable"
    assert summary(check) == {
        "Pupil": "Amy Lee",
        "Started": "2 November 2026",
        "Ended": "4 December 2026",
        "What happens next": "Something else: Moving to a specialist provision",
    }
    db.expire_all()
    assert amy.status == "active"  # nothing is ended until it is confirmed
    hidden = {(field["name"], field["value"]) for field in check.select("form input[type=hidden]")}
    back = parse(
        school_client.post(url(amy, "/end"), data={**dict(hidden), "ended_on": ["4", "12", "2026"], "action": "change"})
    )
    assert text_of(back.h1) == "End the part-time timetable"
    assert back.find("input", {"name": "outcome", "checked": True})["value"] == "other"
    assert back.find(id="details").get_text() == "Moving to a specialist provision"

    response = school_client.post(
        url(amy, "/end"), data={**dict(hidden), "ended_on": ["4", "12", "2026"], "action": "end"}
    )
    assert response.location == url(amy)
    page = get_page(school_client, url(amy))
    assert banner(page) == "Part-time timetable ended"
    assert summary(page)["Status"] == "Ended on 4 December 2026"
    assert summary(page)["What happens next"] == "Something else: Moving to a specialist provision"
    assert page.select(".govuk-button-group a") == []
    for route in ROUTES[1:]:
        refused = school_client.get(url(amy, route))
        assert refused.location == url(amy)
        assert banner(get_page(school_client, url(amy))) == (
            "This part-time timetable ended on 4 December 2026, so it cannot be changed"
        )
    db.expire_all()
    assert (amy.status, amy.ended_on, len(amy.changes)) == ("ended", date(2026, 12, 4), 1)


def test_an_end_date_in_the_future_or_no_outcome_is_refused(school_client, db, amy):
    page = parse(post(school_client, url(amy, "/end"), {"ended_on": ["8", "12", "2026"], "action": "check"}))
    assert error_summary(page) == [
        ("End date must be today or in the past", "#ended_on-day"),
        ("Select what happens next", "#outcome"),
    ]
    db.expire_all()
    assert amy.status == "active"


def test_a_page_left_open_too_long_keeps_what_was_typed_and_saves_nothing(school_client, db, amy):
    response = school_client.post(
        url(amy, "/extend"), data={"csrf_token": "expired", "review_date": ["1", "2", "2027"], "reason": "More time"}
    )
    page = parse(response)
    assert error_summary(page) == [(STALE_PAGE, "#review_date")]
    assert page.find(id="review_date-day")["value"] == "1"
    db.expire_all()
    assert amy.review_date == date(2026, 12, 14)


# The termly return


def test_a_school_confirms_its_current_timetables_as_this_terms_return(school_client, db, school, amy):
    page = get_page(school_client, "/schools/part-time-timetables/return")
    assert text_of(page.select_one(".govuk-caption-l")) == "Autumn term 2026"
    assert rows(page, "current") == [
        ["Amy Lee", "1 October 2015", "2 November 2026", "12.5", "14 December 2026", "Yes"]
    ]
    assert text_of(page.find("label", {"for": "confirm"})) == (
        "I confirm these are all our pupils on part-time timetables, and each one is right"
    )
    unconfirmed = parse(post(school_client, "/schools/part-time-timetables/return", {"seen": amy.notice.reference}))
    assert error_summary(unconfirmed) == [
        ("Confirm that these are all your school's current part-time timetables and each is right", "#confirm")
    ]
    assert db.scalars(select(TimetableReturn)).all() == []

    response = post(school_client, "/schools/part-time-timetables/return", {"confirm": "y"})
    assert response.location == "/schools/part-time-timetables/return-made"
    made = get_page(school_client, response.location)
    assert text_of(made.select_one(".govuk-panel")) == "Return made Autumn term 2026: 1 part-time timetable"
    stored = db.scalars(select(TimetableReturn)).one()
    assert (stored.term, stored.submitted_at, stored.nil_return, [t["notice"] for t in stored.timetables]) == (
        "2026-autumn",
        NOW,
        False,
        [amy.notice.reference],
    )
    listing = get_page(school_client, "/schools/part-time-timetables")
    assert text_of(listing.select_one("#return-status")) == (
        "Made You made this term's return on 7 December 2026. Check the return or make it again"
    )
    again = get_page(school_client, "/schools/part-time-timetables/return")
    assert text_of(again.select_one(".govuk-inset-text")) == (
        "You made this term's return on 7 December 2026. If anything has changed since, confirm again: "
        "your new return replaces it."
    )


def test_a_school_with_no_timetables_makes_a_nil_return(school_client, db, school):
    page = get_page(school_client, "/schools/part-time-timetables/return")
    assert text_of(page.find("label", {"for": "confirm"})) == (
        "I confirm no pupils at Millfield Primary School are on a part-time timetable"
    )
    assert text_of(page.select_one("#main-content form button")) == "Make a nil return"
    response = post(school_client, "/schools/part-time-timetables/return", {"confirm": "y"})
    made = get_page(school_client, response.location)
    assert text_of(made.select_one(".govuk-panel")) == "Return made Autumn term 2026: nil return"
    assert db.scalars(select(TimetableReturn.nil_return)).one() is True


def test_a_list_changed_by_a_colleague_meanwhile_is_shown_again_before_it_is_returned(
    school_client, db, school, users, amy
):
    page = get_page(school_client, "/schools/part-time-timetables/return")
    start_timetable(db, school, users["school"], upn="", first_name="Ben", last_name="Khan")
    response = school_client.post(
        "/schools/part-time-timetables/return",
        data={
            "csrf_token": csrf_token(page),
            "seen": page.find("input", {"name": "seen"})["value"],
            "replaces": "",
            "confirm": "y",
        },
    )
    shown = parse(response)
    assert error_summary(shown) == [
        (
            "Your school's part-time timetables changed while you were on this page. Check the list and confirm it.",
            "#confirm",
        )
    ]
    assert [row[0] for row in rows(shown, "current")] == ["Ben Khan", "Amy Lee"]
    assert db.scalars(select(TimetableReturn)).all() == []
    second = school_client.post(
        "/schools/part-time-timetables/return",
        data={
            "csrf_token": csrf_token(shown),
            "seen": shown.find("input", {"name": "seen"})["value"],
            "replaces": "",
            "confirm": "y",
        },
    )
    assert second.location == "/schools/part-time-timetables/return-made"
    assert len(db.scalars(select(TimetableReturn)).one().timetables) == 2


def test_the_confirmation_page_needs_a_return(school_client):
    response = school_client.get("/schools/part-time-timetables/return-made")
    assert response.location == "/schools/part-time-timetables/return"


def test_the_reminder_links_to_the_return_page(app):
    with app.test_request_context():
        from flask import url_for

        assert url_for("schools.timetable_return") == service.RETURN_PATH


# Who may see what


def test_another_schools_user_finds_none_of_this_schools_timetables(client, db, school, users, amy):
    user_service.create_user(db, "head@riverside.example", "R Head", "school", PASSWORD, 990102)
    sign_in(client, "head@riverside.example")
    assert {route: client.get(url(amy, route)).status_code for route in ROUTES} == dict.fromkeys(ROUTES, 404)
    answers = {
        "hours_per_week": "1", "reason": "x", "review_date": ["1", "1", "2027"], "agreed_with_parents": "no",
        "ended_on": ["4", "12", "2026"], "outcome": "left", "action": "end",
    }  # fmt: skip
    posted = {route: client.post(url(amy, route), data=answers).status_code for route in ROUTES[1:]}
    assert posted == dict.fromkeys(ROUTES[1:], 404)
    listing = get_page(client, "/schools/part-time-timetables")
    assert listing.select("#current") == [] and "Amy" not in text_of(listing)
    returned = get_page(client, "/schools/part-time-timetables/return")
    assert "Amy" not in text_of(returned)
    post(client, "/schools/part-time-timetables/return", {"confirm": "y"})
    theirs = db.scalars(select(TimetableReturn)).one()  # their own nil return: Millfield's pupil is not in it
    assert (theirs.school.urn, theirs.nil_return) == (990102, True)
    db.expire_all()
    assert (amy.status, amy.changes) == ("active", [])
    assert db.scalars(select(AuditEvent).where(AuditEvent.object_type == "part_time_timetable")).all() == []


@pytest.mark.parametrize("role", ["officer", "lead", "manager", "admin"])
def test_council_staff_are_refused_the_schools_pages(client, users, amy, role):
    sign_in(client, f"{role}@northbridge.example")
    pages = ["/schools/part-time-timetables", "/schools/part-time-timetables/return"]
    pages += ["/schools/part-time-timetables/return-made"] + [url(amy, route) for route in ROUTES]
    assert {page: client.get(page).status_code for page in pages} == dict.fromkeys(pages, 403)
    assert client.post("/schools/part-time-timetables/return", data={"confirm": "y"}).status_code == 403


# The daily command


def remind_on(app, clock, day: date):
    clock.set(day)
    return app.test_cli_runner().invoke(args=["schools", "remind-returns"])


def test_cme_schools_remind_returns_waits_until_reminders_are_due(app, clock, users, mailbox):
    result = remind_on(app, clock, date(2026, 12, 3))
    assert (result.exit_code, result.output) == (
        0,
        "No schools reminded: reminders about the Autumn term 2026 return (due by 18 December 2026) start on "
        "4 December 2026.\n",
    )
    assert mailbox.messages == []


def test_cme_schools_remind_returns_emails_each_school_once_a_term(app, db, clock, users, amy, mailbox):
    first = remind_on(app, clock, date(2026, 12, 7))
    assert (first.exit_code, first.output) == (
        0,
        "Reminded 1 school(s) about the Autumn term 2026 return, due by 18 December 2026.\nSent 1 email(s).\n",
    )
    [email] = mailbox.wait_for(1)
    assert (email["To"], email["Subject"]) == (
        "school@northbridge.example",
        "Part-time timetable return due by 18 December 2026",
    )
    body = email.get_content()
    assert "Make the return: https://cme.northbridge.example/schools/part-time-timetables/return" in body
    assert not any(detail in body for detail in ("Amy", "Lee", "B801200005001", "Anxiety"))
    again = remind_on(app, clock, date(2026, 12, 8))
    assert again.output == "Reminded 0 school(s) about the Autumn term 2026 return, due by 18 December 2026.\n"
    assert len(mailbox.messages) == 1
    assert db.scalars(select(TimetableReturn.reminded_at)).one() == NOW
