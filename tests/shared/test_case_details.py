"""What the team records about a case and its child, read back as the case's timeline: the timeline's order and
words, the case's details with their events, the child's details with the stale-edit guard, contacts and notes,
and the audit of every change and every look."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from shared.clock import UK, long_date, uk_today
from shared.domain.enquiries import DEFAULT_DUE_SCHOOL_DAYS
from shared.domain.problems import Problem, Refused
from shared.domain.reference import new_reference
from shared.models import AuditEvent, Case, CaseEvent, CaseNote, Child, ChildNameKey, Referral, SchoolNotice
from shared.models.name_keys import keys_for
from shared.queries.cases import Link, case_checks, case_timeline, child_records
from shared.services import case_details, checks
from shared.services.case_details import ChildAnswers
from shared.services.cases import CaseSettings, StaleEdit, open_case
from tests.conftest import calendar_of

TODAY = uk_today()
BORN = date(TODAY.year - 11, 10, 1)


@pytest.fixture
def settings(app) -> CaseSettings:
    return CaseSettings(calendar=calendar_of(app), due_days=dict(DEFAULT_DUE_SCHOOL_DAYS))


@pytest.fixture
def child(db) -> Child:
    found = Child(
        first_name="Ellie",
        last_name="Whitcombe",
        date_of_birth=BORN,
        sex="female",
        upn="B801200005001",
        postcode="NB1 1AA",
        send_status="none",
    )
    db.add(found)
    db.commit()
    return found


@pytest.fixture
def case(db, users, child, settings) -> Case:
    opened = open_case(db, child=child, actor=users["lead"], today=TODAY, settings=settings)
    db.commit()
    return opened


def the_check(case: Case, kind: str):
    return next(check for check in case.enquiries if check.check_type == kind)


# The timeline -----------------------------------------------------------------------------------------------------


def test_the_timeline_shows_everything_on_the_case_newest_first(db, users, school, case, child):
    now = datetime.now(UTC)
    case.events[0].occurred_at = now - timedelta(days=5)  # opened five days ago
    referral = Referral(
        reference=new_reference("RF"),
        source="public",
        anonymous=True,
        urgent=True,
        status="linked",
        received_at=now - timedelta(days=7),
        child=child,
        case=case,
    )
    notice = SchoolNotice(
        reference=new_reference("SN"),
        school=school,
        kind="absence",
        status="attached",
        submitted_at=now - timedelta(days=6),
        pupil_first_name="Ellie",
        pupil_last_name="Whitcombe",
        pupil_date_of_birth=BORN,
        event_date=TODAY - timedelta(days=20),
        child=child,
        case=case,
    )
    db.add_all([referral, notice])
    db.commit()
    officer = users["officer"]
    case_details.add_contact(
        db,
        case,
        officer,
        datetime.now(UK),
        kind="phone",
        occurred_at=now - timedelta(hours=2),
        with_whom="Jo Whitcombe (mother)",
        outcome="No answer",
        text="Rang twice, left a message",
    )
    police = the_check(case, "police")
    checks.record_check(
        db,
        police,
        officer,
        TODAY,
        version=police.version,
        asked_on=TODAY - timedelta(days=3),
        answered_on=TODAY - timedelta(days=1),
        result="not_known",
        answer="No record of the family",
    )
    case_details.update_case_details(
        db,
        case,
        officer,
        TODAY,
        version=case.version,
        risk_level="high",
        missing_since=case.missing_since,
        primary_reason="believed_moved_abroad",
    )

    rows = case_timeline(db, case)
    assert [(row.kind, row.what, row.who, row.details, row.link) for row in rows] == [
        ("event", "Primary reason set to believed to have moved to another country", "Test Officer", (), None),
        ("event", "Risk level changed from medium to high", "Test Officer", (), None),
        (
            "check",
            "Check answered: Police",
            "Test Officer",
            (
                f"Asked on {long_date(TODAY - timedelta(days=3))}",
                f"Answered on {long_date(TODAY - timedelta(days=1))}",
                "Result: Not known to them",
                "No record of the family",
            ),
            None,
        ),
        (
            "contact",
            "Phone call with Jo Whitcombe (mother)",
            "Test Officer",
            ("Outcome: No answer", "Rang twice, left a message"),
            None,
        ),
        ("event", "Case opened", "Test Lead", (), None),
        (
            "notice",
            f"School notice {notice.reference}: Continuous unexplained absence",
            "Millfield Primary School",
            (f"First day of absence: {long_date(TODAY - timedelta(days=20))}",),
            Link("school_notice", notice.reference),
        ),
        (
            "referral",
            f"Referral {referral.reference} received",
            "Anonymous reporter",
            ("From: Member of the public", "Urgent: the reporter thinks the child is at risk of harm"),
            Link("referral", referral.reference),
        ),
    ]
    assert rows[3].when == now - timedelta(hours=2)
    assert rows[4].when == now - timedelta(days=5)


def test_adding_and_setting_aside_checks_show_on_the_timeline(db, users, case, settings):
    checks.add_check(
        db, case, users["officer"], TODAY, settings, check_type="destination_la", other_authority="Leeds City Council"
    )
    ceas = the_check(case, "ceas")
    checks.mark_not_applicable(db, ceas, users["lead"], version=1, reason="Not an Armed Forces family")
    rows = [row for row in case_timeline(db, case) if row.kind == "check"]
    leeds = next(check for check in case.enquiries if check.other_authority)
    assert [(row.what, row.who, row.details) for row in rows] == [
        (
            "Check not needed: Children's Education Advisory Service (Armed Forces families)",
            "Test Lead",
            ("Why: Not an Armed Forces family",),
        ),
        (
            "Check added: Destination local authority: Leeds City Council",
            "Test Officer",
            (f"Due {long_date(leeds.due_on)}",),
        ),
    ]


def test_the_checks_table_marks_what_is_overdue_but_never_on_a_closed_case(db, case):
    police, phone = the_check(case, "police"), the_check(case, "phone")
    police.due_on = TODAY - timedelta(days=1)
    phone.due_on = TODAY
    db.commit()
    overdue = {row.label: row.overdue for row in case_checks(case, TODAY)}
    assert overdue["Police"] is True
    assert overdue["Phone call to the family"] is False  # due today
    assert sum(overdue.values()) == 1
    case.status = "closed"
    assert not any(row.overdue for row in case_checks(case, TODAY))


# The case's details -----------------------------------------------------------------------------------------------


def test_each_change_of_the_case_details_goes_on_the_timeline_and_in_the_audit(db, users, case):
    said = case_details.update_case_details(
        db,
        case,
        users["officer"],
        TODAY,
        version=1,
        risk_level="high",
        missing_since=date(TODAY.year - 1, 9, 30),
        primary_reason="mental_health",
    )
    assert said == [
        "Risk level changed from medium to high",
        f"Date missing education set to 30 September {TODAY.year - 1}",
        "Primary reason set to mental health",
    ]
    events = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
    assert [(event.kind, event.summary) for event in events][1:] == [
        ("risk_changed", "Risk level changed from medium to high"),
        ("details_changed", f"Date missing education set to 30 September {TODAY.year - 1}"),
        ("details_changed", "Primary reason set to mental health"),
    ]
    audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "case.details_changed")).one()
    assert (audit.before["risk_level"], audit.after["risk_level"]) == ("medium", "high")
    assert (audit.before["primary_reason"], audit.after["primary_reason"]) == (None, "mental_health")
    assert case.version == 2

    said = case_details.update_case_details(
        db,
        case,
        users["officer"],
        TODAY,
        version=2,
        risk_level="high",
        missing_since=date(TODAY.year - 1, 10, 2),
        primary_reason="physical_health",
    )
    assert said == [
        f"Date missing education changed from 30 September {TODAY.year - 1} to 2 October {TODAY.year - 1}",
        "Primary reason changed from mental health to physical health",
    ]


def test_saving_the_case_details_unchanged_writes_nothing_but_a_reason_must_be_given(db, users, case):
    with pytest.raises(Refused) as refused:
        case_details.update_case_details(
            db, case, users["officer"], TODAY, version=1, risk_level="medium", missing_since=None, primary_reason=None
        )
    assert refused.value.problems == [
        Problem("primary_reason", "Select the main reason the child is missing education")
    ]
    case.primary_reason = "other"
    db.commit()
    assert (
        case_details.update_case_details(
            db,
            case,
            users["officer"],
            TODAY,
            version=2,
            risk_level="medium",
            missing_since=None,
            primary_reason="other",
        )
        == []
    )
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "case.details_changed")).all() == []


def test_the_date_missing_education_cannot_be_in_the_future_or_before_birth(db, users, case):
    def problems(missing_since):
        with pytest.raises(Refused) as refused:
            case_details.update_case_details(
                db,
                case,
                users["officer"],
                TODAY,
                version=1,
                risk_level="low",
                missing_since=missing_since,
                primary_reason="other",
            )
        return refused.value.problems

    assert problems(TODAY + timedelta(days=1)) == [
        Problem("missing_since", "Date the child became missing education must be today or in the past")
    ]
    assert problems(BORN) == [
        Problem("missing_since", "Date the child became missing education must be after their date of birth")
    ]
    assert case.risk_level == "medium" and case.version == 1


def test_case_details_from_an_older_page_are_refused(db, users, case):
    with pytest.raises(StaleEdit):
        case_details.update_case_details(
            db, case, users["officer"], TODAY, version=0, risk_level="high", missing_since=None, primary_reason="other"
        )
    assert case.risk_level == "medium"


# The child's details ----------------------------------------------------------------------------------------------


def answers(**changed) -> ChildAnswers:
    given = ChildAnswers(
        first_name="Ellie",
        last_name="Whitcombe",
        date_of_birth=BORN,
        sex="female",
        upn="B801200005001",
        postcode="NB1 1AA",
        send_status="none",
        vulnerable_groups=[],
    )
    for name, value in changed.items():
        setattr(given, name, value)
    return given


def test_the_child_s_details_are_stored_normalised_and_audited(db, users, child):
    seen = child.updated_at.isoformat()
    changed = case_details.update_child(
        db,
        child,
        users["officer"],
        TODAY,
        seen=seen,
        answers=answers(
            upn="b801 2000 05001",
            postcode="nb21aa",
            address_line_1="3 Mill Lane",
            looked_after=True,
            send_status="ehcp",
            vulnerable_groups=["young_carer", "grt"],
        ),
    )
    assert changed is True
    db.expire_all()
    saved = db.get(Child, child.id)
    assert (saved.upn, saved.postcode, saved.address_line_1, saved.looked_after, saved.send_status) == (
        "B801200005001",
        "NB2 1AA",
        "3 Mill Lane",
        True,
        "ehcp",
    )
    assert saved.vulnerable_groups == ["grt", "young_carer"]
    assert saved.updated_at.isoformat() != seen
    audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "child.details_changed")).one()
    assert (audit.object_type, audit.object_id) == ("child", child.id)
    assert (audit.before["postcode"], audit.after["postcode"]) == ("NB1 1AA", "NB2 1AA")
    assert (audit.before["vulnerable_groups"], audit.after["vulnerable_groups"]) == ([], ["grt", "young_carer"])


def test_a_child_s_details_are_checked(db, users, child):
    with pytest.raises(Refused) as refused:
        case_details.update_child(
            db,
            child,
            users["officer"],
            TODAY,
            seen=child.updated_at.isoformat(),
            answers=answers(upn="A801200005001", postcode="NB1", date_of_birth=TODAY, sex="", send_status="x"),
        )
    assert refused.value.problems == [
        Problem("date_of_birth", "Date of birth must be in the past"),
        Problem("upn", "UPN check letter is wrong: check the UPN has been copied correctly"),
        Problem("postcode", "Enter a real postcode, like BA1 1JG"),
        Problem("sex", "Select the child's sex, or 'Not known'"),
        Problem("send_status", "Select the child's special educational needs, or 'Not known'"),
    ]


def test_two_people_saving_the_same_child_the_second_is_refused(app, db, users, child):
    seen = child.updated_at.isoformat()
    with app.extensions["cme.database"].session() as other_session:
        theirs = other_session.get(Child, child.id)
        assert case_details.update_child(
            db, child, users["officer"], TODAY, seen=seen, answers=answers(town="Northbridge")
        )
        with pytest.raises(StaleEdit) as refused:
            case_details.update_child(
                other_session, theirs, users["lead"], TODAY, seen=seen, answers=answers(town="Southbridge")
            )
        assert refused.value.what == "child"
    db.expire_all()
    assert db.get(Child, child.id).town == "Northbridge"
    with pytest.raises(StaleEdit):  # and the same page sent again later
        case_details.update_child(db, child, users["lead"], TODAY, seen=seen, answers=answers(town="Southbridge"))
    assert len(db.scalars(select(AuditEvent).where(AuditEvent.action == "child.details_changed")).all()) == 1


def test_saving_the_child_unchanged_writes_nothing(db, users, child):
    seen = child.updated_at.isoformat()
    assert case_details.update_child(db, child, users["officer"], TODAY, seen=seen, answers=answers()) is False
    assert child.updated_at.isoformat() == seen
    assert db.scalars(select(AuditEvent).where(AuditEvent.object_type == "child")).all() == []


# Contacts, and who looked -----------------------------------------------------------------------------------------


def test_a_contact_is_stored_with_its_author_and_audited_even_on_a_closed_case(db, users, case):
    case.status = "closed"
    db.commit()
    at = datetime(TODAY.year, TODAY.month, TODAY.day, 9, 15, tzinfo=UK) - timedelta(days=1)
    note = case_details.add_contact(
        db,
        case,
        users["officer"],
        datetime.now(UK),
        kind="letter",
        occurred_at=at,
        with_whom="The family",
        outcome=None,
        text="Sent the closure letter",
    )
    saved = db.scalars(select(CaseNote)).one()
    assert (saved.kind, saved.occurred_at, saved.with_whom, saved.outcome, saved.author_id) == (
        "letter",
        at,
        "The family",
        None,
        users["officer"].id,
    )
    audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "contact.added")).one()
    assert (audit.object_type, audit.object_id, audit.after["text"]) == (
        "case_note",
        note.id,
        "Sent the closure letter",
    )


def test_a_contact_in_the_future_is_refused(db, users, case):
    with pytest.raises(Refused) as refused:
        case_details.add_contact(
            db,
            case,
            users["officer"],
            datetime.now(UK),
            kind="phone",
            occurred_at=datetime.now(UK) + timedelta(days=1),
            with_whom="Jo",
            outcome=None,
            text="Rang",
        )
    assert refused.value.problems == [Problem("occurred_on", "Date must be today or in the past")]
    assert db.scalars(select(CaseNote)).all() == []


def test_each_look_at_a_case_or_child_is_audited(db, users, case, child):
    case_details.record_view(db, users["manager"], "case", case.id)
    case_details.record_view(db, users["officer"], "child", child.id)
    views = db.scalars(select(AuditEvent).where(AuditEvent.action.like("%.viewed")).order_by(AuditEvent.id)).all()
    assert [(view.action, view.object_type, view.object_id, view.actor_label) for view in views] == [
        ("case.viewed", "case", case.id, "manager@northbridge.example"),
        ("child.viewed", "child", child.id, "officer@northbridge.example"),
    ]


def test_a_child_s_records_are_their_cases_referrals_and_notices(db, users, school, case, child):
    other = Child(first_name="Sam", last_name="Other")
    db.add(other)
    now = datetime.now(UTC)
    db.add_all(
        [
            Referral(reference=new_reference("RF"), source="school", received_at=now, case=case),  # via the case
            Referral(reference=new_reference("RF"), source="public", received_at=now - timedelta(days=1), child=child),
            Referral(reference=new_reference("RF"), source="public", received_at=now, child=other),
            SchoolNotice(
                reference=new_reference("SN"),
                school=school,
                kind="leaver",
                pupil_first_name="Ellie",
                pupil_last_name="Whitcombe",
                pupil_date_of_birth=BORN,
                event_date=TODAY,
                child=child,
            ),
        ]
    )
    db.commit()
    records = child_records(db, child)
    assert [found.reference for found in records.cases] == [case.reference]
    assert [found.source for found in records.referrals] == ["school", "public"]
    assert [found.kind for found in records.notices] == ["leaver"]


def test_a_renamed_child_is_found_by_their_new_name(db, users, child):
    case_details.update_child(
        db, child, users["officer"], TODAY, seen=child.updated_at.isoformat(), answers=answers(first_name="Elspeth")
    )
    stored = set(db.scalars(select(ChildNameKey.key).where(ChildNameKey.child_id == child.id)))
    assert stored == keys_for(child)
    assert stored != keys_for(Child(first_name="Ellie", last_name="Whitcombe"))
