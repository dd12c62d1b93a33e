"""A school keeps its pupils' part-time timetables up to date, makes its termly return of them, and is reminded
once a term when the return is due."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from shared.domain.notices import check_notice
from shared.domain.problems import Problem, Refused
from shared.domain.school_days import SchoolCalendar, parse_term_dates
from shared.domain.terms import return_schedule
from shared.models import AuditEvent, OutboxMessage, PartTimeTimetable, TimetableReturn
from shared.services import timetables
from shared.services import users as user_service
from shared.services.notices import send_notices
from shared.services.timetables import ReturnRefused
from tests.conftest import PASSWORD

TERM_DATES = """kind,start,end,description
term,2026-09-02,2026-10-23,Autumn 2026 first half
term,2026-11-02,2026-12-18,Autumn 2026 second half
term,2027-01-04,2027-02-12,Spring 2027 first half
term,2027-02-22,2027-03-26,Spring 2027 second half
"""
CALENDAR = SchoolCalendar(parse_term_dates(TERM_DATES))
TODAY = date(2026, 12, 7)  # a Monday in the autumn term: its return is due by Friday 18 December
NOW = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)
LATER = datetime(2026, 12, 8, 9, 15, tzinfo=UTC)
SERVICE_URL = "https://cme.northbridge.example"
PUPIL_DETAILS = ("Amy", "Lee", "Ben", "Khan", "B801200005001", "anxiety", "Anxiety")


def start_timetable(db, school, user, **answers) -> PartTimeTimetable:
    """A part-time notice sent as the school sends one, which starts the timetable."""
    raw = {
        "kind": "part_time",
        "upn": "B801200005001",
        "first_name": "Amy",
        "last_name": "Lee",
        "date_of_birth": "2015-10-01",
        "event_date": "2026-11-02",
        "hours_per_week": "12.5",
        "reason": "Anxiety after a long illness: building back up to full days",
        "review_date": "2026-12-14",
        "agreed_with_parents": "yes",
    }
    raw.update(answers)
    checked, problems = check_notice(raw, TODAY)
    assert problems == []
    sent = send_notices(db, school, user, [checked], NOW, TODAY, CALENDAR.add_school_days, SERVICE_URL)
    return timetables.find_timetable(db, school.id, sent.references[0])


@pytest.fixture
def user(users):
    return users["school"]


@pytest.fixture
def amy(db, school, user):
    return start_timetable(db, school, user)


def audit_of(db, object_type: str) -> list[tuple]:
    events = db.scalars(select(AuditEvent).where(AuditEvent.object_type == object_type).order_by(AuditEvent.id))
    return [(event.actor_label, event.action, event.object_id, event.after) for event in events]


def test_a_part_time_notice_starts_a_timetable_the_school_can_find_by_its_reference(db, school, amy):
    assert (amy.status, amy.start_date, amy.hours_per_week, amy.review_date, amy.agreed_with_parents) == (
        "active",
        date(2026, 11, 2),
        12.5,
        date(2026, 12, 14),
        True,
    )
    assert timetables.find_timetable(db, school.id, amy.notice.reference.lower()).id == amy.id
    other_school_id = school.id + 1
    assert timetables.find_timetable(db, other_school_id, amy.notice.reference) is None


def test_updating_keeps_who_changed_what_from_what_to_what(db, amy, user):
    timetables.update_timetable(
        db,
        amy,
        user,
        LATER,
        hours_per_week="15",
        reason=amy.reason,
        review_date=date(2026, 12, 14),
        agreed_with_parents="no",
    )
    db.expire_all()
    assert (amy.hours_per_week, amy.agreed_with_parents, amy.updated_at) == (15.0, False, LATER)
    assert amy.changes == [
        {
            "action": "update",
            "at": "2026-12-08T09:15:00+00:00",
            "by": "Test School",
            "by_id": user.id,
            "from": {"hours_per_week": 12.5, "agreed_with_parents": True},
            "to": {"hours_per_week": 15.0, "agreed_with_parents": False},
        }
    ]
    assert audit_of(db, "part_time_timetable") == [
        (
            "school@northbridge.example",
            "update",
            amy.id,
            {"notice": amy.notice.reference, "changed": ["agreed_with_parents", "hours_per_week"]},
        )
    ]


def test_an_update_says_exactly_what_is_wrong_and_changes_nothing(db, amy, user):
    with pytest.raises(Refused) as refused:
        timetables.update_timetable(
            db,
            amy,
            user,
            LATER,
            hours_per_week="40",
            reason="x" * 1001,
            review_date=date(2026, 11, 2),
            agreed_with_parents="",
        )
    assert refused.value.problems == [
        Problem("hours_per_week", "Hours a week must be a number more than 0 and less than 32.5"),
        Problem("reason", "Reason must be 1,000 characters or fewer"),
        Problem("review_date", "Review date must be after the start date, 2 November 2026"),
        Problem("agreed_with_parents", "Select yes if the parents have agreed to the timetable"),
    ]
    db.expire_all()
    assert (amy.hours_per_week, amy.changes) == (12.5, [])
    assert audit_of(db, "part_time_timetable") == []


def test_an_update_that_changes_nothing_is_refused(db, amy, user):
    with pytest.raises(Refused) as refused:
        timetables.update_timetable(
            db,
            amy,
            user,
            LATER,
            hours_per_week="12.5",
            reason=amy.reason,
            review_date=amy.review_date,
            agreed_with_parents="yes",
        )
    assert refused.value.problems == [
        Problem("", "You have not changed anything. Change an answer, or go back to the timetable")
    ]


def test_extending_moves_the_review_date_later_and_keeps_why(db, amy, user):
    timetables.extend_timetable(
        db, amy, user, LATER, TODAY, review_date=date(2027, 2, 1), reason="Good progress: two more mornings"
    )
    db.expire_all()
    assert amy.review_date == date(2027, 2, 1)
    assert amy.changes == [
        {
            "action": "extend",
            "at": "2026-12-08T09:15:00+00:00",
            "by": "Test School",
            "by_id": user.id,
            "from": {"review_date": "2026-12-14"},
            "to": {"review_date": "2027-02-01"},
            "reason": "Good progress: two more mornings",
        }
    ]
    assert audit_of(db, "part_time_timetable")[0][1:] == (
        "extend",
        amy.id,
        {"notice": amy.notice.reference, "changed": ["review_date"]},
    )


@pytest.mark.parametrize(
    ("review_date", "reason", "problems"),
    [
        (
            None,
            "",
            [("review_date", "Enter the new review date"), ("reason", "Enter why the timetable is being extended")],
        ),
        (
            date(2026, 12, 14),
            "Still anxious",
            [("review_date", "New review date must be after the current review date, 14 December 2026")],
        ),
    ],
)
def test_an_extension_needs_a_later_review_date_and_a_reason(db, amy, user, review_date, reason, problems):
    with pytest.raises(Refused) as refused:
        timetables.extend_timetable(db, amy, user, LATER, TODAY, review_date=review_date, reason=reason)
    assert [(problem.field, problem.message) for problem in refused.value.problems] == problems


def test_an_overdue_review_cannot_be_extended_to_a_date_already_past(db, school, user):
    overdue = start_timetable(db, school, user, event_date="2026-10-01", review_date="2026-11-16")
    with pytest.raises(Refused) as refused:
        timetables.extend_timetable(db, overdue, user, LATER, TODAY, review_date=date(2026, 12, 1), reason="More time")
    assert refused.value.problems == [Problem("review_date", "New review date must be today or in the future")]


def test_ending_records_the_date_and_what_happens_next(db, amy, user):
    timetables.end_timetable(
        db, amy, user, LATER, TODAY, ended_on=date(2026, 12, 4), outcome="full_time", details="Full days from Monday"
    )
    db.expire_all()
    assert (amy.status, amy.ended_on, amy.end_reason) == (
        "ended",
        date(2026, 12, 4),
        "Back to full-time at the school: Full days from Monday",
    )
    assert amy.changes[0]["from"] == {"status": "active", "ended_on": None, "end_reason": None}
    assert amy.changes[0]["to"] == {
        "status": "ended",
        "ended_on": "2026-12-04",
        "end_reason": "Back to full-time at the school: Full days from Monday",
    }
    assert audit_of(db, "part_time_timetable")[0][1:] == (
        "end",
        amy.id,
        {"notice": amy.notice.reference, "changed": ["end_reason", "ended_on", "status"]},
    )


@pytest.mark.parametrize(
    ("ended_on", "outcome", "details", "problems"),
    [
        (
            None,
            "",
            "",
            [("ended_on", "Enter the date the part-time timetable ended"), ("outcome", "Select what happens next")],
        ),
        (
            date(2026, 11, 1),
            "full_time",
            "",
            [("ended_on", "End date must be on or after the start date, 2 November 2026")],
        ),
        (date(2026, 12, 8), "full_time", "", [("ended_on", "End date must be today or in the past")]),
        (date(2026, 12, 7), "other", "", [("details", "Enter what happens next")]),
        (date(2026, 12, 7), "left", "y" * 1001, [("details", "What happens next must be 1,000 characters or fewer")]),
    ],
)
def test_an_ending_needs_a_date_from_the_start_to_today_and_what_happens_next(
    db, amy, user, ended_on, outcome, details, problems
):
    with pytest.raises(Refused) as refused:
        timetables.end_timetable(db, amy, user, LATER, TODAY, ended_on=ended_on, outcome=outcome, details=details)
    assert [(problem.field, problem.message) for problem in refused.value.problems] == problems
    db.expire_all()
    assert (amy.status, amy.changes) == ("active", [])


def test_an_ended_timetable_cannot_be_changed(db, amy, user):
    timetables.end_timetable(db, amy, user, LATER, TODAY, ended_on=date(2026, 12, 4), outcome="left", details="")
    attempts = [
        lambda: timetables.update_timetable(
            db,
            amy,
            user,
            LATER,
            hours_per_week="20",
            reason="r",
            review_date=date(2027, 1, 1),
            agreed_with_parents="yes",
        ),
        lambda: timetables.extend_timetable(db, amy, user, LATER, TODAY, review_date=date(2027, 2, 1), reason="r"),
        lambda: timetables.end_timetable(
            db, amy, user, LATER, TODAY, ended_on=date(2026, 12, 7), outcome="full_time", details=""
        ),
    ]
    for attempt in attempts:
        with pytest.raises(Refused) as refused:
            attempt()
        assert refused.value.problems == [
            Problem("", "This part-time timetable ended on 4 December 2026, so it cannot be changed")
        ]
    db.expire_all()
    assert (amy.end_reason, len(amy.changes)) == ("Left the school", 1)


# The termly return

SCHEDULE = return_schedule(TODAY, CALENDAR)


def test_the_return_lists_every_current_timetable_as_it_stood(db, school, user, amy):
    ben = start_timetable(
        db, school, user, upn="", first_name="Ben", last_name="Khan", hours_per_week="20", agreed_with_parents="no"
    )
    made = timetables.make_return(
        db, school, user, SCHEDULE, NOW, seen=[amy.notice.reference, ben.notice.reference], replaces=""
    )
    assert (made.term, made.due_on, made.submitted_at, made.submitted_by_id, made.nil_return) == (
        "2026-autumn",
        date(2026, 12, 18),
        NOW,
        user.id,
        False,
    )
    assert made.timetables == [  # soonest review first, then by surname
        {
            "notice": ben.notice.reference,
            "upn": None,
            "first_name": "Ben",
            "last_name": "Khan",
            "date_of_birth": "2015-10-01",
            "start_date": "2026-11-02",
            "hours_per_week": 20.0,
            "reason": "Anxiety after a long illness: building back up to full days",
            "review_date": "2026-12-14",
            "agreed_with_parents": False,
        },
        {
            "notice": amy.notice.reference,
            "upn": "B801200005001",
            "first_name": "Amy",
            "last_name": "Lee",
            "date_of_birth": "2015-10-01",
            "start_date": "2026-11-02",
            "hours_per_week": 12.5,
            "reason": "Anxiety after a long illness: building back up to full days",
            "review_date": "2026-12-14",
            "agreed_with_parents": True,
        },
    ]
    assert audit_of(db, "timetable_return") == [
        (
            "school@northbridge.example",
            "create",
            made.id,
            {"term": "2026-autumn", "timetables": 2, "nil_return": False},
        )
    ]


def test_a_nil_return_is_refused_while_the_school_has_current_timetables(db, school, user, amy):
    with pytest.raises(ReturnRefused) as refused:
        timetables.make_return(db, school, user, SCHEDULE, NOW, seen=[], replaces="")
    assert str(refused.value) == (
        "Your school has 1 current part-time timetable, so it cannot make a nil return. Check the list and confirm it."
    )
    assert db.scalars(select(TimetableReturn)).all() == []


def test_a_school_with_no_current_timetables_makes_a_nil_return(db, school, user, amy):
    timetables.end_timetable(db, amy, user, NOW, TODAY, ended_on=date(2026, 12, 4), outcome="full_time", details="")
    made = timetables.make_return(db, school, user, SCHEDULE, LATER, seen=[], replaces="")
    assert (made.nil_return, made.timetables, made.submitted_at) == (True, [], LATER)


def test_a_list_that_changed_while_the_school_looked_is_not_returned(db, school, user, amy):
    start_timetable(db, school, user, first_name="Ben")  # by a colleague, after the page was shown
    with pytest.raises(ReturnRefused) as refused:
        timetables.make_return(db, school, user, SCHEDULE, NOW, seen=[amy.notice.reference], replaces="")
    assert str(refused.value) == (
        "Your school's part-time timetables changed while you were on this page. Check the list and confirm it."
    )
    assert db.scalars(select(TimetableReturn)).all() == []


def test_a_return_made_again_replaces_the_first_but_never_by_surprise(db, school, user, amy):
    first = timetables.make_return(db, school, user, SCHEDULE, NOW, seen=[amy.notice.reference], replaces="")
    # A colleague who opened the page before the first return was made cannot overwrite it unknowingly.
    with pytest.raises(ReturnRefused) as refused:
        timetables.make_return(db, school, user, SCHEDULE, LATER, seen=[amy.notice.reference], replaces="")
    assert str(refused.value) == (
        "Someone at your school made the Autumn term 2026 return while you were on this page. "
        "Check the part-time timetables below and confirm them again to replace it."
    )
    timetables.end_timetable(db, amy, user, LATER, TODAY, ended_on=date(2026, 12, 7), outcome="full_time", details="")
    again = timetables.make_return(
        db, school, user, SCHEDULE, LATER, seen=[], replaces=timetables.return_version(first)
    )
    assert (again.id, again.submitted_at, again.nil_return, again.timetables) == (first.id, LATER, True, [])
    assert [event[1] for event in audit_of(db, "timetable_return")] == ["create", "replace"]


# Reminders


@pytest.fixture
def colleague(db, school):
    return user_service.create_user(db, "deputy@northbridge.example", "Dee Puty", "school", PASSWORD, school.urn)


def remind(db, today: date, now: datetime = NOW):
    return timetables.send_return_reminders(db, today, now, CALENDAR, SERVICE_URL)


def outbox(db) -> list[tuple[str, str, str]]:
    messages = db.scalars(
        select(OutboxMessage).where(OutboxMessage.subject.like("Part-time%")).order_by(OutboxMessage.id)
    )
    return [(message.to_address, message.subject, message.body) for message in messages]


def test_no_reminders_before_ten_school_days_before_the_return_is_due(db, school, users, amy):
    reminders = remind(db, date(2026, 12, 3))
    assert (reminders.schools, reminders.outbox_ids, reminders.schedule.reminders_from) == (0, (), date(2026, 12, 4))
    assert db.scalars(select(TimetableReturn)).all() == []


def test_every_school_user_is_reminded_once_a_term_with_no_pupil_details(db, school, users, colleague, amy):
    reminders = remind(db, date(2026, 12, 4))
    assert reminders.schools == 1  # the other school has no users, so nobody there could make the return
    subject = "Part-time timetable return due by 18 December 2026"
    body = (
        "Millfield Primary School has not yet made its return of part-time timetables for the Autumn term 2026. "
        "It is due by 18 December 2026.\n\n"
        "The service holds 1 current part-time timetable for your school: check each one is still right, update or "
        "end any that have changed, and confirm them.\n\n"
        "Make the return: https://cme.northbridge.example/schools/part-time-timetables/return\n"
    )
    assert outbox(db) == [
        ("deputy@northbridge.example", subject, body),
        ("school@northbridge.example", subject, body),
    ]
    assert not any(detail in body for detail in PUPIL_DETAILS)
    row = db.scalars(select(TimetableReturn)).one()
    assert (row.school_id, row.term, row.due_on, row.reminded_at, row.submitted_at) == (
        school.id,
        "2026-autumn",
        date(2026, 12, 18),
        NOW,
        None,
    )
    assert audit_of(db, "timetable_return") == [
        ("system", "remind", row.id, {"term": "2026-autumn", "school_urn": 990101})
    ]
    again = remind(db, date(2026, 12, 7), LATER)
    assert (again.schools, again.outbox_ids, len(outbox(db))) == (0, (), 2)


def test_a_school_that_made_its_return_is_not_reminded(db, school, user, amy):
    timetables.make_return(db, school, user, SCHEDULE, NOW, seen=[amy.notice.reference], replaces="")
    assert remind(db, date(2026, 12, 10)).schools == 0
    assert outbox(db) == []


def test_a_school_without_timetables_is_reminded_to_make_a_nil_return_and_inactive_users_are_not(db, school, users):
    other = user_service.create_user(db, "head@riverside.example", "R Head", "school", PASSWORD, 990102)
    left = user_service.create_user(db, "left@northbridge.example", "Gone", "school", PASSWORD, school.urn)
    left.active = False
    db.commit()
    reminders = remind(db, date(2026, 12, 21))  # in the holiday, after the return was due
    assert reminders.schools == 2
    sent = outbox(db)
    assert [address for address, _, _ in sent] == ["school@northbridge.example", other.email]
    assert sent[1][2] == (
        "Riverside Junior School has not yet made its return of part-time timetables for the Autumn term 2026. "
        "It was due by 18 December 2026.\n\n"
        "The service holds no current part-time timetables for your school: if that is right, make a nil return; "
        "if a pupil is on a part-time timetable, send a part-time timetable notice first.\n\n"
        "Make the return: https://cme.northbridge.example/schools/part-time-timetables/return\n"
    )


def test_the_next_term_brings_its_own_reminder(db, school, users):
    remind(db, date(2026, 12, 4))
    spring = remind(db, date(2027, 3, 11))
    assert (spring.schedule.term.key, spring.schools) == ("2027-spring", 1)
    assert [row.term for row in db.scalars(select(TimetableReturn).order_by(TimetableReturn.id))] == [
        "2026-autumn",
        "2027-spring",
    ]
