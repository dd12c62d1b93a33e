"""Triage of referrals, school notices and attendance alerts, and the intake queue: each decision with the exact
statuses, case events and audit it leaves; a decision made twice; answers that cannot be accepted; the queue's
order, filters and pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shared.clock import uk_today
from shared.domain.enquiries import DEFAULT_DUE_SCHOOL_DAYS, STANDARD_CHECKS
from shared.domain.problems import Problem, Refused
from shared.domain.reference import new_reference
from shared.models import (
    AttendanceAlert,
    AttendancePupil,
    AuditEvent,
    Case,
    CaseEvent,
    Child,
    Referral,
    School,
    SchoolNotice,
)
from shared.queries import intake as queries
from shared.services import intake
from shared.services.cases import CaseSettings, open_case
from shared.services.intake import AlreadyTriaged, Decision
from tests.conftest import calendar_of

TODAY = uk_today()
BORN = date(TODAY.year - 11, 10, 1)
LAST_AT_SCHOOL = TODAY - timedelta(days=30)
NOW = datetime.now(UTC)


@pytest.fixture
def settings(app) -> CaseSettings:
    return CaseSettings(calendar=calendar_of(app), due_days=dict(DEFAULT_DUE_SCHOOL_DAYS))


def a_referral(db, *, urgent=False, source="professional", status="new", received_at=None, **answers) -> Referral:
    """A referral as the public report stores one, about Ellie Whitcombe unless told otherwise."""
    given = {
        "reporter_type": source,
        "child_first_name": "Ellie",
        "child_last_name": "Whitcombe",
        "child_other_names": "Ellie-May",
        "date_of_birth": BORN.isoformat(),
        "child_sex": "female",
        "address_line_1": "14 Quarry Row",
        "address_town": "Northbridge",
        "address_postcode": "nb1 1aa",
        "family_phone": "07700 900982",
        "last_school": "Millfield Primary School",
        "last_at_school": LAST_AT_SCHOOL.isoformat(),
        "reasons": ["unsuitable_home_education"],
        "carers": "Jo Whitcombe, mother, 07700 900123\nSam Whitcombe, father",
        "risk_of_harm": "yes" if urgent else "no",
        **answers,
    }
    referral = Referral(
        reference=new_reference("RF"),
        source=source,
        status=status,
        urgent=urgent,
        anonymous=True,
        received_at=received_at or NOW,
        answers=given,
        child_first_name=given["child_first_name"],
        child_last_name=given["child_last_name"],
        child_date_of_birth=date.fromisoformat(given["date_of_birth"]) if given["date_of_birth"] else None,
        child_postcode=given["address_postcode"],
    )
    db.add(referral)
    db.commit()
    return referral


def a_notice(db, school, *, kind="absence", status="for_cme", submitted_at=None, **fields) -> SchoolNotice:
    """A school's notice routed to the CME team, about Ellie Whitcombe unless told otherwise."""
    values = {
        "upn": "B801200005001",
        "pupil_first_name": "Ellie",
        "pupil_last_name": "Whitcombe",
        "pupil_date_of_birth": BORN,
        "pupil_sex": "female",
        "pupil_postcode": "NB1 1AA",
        "event_date": TODAY - timedelta(days=16),
        "details": {
            "address": "14 Quarry Row, Northbridge",
            "parent_name": "Jo Whitcombe",
            "parent_phone": "07700 900123",
        },
        **fields,
    }
    notice = SchoolNotice(
        reference=new_reference("SN"),
        school=school,
        kind=kind,
        status=status,
        routed_to_cme=status != "received",
        submitted_at=submitted_at or NOW,
        **values,
    )
    db.add(notice)
    db.commit()
    return notice


RUN_START = TODAY - timedelta(days=21)


def an_alert(
    db, school, *, status="new", raised_at=None, run_start=RUN_START, sessions=20, child=None, **pupil
) -> AttendanceAlert:
    """An attendance alert for a run of unexplained absence at the school, about Ellie Whitcombe unless told
    otherwise, with the pupil record the import keeps (made once per UPN, its run still going)."""
    values = {
        "upn": "B801200005001",
        "first_name": "Ellie",
        "last_name": "Whitcombe",
        "date_of_birth": BORN,
        **pupil,
    }
    found = db.scalar(select(AttendancePupil).where(AttendancePupil.upn == values["upn"]))
    if found is None:
        found = AttendancePupil(
            school=school,
            child=child,
            last_marked_on=TODAY - timedelta(days=1),
            current_run_start=run_start,
            current_run_sessions=sessions + 4,
            longest_run_start=run_start,
            longest_run_sessions=sessions + 4,
            **values,
        )
        db.add(found)
    alert = AttendanceAlert(
        reference=new_reference("AA"),
        pupil=found,
        school=school,
        run_start=run_start,
        sessions=sessions,
        raised_at=raised_at or NOW,
        status=status,
        upn=values["upn"],
        pupil_first_name=values["first_name"],
        pupil_last_name=values["last_name"],
        pupil_date_of_birth=values["date_of_birth"],
        child=child,
    )
    db.add(alert)
    db.commit()
    return alert


def ellie(db, **details) -> Child:
    child = Child(
        first_name="Ellie",
        last_name="Whitcombe",
        date_of_birth=BORN,
        sex="female",
        upn="B801200005001",
        postcode="NB1 1AA",
        **details,
    )
    db.add(child)
    db.commit()
    return child


def a_case_for(db, child, users, settings) -> Case:
    case = open_case(db, child=child, actor=users["lead"], today=TODAY, settings=settings)
    db.commit()
    return case


def decide(db, item, users, settings, role="officer", **answers) -> intake.Triaged:
    return intake.triage(
        db, item, Decision(**answers), users[role], today=TODAY, settings=settings, schools=schools(db)
    )


def schools(db) -> list[School]:
    return list(db.scalars(select(School).order_by(School.urn)))


def events_of(db, case) -> list[str]:
    return list(db.scalars(select(CaseEvent.summary).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)))


def audit_of(db, object_type: str, object_id: int) -> list[AuditEvent]:
    return list(
        db.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
            .order_by(AuditEvent.id)
        )
    )


def problems_of(raised) -> list[Problem]:
    return raised.value.problems


# Opening a case -------------------------------------------------------------------------------------------------


def test_an_urgent_referral_about_a_new_child_opens_a_case_at_high_risk(db, users, school, settings):
    referral = a_referral(db, urgent=True)
    done = decide(db, referral, users, settings, child="new", action="open_case")

    db.expire_all()
    referral = db.get(Referral, referral.id)
    assert (referral.status, referral.triaged_by_id, referral.closed_reason) == ("linked", users["officer"].id, None)
    assert referral.triaged_at is not None
    child = referral.child
    assert done.child.id == child.id and done.new_child and done.new_case
    assert (child.first_name, child.last_name, child.other_names, child.date_of_birth, child.sex) == (
        "Ellie",
        "Whitcombe",
        "Ellie-May",
        BORN,
        "female",
    )
    assert (child.address_line_1, child.town, child.postcode, child.phone) == (
        "14 Quarry Row",
        "Northbridge",
        "NB1 1AA",
        "07700 900982",
    )
    assert [carer.name for carer in child.carers] == ["Jo Whitcombe, mother, 07700 900123", "Sam Whitcombe, father"]
    case = referral.case
    assert (case.child_id, case.status, case.risk_level, case.opened_by_id) == (
        child.id,
        "open",
        "high",
        users["officer"].id,
    )
    assert (case.missing_since, case.primary_reason) == (LAST_AT_SCHOOL, "unsuitable_home_education")
    assert sorted(check.check_type for check in case.enquiries) == sorted(STANDARD_CHECKS)
    assert events_of(db, case) == ["Case opened", f"Referral {referral.reference} added"]
    added = db.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "referral_added"))
    assert (added.actor_id, added.details) == (users["officer"].id, {"reference": referral.reference})

    triaged = audit_of(db, "referral", referral.id)[-1]
    assert (triaged.action, triaged.actor_id) == ("referral.triaged", users["officer"].id)
    assert triaged.before == {
        "status": "new",
        "child_id": None,
        "case_id": None,
        "triaged_by_id": None,
        "triaged_at": None,
        "closed_reason": None,
    }
    assert triaged.after == {
        "status": "linked",
        "child_id": child.id,
        "case_id": case.id,
        "triaged_by_id": users["officer"].id,
        "triaged_at": referral.triaged_at.isoformat(),
        "closed_reason": None,
    }
    assert [event.action for event in audit_of(db, "child", child.id)] == ["child.created"]
    assert audit_of(db, "child", child.id)[0].after["upn"] is None
    assert [event.action for event in audit_of(db, "case", case.id)] == ["case.opened", "case.referral_added"]


def test_a_referral_that_is_not_urgent_opens_a_case_at_medium_risk_without_a_reason_it_does_not_say(
    db, users, school, settings
):
    referral = a_referral(db, reasons=["stopped_attending", "excluded"], last_at_school=None)
    done = decide(db, referral, users, settings, child="new", action="open_case")
    assert (done.case.risk_level, done.case.missing_since, done.case.primary_reason) == ("medium", None, None)


def test_a_school_notice_about_a_new_child_opens_a_case_from_the_pupil_s_details(db, users, school, settings):
    notice = a_notice(db, school)
    done = decide(db, notice, users, settings, child="new", action="open_case")

    db.expire_all()
    notice = db.get(SchoolNotice, notice.id)
    assert (notice.status, notice.triaged_by_id, notice.case_id) == ("attached", users["officer"].id, done.case.id)
    child = notice.child
    assert (child.full_name, child.upn, child.date_of_birth, child.sex, child.postcode) == (
        "Ellie Whitcombe",
        "B801200005001",
        BORN,
        "female",
        "NB1 1AA",
    )
    assert (child.address_line_1, child.address_line_2) == ("14 Quarry Row", "Northbridge")
    assert [(c.name, c.phone, c.address) for c in child.carers] == [
        ("Jo Whitcombe", "07700 900123", "14 Quarry Row, Northbridge")
    ]
    assert (notice.case.risk_level, notice.case.missing_since) == ("medium", TODAY - timedelta(days=16))
    assert events_of(db, notice.case) == ["Case opened", f"School notice {notice.reference} added"]
    assert [event.action for event in audit_of(db, "school_notice", notice.id)] == ["school_notice.triaged"]


def test_a_leaver_gone_to_another_authority_opens_a_case_believed_moved_there(db, users, school, settings):
    notice = a_notice(
        db, school, kind="leaver", deletion_ground="h", details={"new_la": "Southmoor", "enquiries_made": "Calls"}
    )
    done = decide(db, notice, users, settings, child="new", action="open_case")
    assert (done.case.primary_reason, done.case.missing_since) == ("believed_moved_to_other_la", notice.event_date)
    assert done.child.carers == []


def test_a_case_opens_for_a_child_on_record_without_an_open_case(db, users, school, settings):
    child = ellie(db)
    referral = a_referral(db)
    done = decide(db, referral, users, settings, child=str(child.id), action="open_case")
    assert (done.child.id, done.new_child, done.case.child_id) == (child.id, False, child.id)
    assert db.scalar(select(func.count()).select_from(Child)) == 1


# Adding to an open case -----------------------------------------------------------------------------------------


def test_a_referral_about_a_child_with_an_open_case_is_added_to_it(db, users, school, settings):
    child = ellie(db)
    case = a_case_for(db, child, users, settings)
    referral = a_referral(db)
    done = decide(db, referral, users, settings, child=str(child.id), action="add_to_case")

    db.expire_all()
    referral = db.get(Referral, referral.id)
    assert (referral.status, referral.child_id, referral.case_id) == ("linked", child.id, case.id)
    assert (done.new_case, done.new_child) == (False, False)
    assert events_of(db, case) == ["Case opened", f"Referral {referral.reference} added"]
    assert db.scalar(select(func.count()).select_from(Case)) == 1
    assert [event.action for event in audit_of(db, "case", case.id)] == ["case.opened", "case.referral_added"]


def test_a_notice_is_attached_to_the_open_case_the_officer_chooses_when_the_child_has_two(db, users, school, settings):
    child = ellie(db)
    first = a_case_for(db, child, users, settings)
    second = a_case_for(db, child, users, settings)
    notice = a_notice(db, school)
    with pytest.raises(Refused) as refused:
        decide(db, notice, users, settings, child=str(child.id), action="add_to_case")
    assert problems_of(refused) == [Problem("case", "Select which of Ellie Whitcombe’s open cases to add it to")]
    with pytest.raises(Refused) as refused:
        decide(db, notice, users, settings, child=str(child.id), action="add_to_case", case="CS-NOT-HERE")
    assert problems_of(refused) == [Problem("case", "Select which of Ellie Whitcombe’s open cases to add it to")]

    decide(db, notice, users, settings, child=str(child.id), action="add_to_case", case=second.reference)
    db.expire_all()
    assert (db.get(SchoolNotice, notice.id).status, db.get(SchoolNotice, notice.id).case_id) == ("attached", second.id)
    assert events_of(db, first) == ["Case opened"]
    assert events_of(db, second) == ["Case opened", f"School notice {notice.reference} added"]


# Closing without a case -----------------------------------------------------------------------------------------


def test_a_notice_closed_as_on_roll_at_a_school_in_the_list_names_it(db, users, school, settings):
    child = ellie(db)
    notice = a_notice(db, school)
    done = decide(db, notice, users, settings, child=str(child.id), action="close_on_roll", school="990101")
    db.expire_all()
    notice = db.get(SchoolNotice, notice.id)
    assert (notice.status, notice.child_id, notice.case_id) == ("actioned", child.id, None)
    assert notice.closed_reason == "On roll at a named school: Millfield Primary School (URN 990101)"
    assert done.case is None
    assert db.scalar(select(func.count()).select_from(CaseEvent)) == 0
    assert audit_of(db, "school_notice", notice.id)[-1].after["closed_reason"] == notice.closed_reason


@pytest.mark.parametrize("chosen", ["other", ""])
def test_a_referral_closed_as_on_roll_at_a_school_elsewhere_keeps_its_name(db, users, school, settings, chosen):
    referral = a_referral(db)
    decide(
        db,
        referral,
        users,
        settings,
        child="new",
        action="close_on_roll",
        school=chosen,
        school_name="Seaview Academy, Southmoor",
    )
    db.expire_all()
    referral = db.get(Referral, referral.id)
    assert (referral.status, referral.closed_reason) == (
        "closed",
        "On roll at a named school: Seaview Academy, Southmoor",
    )
    assert referral.child.full_name == "Ellie Whitcombe"


def test_a_referral_closed_as_not_missing_education_may_record_no_child(db, users, school, settings):
    referral = a_referral(db)
    decide(
        db, referral, users, settings, child="none", action="close_not_cme", not_cme_details="Home educated, suitably"
    )
    db.expire_all()
    referral = db.get(Referral, referral.id)
    assert (referral.status, referral.child_id, referral.case_id) == ("closed", None, None)
    assert referral.closed_reason == "Not a child missing education: Home educated, suitably"
    assert db.scalar(select(func.count()).select_from(Child)) == 0


def test_a_duplicate_names_the_referral_it_repeats(db, users, school, settings):
    first = a_referral(db)
    second = a_referral(db)
    typed = first.reference.lower().replace("-", " ")
    decide(db, second, users, settings, child="none", action="close_duplicate", duplicate_of=typed)
    db.expire_all()
    assert db.get(Referral, second.id).closed_reason == f"Duplicate of {first.reference}"
    assert db.get(Referral, first.id).status == "new"


def test_other_reasons_are_kept_as_written(db, users, school, settings):
    referral = a_referral(db)
    decide(db, referral, users, settings, child="none", action="close_other", other_details="Reporter withdrew it")
    db.expire_all()
    assert db.get(Referral, referral.id).closed_reason == "Other: Reporter withdrew it"


# Answers that cannot be accepted ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "problems"),
    [
        (
            {"child": None, "action": None},
            [
                Problem("child", "Select the child this referral is about, or ‘A new child’"),
                Problem("action", "Select what to do with this referral"),
            ],
        ),
        (
            {"child": "new", "action": "close_other"},
            [Problem("other_details", "Enter why the referral is closed without a case")],
        ),
        (
            {"child": "new", "action": "close_on_roll"},
            [Problem("school", "Select the school the child is on roll at, or enter its name")],
        ),
        (
            {"child": "new", "action": "close_on_roll", "school": "other"},
            [Problem("school_name", "Enter the name of the school the child is on roll at")],
        ),
        (
            {"child": "new", "action": "close_on_roll", "school_name": "x" * 201},
            [Problem("school_name", "School name must be 200 characters or fewer")],
        ),
        (
            {"child": "new", "action": "close_duplicate"},
            [Problem("duplicate_of", "Enter the reference of the referral or notice it repeats")],
        ),
        (
            {"child": "new", "action": "close_duplicate", "duplicate_of": "RF-1234"},
            [Problem("duplicate_of", "Enter the reference exactly as it was given to you, like RF-7KQ4-M9X3")],
        ),
        (
            {"child": "none", "action": "open_case"},
            [Problem("child", "Select the child the case is for, or ‘A new child’")],
        ),
        (
            {"child": "new", "action": "add_to_case"},
            [Problem("child", "Select the child whose open case this referral belongs to")],
        ),
        ({"child": "new", "action": "shred_it"}, [Problem("action", "Select what to do with this referral")]),
        (
            {"child": "new", "action": "close_other", "other_details": "x" * 1001},
            [Problem("other_details", "Reason must be 1,000 characters or fewer")],
        ),
    ],
)
def test_answers_that_do_not_go_together_are_refused_and_nothing_is_saved(
    db, users, school, settings, answers, problems
):
    referral = a_referral(db)
    audited = db.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(Refused) as refused:
        decide(db, referral, users, settings, **answers)
    assert problems_of(refused) == problems
    db.expire_all()
    assert db.get(Referral, referral.id).status == "new"
    assert db.scalar(select(func.count()).select_from(Child)) == 0
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == audited


def test_a_child_who_was_not_proposed_cannot_be_chosen(db, users, school, settings):
    stranger = Child(first_name="Oscar", last_name="Penhaligon", date_of_birth=date(2012, 1, 5), postcode="NB9 9ZZ")
    db.add(stranger)
    db.commit()
    referral = a_referral(db)
    with pytest.raises(Refused) as refused:
        decide(db, referral, users, settings, child=str(stranger.id), action="open_case")
    assert problems_of(refused) == [Problem("child", "Select one of the children shown, or ‘A new child’")]


def test_a_child_with_an_open_case_does_not_get_a_second_one(db, users, school, settings):
    child = ellie(db)
    case = a_case_for(db, child, users, settings)
    referral = a_referral(db)
    with pytest.raises(Refused) as refused:
        decide(db, referral, users, settings, child=str(child.id), action="open_case")
    assert problems_of(refused) == [
        Problem(
            "action", f"Ellie Whitcombe already has an open case, {case.reference}: add this referral to it instead"
        )
    ]


def test_a_child_without_an_open_case_has_nothing_to_add_to(db, users, school, settings):
    child = ellie(db)
    notice = a_notice(db, school)
    with pytest.raises(Refused) as refused:
        decide(db, notice, users, settings, child=str(child.id), action="add_to_case")
    assert problems_of(refused) == [Problem("action", "Ellie Whitcombe has no open case: open a new case instead")]


def test_a_duplicate_must_name_another_item_that_exists(db, users, school, settings):
    referral = a_referral(db)
    missing = new_reference("RF")
    for typed, message in (
        (referral.reference, "Enter the reference of another referral or notice"),
        (missing, f"There is no referral or notice {missing}"),
    ):
        with pytest.raises(Refused) as refused:
            decide(db, referral, users, settings, child="none", action="close_duplicate", duplicate_of=typed)
        assert problems_of(refused) == [Problem("duplicate_of", message)]


# Two officers ---------------------------------------------------------------------------------------------------


def test_the_second_of_two_officers_deciding_at_once_is_refused_and_changes_nothing(app, db, users, school, settings):
    referral = a_referral(db)
    database = app.extensions["cme.database"]
    with database.session() as first, database.session() as second:
        # Both officers have the page open: each session has loaded the referral as it was.
        mine, theirs = first.get(Referral, referral.id), second.get(Referral, referral.id)
        lead, officer = first.merge(users["lead"]), second.merge(users["officer"])
        intake.triage(first, mine, Decision("new", "open_case"), lead, today=TODAY, settings=settings)
        assert theirs.status == "new"  # as their page showed it
        with pytest.raises(AlreadyTriaged) as refused:
            intake.triage(second, theirs, Decision("none", "close_not_cme"), officer, today=TODAY, settings=settings)
        assert str(refused.value) == (
            "Someone else triaged this referral while you were looking at it. Nothing you chose has been saved: "
            "their decision is shown below"
        )
        assert theirs.status == "linked"  # the page now shows the decision that stands
    db.expire_all()
    referral = db.get(Referral, referral.id)
    assert (referral.status, referral.triaged_by_id, referral.closed_reason) == ("linked", users["lead"].id, None)
    assert db.scalar(select(func.count()).select_from(Case)) == 1
    assert [event.action for event in audit_of(db, "referral", referral.id)] == ["referral.triaged"]


def test_an_item_already_decided_is_not_decided_again(db, users, school, settings):
    notice = a_notice(db, school, status="actioned")
    with pytest.raises(AlreadyTriaged):
        decide(db, notice, users, settings, child="new", action="open_case")
    assert db.scalar(select(func.count()).select_from(Child)) == 0


# Looking at an item ---------------------------------------------------------------------------------------------


def test_an_officer_s_first_look_moves_a_new_referral_into_triage_and_every_look_is_audited(db, users, school):
    referral = a_referral(db)
    intake.record_look(db, referral, users["manager"], may_triage=False)
    assert referral.status == "new"
    intake.record_look(db, referral, users["officer"], may_triage=True)
    assert referral.status == "in_triage"
    intake.record_look(db, referral, users["lead"], may_triage=True)
    assert [(e.action, e.actor_id, e.before, e.after) for e in audit_of(db, "referral", referral.id)] == [
        ("referral.viewed", users["manager"].id, None, None),
        ("referral.triage_started", users["officer"].id, {"status": "new"}, {"status": "in_triage"}),
        ("referral.viewed", users["officer"].id, None, None),
        ("referral.viewed", users["lead"].id, None, None),
    ]


def test_candidates_are_the_children_matching_proposes_with_their_band(db, users, school, settings):
    child = ellie(db)
    ellie_twin = Child(first_name="Emily", last_name="Whitcombe", date_of_birth=BORN, postcode="NB1 1AA")
    db.add(ellie_twin)
    db.commit()
    found = intake.proposed_children(db, a_notice(db, school))
    assert [(c.child.full_name, intake.match_band(c.score)) for c in found] == [
        ("Ellie Whitcombe", "Strong match"),
        ("Emily Whitcombe", "Weak match"),
    ]
    assert found[0].child.id == child.id and "Same UPN" in found[0].reasons
    assert [intake.match_band(score) for score in (0.95, 0.8, 0.79, 0.65, 0.64)] == [
        "Strong match",
        "Strong match",
        "Possible match",
        "Possible match",
        "Weak match",
    ]


# The queue ------------------------------------------------------------------------------------------------------


def test_the_queue_puts_urgent_items_first_then_the_oldest(db, users, school):
    old = a_referral(db, received_at=NOW - timedelta(days=9))
    urgent_new = a_referral(db, urgent=True, received_at=NOW - timedelta(days=1))
    urgent_old = a_referral(db, urgent=True, status="in_triage", received_at=NOW - timedelta(days=3))
    notice = a_notice(db, school, submitted_at=NOW - timedelta(days=5))
    newest = a_referral(db, source="other_la", received_at=NOW)
    a_referral(db, status="linked", received_at=NOW - timedelta(days=20))
    a_referral(db, status="closed", urgent=True, received_at=NOW - timedelta(days=20))
    a_notice(db, school, status="attached", submitted_at=NOW - timedelta(days=20))
    a_notice(db, school, kind="joiner", status="received", submitted_at=NOW - timedelta(days=20))

    found = queries.intake_queue(db)
    assert [row.reference for row in found.rows] == [
        urgent_old.reference,
        urgent_new.reference,
        old.reference,
        notice.reference,
        newest.reference,
    ]
    assert (found.total, found.page, found.pages) == (5, 1, 1)
    row = found.rows[3]
    assert (row.kind, row.source, row.detail, row.from_name, row.first_name, row.date_of_birth, row.urgent) == (
        "notice",
        "school_notice",
        "absence",
        "Millfield Primary School",
        "Ellie",
        BORN,
        False,
    )
    assert queries.waiting_count(db) == 5

    def references(**filters) -> list[str]:
        return [row.reference for row in queries.intake_queue(db, **filters).rows]

    assert references(sources=["school_notice"]) == [notice.reference]
    assert references(sources=["other_la", "school_notice"]) == [notice.reference, newest.reference]
    assert references(statuses=["in_triage"]) == [urgent_old.reference]
    assert references(statuses=["for_cme", "in_triage"]) == [urgent_old.reference, notice.reference]
    assert references(sources=["school_notice"], statuses=["new"]) == []
    assert references(sources=["public"]) == []


def test_the_queue_comes_a_page_at_a_time(db, users, school):
    made = [a_referral(db, received_at=NOW - timedelta(minutes=n)) for n in range(7)]
    oldest_first = [referral.reference for referral in reversed(made)]
    pages = [queries.intake_queue(db, page=n, per_page=3) for n in (1, 2, 3, 4)]
    assert [[row.reference for row in page.rows] for page in pages[:3]] == [
        oldest_first[:3],
        oldest_first[3:6],
        oldest_first[6:],
    ]
    assert (pages[3].page, pages[3].pages, pages[3].total) == (3, 3, 7)  # past the end: the last page


# Attendance alerts ------------------------------------------------------------------------------------------------


def test_an_alert_about_a_new_child_opens_a_case_missing_since_the_run_began(db, users, school, settings):
    alert = an_alert(db, school)
    done = decide(db, alert, users, settings, child="new", action="open_case")

    db.expire_all()
    alert = db.get(AttendanceAlert, alert.id)
    assert (alert.status, alert.triaged_by_id, alert.child_id, alert.case_id, alert.closed_reason) == (
        "linked",
        users["officer"].id,
        done.child.id,
        done.case.id,
        None,
    )
    child = alert.child
    assert (child.full_name, child.upn, child.date_of_birth, child.sex, child.current_school_id) == (
        "Ellie Whitcombe",
        "B801200005001",
        BORN,
        "unknown",
        school.id,
    )
    assert (child.postcode, child.carers) == (None, [])
    case = alert.case
    assert (case.status, case.risk_level, case.missing_since, case.primary_reason) == (
        "open",
        "medium",
        RUN_START,
        None,
    )
    assert events_of(db, case) == ["Case opened", f"Attendance alert {alert.reference} added"]
    assert [event.action for event in audit_of(db, "attendance_alert", alert.id)] == ["attendance_alert.triaged"]
    assert [event.action for event in audit_of(db, "case", case.id)] == ["case.opened", "case.attendance_alert_added"]
    assert intake.new_case_defaults(alert, TODAY) == intake.CaseDefaults("medium", RUN_START, None)


def test_the_child_the_import_linked_is_proposed_first_even_when_matching_would_not_find_them(db, users, school):
    # Linked when the pupil's details matched the record; the record has been corrected since.
    known = Child(first_name="Elspeth", last_name="Hale", date_of_birth=date(2013, 2, 2))
    namesake = Child(first_name="Ellie", last_name="Whitcombe", date_of_birth=BORN)
    db.add_all([known, namesake])
    db.commit()
    alert = an_alert(db, school, child=known)
    found = intake.proposed_children(db, alert)
    assert [(c.child.id, c.score, c.reasons[0]) for c in found] == [
        (known.id, 1.0, "Linked to this pupil by the attendance import"),
        (namesake.id, found[1].score, "Same first name"),
    ]


def test_the_child_the_import_linked_keeps_its_reasons_when_matching_finds_them_too(db, users, school, settings):
    child = ellie(db)
    case = a_case_for(db, child, users, settings)
    alert = an_alert(db, school, child=child)
    found = intake.proposed_children(db, alert)
    assert found[0].child.id == child.id and found[0].open_case.id == case.id
    assert found[0].reasons[:2] == ("Linked to this pupil by the attendance import", "Same UPN")
    assert [c.child.id for c in found].count(child.id) == 1

    decide(db, alert, users, settings, child=str(child.id), action="add_to_case")
    db.expire_all()
    alert = db.get(AttendanceAlert, alert.id)
    assert (alert.status, alert.case_id) == ("linked", case.id)
    assert events_of(db, case) == ["Case opened", f"Attendance alert {alert.reference} added"]


def test_an_alert_closed_as_on_roll_or_as_a_duplicate_of_another_alert(db, users, school, settings):
    first = an_alert(db, school, run_start=RUN_START - timedelta(days=30))
    second = an_alert(db, school)
    decide(db, second, users, settings, child="new", action="close_on_roll", school=str(school.urn))
    decide(db, first, users, settings, child="none", action="close_duplicate", duplicate_of=second.reference)
    db.expire_all()
    assert (db.get(AttendanceAlert, second.id).status, db.get(AttendanceAlert, second.id).closed_reason) == (
        "closed",
        "On roll at a named school: Millfield Primary School (URN 990101)",
    )
    assert db.get(AttendanceAlert, first.id).closed_reason == f"Duplicate of {second.reference}"
    with pytest.raises(AlreadyTriaged) as refused:
        decide(db, second, users, settings, child="new", action="open_case")
    assert str(refused.value).startswith("Someone else triaged this attendance alert while you were looking at it.")


def test_an_officer_s_first_look_moves_a_new_alert_into_triage(db, users, school):
    alert = an_alert(db, school)
    intake.record_look(db, alert, users["manager"], may_triage=False)
    assert alert.status == "new"
    intake.record_look(db, alert, users["officer"], may_triage=True)
    assert alert.status == "in_triage"
    assert [(e.action, e.actor_id) for e in audit_of(db, "attendance_alert", alert.id)] == [
        ("attendance_alert.viewed", users["manager"].id),
        ("attendance_alert.triage_started", users["officer"].id),
        ("attendance_alert.viewed", users["officer"].id),
    ]


def test_alerts_wait_in_the_queue_with_their_school_and_run(db, users, school):
    referral = a_referral(db, received_at=NOW - timedelta(days=5))
    alert = an_alert(db, school, raised_at=NOW - timedelta(days=2), sessions=21)
    picked_up = an_alert(
        db, school, status="in_triage", raised_at=NOW - timedelta(days=7), run_start=RUN_START - timedelta(days=40)
    )
    an_alert(db, school, status="linked", raised_at=NOW - timedelta(days=9), run_start=RUN_START - timedelta(days=60))
    an_alert(db, school, status="closed", raised_at=NOW - timedelta(days=9), run_start=RUN_START - timedelta(days=90))

    found = queries.intake_queue(db)
    assert [row.reference for row in found.rows] == [picked_up.reference, referral.reference, alert.reference]
    row = found.rows[2]
    assert (row.kind, row.source, row.from_name, row.first_name, row.last_name, row.date_of_birth) == (
        "alert",
        "attendance_alert",
        "Millfield Primary School",
        "Ellie",
        "Whitcombe",
        BORN,
    )
    assert (row.run_start, row.run_sessions, row.urgent, row.status) == (RUN_START, 21, False, "new")
    assert (found.rows[1].run_start, found.rows[1].run_sessions) == (None, None)
    assert queries.waiting_count(db) == 3
    in_queue = lambda **filters: [r.reference for r in queries.intake_queue(db, **filters).rows]  # noqa: E731
    assert in_queue(sources=["attendance_alert"]) == [picked_up.reference, alert.reference]
    assert in_queue(sources=["attendance_alert"], statuses=["new"]) == [alert.reference]
    assert in_queue(sources=["school_notice"]) == []
    assert queries.item_with_reference(db, alert.reference).id == alert.id
