"""A case's reasonable enquiries: when a check is overdue, what it is called, which answers can be recorded, and the
service that records, adds and sets aside checks (one transaction each, audited, refused on a closed case, and
never overwriting a colleague's save)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from shared.clock import UK
from shared.domain.checks import (
    CLOSED_CASE,
    adding_problems,
    check_label,
    contact_problems,
    is_overdue,
    not_applicable_problems,
    recording_problems,
)
from shared.domain.enquiries import DEFAULT_DUE_SCHOOL_DAYS, STANDARD_CHECKS
from shared.domain.problems import Problem, Refused
from shared.domain.school_days import SchoolCalendar, parse_term_dates
from shared.models import AuditEvent, Case, Child, Enquiry
from shared.services import checks
from shared.services.cases import CaseSettings, StaleEdit, open_case

TERM_DATES = """kind,start,end,description
term,2026-09-02,2026-10-23,Autumn 2026 first half
term,2026-11-02,2026-12-18,Autumn 2026 second half
term,2027-01-04,2027-02-12,Spring 2027 first half
"""
CALENDAR = SchoolCalendar(parse_term_dates(TERM_DATES))
SETTINGS = CaseSettings(calendar=CALENDAR, due_days=dict(DEFAULT_DUE_SCHOOL_DAYS))
TODAY = date(2026, 11, 23)  # a Monday in term


@dataclass
class Check:
    status: str
    due_on: date


# When a check is overdue ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "due_on", "overdue"),
    [
        ("to_do", TODAY - timedelta(days=1), True),  # due yesterday, not done
        ("asked", TODAY - timedelta(days=1), True),  # asked, still waiting after its due date
        ("to_do", TODAY, False),  # due today is not yet overdue
        ("to_do", TODAY + timedelta(days=1), False),
        ("done", TODAY - timedelta(days=30), False),
        ("not_applicable", TODAY - timedelta(days=30), False),
    ],
)
def test_a_check_is_overdue_when_still_open_after_its_due_date(status, due_on, overdue):
    assert is_overdue(Check(status, due_on), TODAY) is overdue


def test_checks_are_named_for_their_kind_authority_or_description():
    assert check_label("police") == "Police"
    assert (
        check_label("previous_la", other_authority="Leeds City Council")
        == "Previous local authority: Leeds City Council"
    )
    assert check_label("destination_la") == "Destination local authority"
    assert check_label("other", description="The family's GP surgery") == "The family's GP surgery"
    assert check_label("other") == "Other enquiry"


# What can be recorded -------------------------------------------------------------------------------------------


def messages(problems: list[Problem]) -> dict[str, str]:
    return {problem.field: problem.message for problem in problems}


def test_a_check_must_have_been_asked_and_its_answer_must_follow_it():
    assert messages(recording_problems(None, None, None, None, TODAY)) == {
        "asked_on": "Enter the date the check was asked"
    }
    assert messages(recording_problems(TODAY - timedelta(days=2), TODAY - timedelta(days=3), "located", "", TODAY)) == {
        "answered_on": "Date answered must be the same as or after the date asked"
    }
    assert recording_problems(TODAY - timedelta(days=2), TODAY - timedelta(days=2), "not_known", "", TODAY) == []
    assert recording_problems(TODAY - timedelta(days=2), None, None, None, TODAY) == []  # asked, still waiting


def test_dates_in_the_future_are_refused():
    assert messages(recording_problems(TODAY + timedelta(days=1), None, None, None, TODAY)) == {
        "asked_on": "Date asked must be today or in the past"
    }
    assert messages(recording_problems(TODAY, TODAY + timedelta(days=1), "located", None, TODAY)) == {
        "answered_on": "Date answered must be today or in the past"
    }


def test_an_answer_needs_its_result_and_a_result_its_date():
    assert messages(recording_problems(TODAY, TODAY, None, "They know the family", TODAY)) == {
        "result": "Select the result of the check"
    }
    assert messages(recording_problems(TODAY, None, "no_reply", None, TODAY)) == {
        "answered_on": "Enter the date the answer came, or the day you stopped waiting"
    }
    assert messages(recording_problems(TODAY, TODAY, "maybe", None, TODAY)) == {
        "result": "Select the result of the check"
    }
    assert messages(recording_problems(TODAY, None, None, "x" * 5001, TODAY)) == {
        "answer": "What they said must be 5,000 characters or fewer"
    }


def test_an_added_check_needs_its_kind_and_what_the_kind_asks_for():
    assert messages(adding_problems(None, None, None, None, TODAY)) == {"check_type": "Select the kind of check"}
    assert messages(adding_problems("other", None, None, None, TODAY)) == {"description": "Enter what the check is"}
    assert messages(adding_problems("previous_la", None, None, None, TODAY)) == {
        "previous_authority": "Enter the name of the local authority"
    }
    assert messages(adding_problems("destination_la", None, None, None, TODAY)) == {
        "destination_authority": "Enter the name of the local authority"
    }
    assert messages(adding_problems("police", None, None, TODAY - timedelta(days=1), TODAY)) == {
        "due_on": "Due date must be today or in the future"
    }
    assert adding_problems("police", None, None, TODAY, TODAY) == []


def test_setting_a_check_aside_needs_a_reason():
    assert messages(not_applicable_problems("")) == {"reason": "Enter why this check is not needed"}
    assert not_applicable_problems("Never lived outside the authority") == []


NOW_UK = datetime(2026, 11, 23, 14, 30, tzinfo=UK)


def test_a_contact_cannot_be_in_the_future():
    def problems(at):
        return messages(contact_problems("phone", at, "Jo Whitcombe", None, "Rang, no answer", NOW_UK))

    assert problems(NOW_UK - timedelta(minutes=1)) == {}
    assert problems(NOW_UK) == {}
    assert problems(NOW_UK + timedelta(minutes=1)) == {"occurred_time": "Time must be now or in the past"}
    assert problems(NOW_UK + timedelta(days=1)) == {"occurred_on": "Date must be today or in the past"}


def test_a_contact_says_who_it_was_with_and_what_happened_but_a_note_is_only_its_text():
    assert messages(contact_problems(None, NOW_UK, None, None, None, NOW_UK)) == {
        "kind": "Select the kind of contact",
        "text": "Enter what was said or done",
    }
    assert messages(contact_problems("home_visit", NOW_UK, "", None, "Nobody home", NOW_UK)) == {
        "with_whom": "Enter who the contact was with"
    }
    assert messages(contact_problems("note", NOW_UK, "", None, "", NOW_UK)) == {"text": "Enter the note"}
    assert contact_problems("note", NOW_UK, "", None, "Spoke to the school nurse", NOW_UK) == []


# The service ----------------------------------------------------------------------------------------------------


@pytest.fixture
def case(db, users) -> Case:
    child = Child(first_name="Ellie", last_name="Whitcombe", date_of_birth=date(2015, 10, 1))
    db.add(child)
    opened = open_case(db, child=child, actor=users["lead"], today=TODAY, settings=SETTINGS)
    db.commit()
    return opened


def the_check(case: Case, kind: str) -> Enquiry:
    return next(check for check in case.enquiries if check.check_type == kind)


def test_opening_a_case_gives_it_the_standard_checks_due_in_school_days(case):
    due = {check.check_type: check.due_on for check in case.enquiries}
    assert set(due) == set(STANDARD_CHECKS)
    assert due["social_care"] == date(2026, 11, 25)  # 2 school days
    assert due["police"] == date(2026, 11, 30)  # 5 school days, over the weekend
    assert due["benefits"] == date(2026, 12, 7)  # 10 school days


def test_recording_an_answer_makes_the_check_done_and_is_audited(db, users, case):
    police = the_check(case, "police")
    checks.record_check(
        db,
        police,
        users["officer"],
        TODAY,
        version=police.version,
        asked_on=date(2026, 11, 18),
        answered_on=date(2026, 11, 20),
        result="not_known",
        answer="No record of the family",
    )
    db.expire_all()
    saved = db.get(Enquiry, police.id)
    assert (saved.status, saved.asked_on, saved.answered_on, saved.result, saved.answer, saved.version) == (
        "done",
        date(2026, 11, 18),
        date(2026, 11, 20),
        "not_known",
        "No record of the family",
        2,
    )
    event = db.scalars(select(AuditEvent).where(AuditEvent.object_type == "enquiry")).one()
    assert (event.action, event.object_id, event.actor_label) == (
        "check.answered",
        police.id,
        "officer@northbridge.example",
    )
    assert (event.before["status"], event.after["status"], event.after["answered_on"]) == (
        "to_do",
        "done",
        "2026-11-20",
    )


def test_a_check_asked_and_waiting_is_asked(db, users, case):
    housing = the_check(case, "housing")
    checks.record_check(
        db, housing, users["officer"], TODAY, version=1, asked_on=TODAY, answered_on=None, result=None, answer=None
    )
    assert (housing.status, housing.asked_on, housing.answered_on) == ("asked", TODAY, None)


def test_two_officers_saving_the_same_check_the_second_is_refused_and_the_first_kept(app, db, users, case):
    police = the_check(case, "police")
    with app.extensions["cme.database"].session() as other_session:
        theirs = other_session.get(Enquiry, police.id)  # the second officer has the check open too
        checks.record_check(
            db,
            police,
            users["officer"],
            TODAY,
            version=1,
            asked_on=TODAY,
            answered_on=TODAY,
            result="located",
            answer="Known to them: living at 3 Mill Lane",
        )
        with pytest.raises(StaleEdit):
            checks.record_check(
                other_session,
                theirs,
                users["lead"],
                TODAY,
                version=1,
                asked_on=TODAY,
                answered_on=TODAY,
                result="not_known",
                answer="Not known to them",
            )
    db.expire_all()
    saved = db.get(Enquiry, police.id)
    assert (saved.result, saved.answer, saved.version) == ("located", "Known to them: living at 3 Mill Lane", 2)
    assert [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.object_type == "enquiry"))] == [
        "check.answered"
    ]


def test_a_save_from_an_older_page_is_refused_before_anything_is_written(db, users, case):
    police = the_check(case, "police")
    checks.record_check(
        db, police, users["officer"], TODAY, version=1, asked_on=TODAY, answered_on=None, result=None, answer=None
    )
    with pytest.raises(StaleEdit) as refused:
        checks.mark_not_applicable(db, police, users["lead"], version=1, reason="Not needed")
    assert refused.value.what == "check"
    assert police.status == "asked"


def test_adding_a_check_works_out_its_due_date_unless_one_is_given(db, users, case):
    leeds = checks.add_check(
        db, case, users["officer"], TODAY, SETTINGS, check_type="previous_la", other_authority="Leeds City Council"
    )
    assert (leeds.status, leeds.other_authority, leeds.due_on) == ("to_do", "Leeds City Council", date(2026, 12, 7))
    gp = checks.add_check(
        db,
        case,
        users["officer"],
        TODAY,
        SETTINGS,
        check_type="other",
        description="The family's GP surgery",
        other_authority="ignored for this kind",
        due_on=date(2026, 11, 26),
    )
    assert (gp.description, gp.other_authority, gp.due_on) == ("The family's GP surgery", None, date(2026, 11, 26))
    added = db.scalars(select(AuditEvent).where(AuditEvent.action == "check.added")).all()
    assert [event.after["due_on"] for event in added] == ["2026-12-07", "2026-11-26"]


def test_a_check_not_needed_keeps_its_reason(db, users, case):
    ceas = the_check(case, "ceas")
    checks.mark_not_applicable(db, ceas, users["officer"], version=1, reason="Not an Armed Forces family")
    assert (ceas.status, ceas.not_applicable_reason) == ("not_applicable", "Not an Armed Forces family")
    with pytest.raises(Refused) as refused:
        checks.mark_not_applicable(db, the_check(case, "custodial"), users["officer"], version=1, reason="")
    assert refused.value.problems == [Problem("reason", "Enter why this check is not needed")]


def test_checks_cannot_be_changed_on_a_closed_case(db, users, case):
    case.status = "closed"
    db.commit()
    police = the_check(case, "police")
    with pytest.raises(Refused) as refused:
        checks.record_check(
            db,
            police,
            users["officer"],
            TODAY,
            version=police.version,
            asked_on=TODAY,
            answered_on=None,
            result=None,
            answer=None,
        )
    assert refused.value.problems == [Problem("", CLOSED_CASE)]
    with pytest.raises(Refused):
        checks.add_check(db, case, users["officer"], TODAY, SETTINGS, check_type="police")
    with pytest.raises(Refused):
        checks.mark_not_applicable(db, police, users["officer"], version=police.version, reason="Closed")
    assert police.status == "to_do"
