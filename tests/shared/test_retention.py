"""Retention: what `cme retention run` anonymises and deletes, a day either side of each period, what is left of a
record afterwards, and that the dashboard's and the DfE return's counts are the same before and after."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shared.db import Database
from shared.domain import retention as rules
from shared.domain.casework import CaseStatus
from shared.domain.school_days import Period, SchoolCalendar
from shared.models import (
    AttendanceAlert,
    AttendanceImport,
    AttendancePupil,
    AttendanceSchoolWeek,
    AttendanceWeek,
    AuditEvent,
    Carer,
    Case,
    CaseEvent,
    CaseNote,
    Child,
    ChildNameKey,
    Enquiry,
    NoticeUpload,
    OutboxMessage,
    PartTimeTimetable,
    Referral,
    ReferralAddition,
    ReportDraft,
    SchoolNotice,
    TimetableReturn,
    User,
)
from shared.queries import dfe_return
from shared.queries.dashboard.outcomes import outcomes
from shared.queries.dashboard.referrals import referrals_over_time
from shared.queries.dashboard.scope import Filters
from shared.services import retention

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
TODAY = date(2026, 12, 3)
PERIODS = rules.RetentionPeriods()
DAY = timedelta(days=1)
SIX_YEARS_AGO = datetime(2020, 12, 3, 12, 0, tzinfo=UTC)
TWO_YEARS_AGO = datetime(2024, 12, 3, 12, 0, tzinfo=UTC)
CENSUS = date(2020, 10, 8)
CALENDAR = SchoolCalendar([Period("term", date(2020, 9, 2), date(2020, 12, 18))])
NOTHING = dict.fromkeys((key for key, _ in retention.KINDS), 0)


# The pure rules ---------------------------------------------------------------------------------------------------


def test_cutoffs_are_the_same_moment_the_periods_ago():
    limits = rules.cutoffs(PERIODS, NOW, TODAY)
    assert limits == rules.Cutoffs(
        case_closed_by=SIX_YEARS_AGO,
        born_by=None,
        decided_by=TWO_YEARS_AGO,
        week_started_by=date(2023, 12, 3),
        uploaded_by=datetime(2025, 12, 3, 12, 0, tzinfo=UTC),
        written_by=datetime(2026, 9, 4, 12, 0, tzinfo=UTC),
    )


def test_a_period_from_29_february_ends_on_28_february():
    assert rules.years_before(date(2028, 2, 29), 6) == date(2022, 2, 28)


def test_a_child_is_past_six_years_after_the_last_closure_and_not_a_day_before():
    limits = rules.cutoffs(PERIODS, NOW, TODAY)
    assert rules.child_is_past(SIX_YEARS_AGO, date(2010, 3, 14), limits) is True
    assert rules.child_is_past(SIX_YEARS_AGO - DAY, date(2010, 3, 14), limits) is True
    assert rules.child_is_past(SIX_YEARS_AGO + DAY, date(2010, 3, 14), limits) is False


def test_with_the_age_rule_the_child_must_also_be_25():
    limits = rules.cutoffs(rules.RetentionPeriods(keep_until_age=25), NOW, TODAY)
    assert limits.born_by == date(2001, 12, 3)
    closed = SIX_YEARS_AGO - DAY
    assert rules.child_is_past(closed, date(2001, 12, 3), limits) is True
    assert rules.child_is_past(closed, date(2001, 12, 4), limits) is False
    assert rules.child_is_past(closed, None, limits) is True  # no date of birth: the closure rule alone


@pytest.mark.parametrize(
    ("born", "kept"),
    [
        (date(2010, 3, 14), date(2009, 9, 1)),
        (date(2010, 8, 31), date(2009, 9, 1)),
        (date(2010, 9, 1), date(2010, 9, 1)),
        (date(2010, 12, 31), date(2010, 9, 1)),
        (None, None),
    ],
)
def test_a_date_of_birth_becomes_the_start_of_its_school_year(born, kept):
    assert rules.school_year_of_birth(born) == kept


@pytest.mark.parametrize(
    ("postcode", "district"),
    [("NB1 1AA", "NB1"), ("sw1a1aa", "SW1A"), ("M1 1AE", "M1"), ("NB1", None), ("", None), (None, None)],
)
def test_a_postcode_becomes_its_district(postcode, district):
    assert rules.postcode_district(postcode) == district


@pytest.mark.parametrize("value", ["", "six", "0", "-1", "101", "2.5"])
def test_a_period_setting_must_be_a_whole_number_in_range(value):
    with pytest.raises(ValueError, match=f"^'{value}' must be a whole number of years from 1 to 100$"):
        rules.parse_whole_number(value, "years", 1, 100)


def test_bad_settings_stop_the_service_with_the_settings_name(monkeypatch):
    import config

    monkeypatch.setenv("CME_RETENTION_CLOSED_CASE_YEARS", "six")
    with pytest.raises(config.InvalidSetting) as raised:
        config.load(CME_ENV="development")
    assert str(raised.value) == "CME_RETENTION_CLOSED_CASE_YEARS: 'six' must be a whole number of years from 1 to 100"


# The run ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    with database.session() as session:
        yield session
    database.engine.dispose()


def a_child_with_a_closed_case(db, school, reference, first, closed_at, **child_fields):
    fields = {
        "first_name": first,
        "middle_names": "Rose",
        "last_name": "Whitcombe",
        "other_names": "Amy Whitcomb",
        "date_of_birth": date(2010, 3, 14),
        "sex": "female",
        "upn": "A123456789012",
        "address_line_1": "12 Mill Lane",
        "address_line_2": "Eastside",
        "town": "Northbridge",
        "postcode": "NB1 1AA",
        "phone": "07700 900123",
        "send_status": "ehcp",
        "vulnerable_groups": ["young_carer"],
        "current_school": school,
    }
    child = Child(**{**fields, **child_fields})
    child.carers = [
        Carer(name="Jo Whitcombe", phone="07700 900456", email="jo@example.com", address="12 Mill Lane"),
        Carer(name="Sam Whitcombe", relationship_to_child="father"),
    ]
    case = Case(
        reference=reference,
        child=child,
        status="closed",
        opened_at=datetime(2020, 9, 7, 9, tzinfo=UTC),
        missing_since=date(2020, 9, 3),
        primary_reason="school_application_awaiting_outcome",
        located_on=date(2020, 11, 20),
        closed_at=closed_at,
        outcome="on_roll",
        outcome_details={"date": "2020-11-23", "school": school.name},
        placed_school_id=school.id,
        closure_justification="The family's social worker confirmed the start",
    )
    case.notes = [
        CaseNote(
            kind="call",
            occurred_at=datetime(2020, 9, 8, 10, tzinfo=UTC),
            with_whom="Jo Whitcombe (mother)",
            outcome="Said they live at 4 New Street now",
            text="Mother says Amy is staying with her aunt at 4 New Street",
        )
    ]
    case.events = [
        CaseEvent(occurred_at=case.opened_at, kind="opened", summary="Case opened", details={"checks": 3}),
        CaseEvent(
            occurred_at=closed_at,
            kind="closed",
            summary=f"Closed: on roll at a named school ({school.name})",
            details={"from": "monitoring", "to": "closed", "date": "2020-11-23", "school": school.name},
        ),
        CaseEvent(
            occurred_at=closed_at + timedelta(hours=1),
            kind="details",
            summary="Phone changed to 07700 900999",
            details={},
        ),
    ]
    case.enquiries = [
        Enquiry(
            check_type="health",
            description="Health visitor for Amy",
            status="done",
            due_on=date(2020, 9, 14),
            answered_on=date(2020, 9, 10),
            answer="Registered at Mill Lane surgery, 12 Mill Lane",
            result="found",
        )
    ]
    db.add(case)
    db.flush()
    return child, case


def a_referral(reference, status="linked", **fields):
    defaults = {
        "reference": reference,
        "source": "public",
        "received_at": datetime(2020, 9, 4, 15, tzinfo=UTC),
        "answers": {"child_first_name": "Amy", "carers": "Jo Whitcombe", "family_phone": "07700 900123"},
        "child_first_name": "Amy",
        "child_last_name": "Whitcombe",
        "child_date_of_birth": date(2010, 3, 14),
        "child_postcode": "NB1 1AA",
        "reporter_name": "Pat Neighbour",
        "reporter_email": "pat@example.com",
        "reporter_phone": "07700 900777",
        "reporter_organisation": "Mill Lane Residents",
        "consent_to_contact": True,
        "secret_phrase_hash": "hash",
        "status": status,
        "closed_reason": "Not a child missing education: she is at Millfield" if status == "closed" else None,
    }
    return Referral(**{**defaults, **fields})


def a_pupil(upn, school, child=None):
    return AttendancePupil(
        upn=upn, first_name="Amy", last_name="Whitcombe", date_of_birth=date(2010, 3, 14), school=school, child=child
    )


def a_week(pupil, school, monday):
    return AttendanceWeek(
        pupil_id=pupil.id,
        week_start=monday,
        school_id=school.id,
        marks="/\\/\\/\\/\\/\\",
        possible=10,
        present=10,
        authorised=0,
        unauthorised=0,
        unexplained=0,
    )


@pytest.fixture
def world(db, school):
    return build_world(db, school)


def build_world(db, school):
    """Amy's case closed six years and a day ago (past); Ben's six years less a day ago (kept); Cal's closed long ago
    but a second case is open (kept). Reports closed without a case two years and a day ago (past) and a day
    short (kept). Attendance weeks either side of three years, files either side of a year, email either side of
    90 days."""
    head = User(email="head@millfield.example", name="Head", role="school", school=school, password_hash="x")
    amy, amy_case = a_child_with_a_closed_case(db, school, "CS-AMY", "Amy", SIX_YEARS_AGO - DAY)
    ben, _ = a_child_with_a_closed_case(db, school, "CS-BEN", "Ben", SIX_YEARS_AGO + DAY, upn="B123456789012")
    cal, _ = a_child_with_a_closed_case(
        db, school, "CS-CAL", "Cal", datetime(2015, 1, 5, tzinfo=UTC), upn="E123456789012"
    )
    db.add(Case(reference="CS-CAL2", child=cal, status="enquiries", opened_at=datetime(2026, 11, 2, tzinfo=UTC)))
    linked = a_referral("RF-AMY", child=amy, case=amy_case, triaged_at=datetime(2020, 9, 7, tzinfo=UTC))
    db.add(linked)
    db.flush()
    db.add(ReferralAddition(referral_id=linked.id, text="Her aunt lives at 4 New Street"))
    notice = SchoolNotice(
        reference="SN-AMY",
        school=school,
        kind="part_time",
        status="attached",
        submitted_at=datetime(2020, 9, 2, tzinfo=UTC),
        upn="A123456789012",
        pupil_first_name="Amy",
        pupil_last_name="Whitcombe",
        pupil_date_of_birth=date(2010, 3, 14),
        pupil_postcode="NB1 1AA",
        event_date=date(2020, 9, 1),
        details={"parent_name": "Jo Whitcombe", "reason": "Anxiety"},
        case=amy_case,
        child=amy,
    )
    db.add(notice)
    db.flush()
    db.add(
        PartTimeTimetable(
            school=school,
            notice_id=notice.id,
            upn="A123456789012",
            pupil_first_name="Amy",
            pupil_last_name="Whitcombe",
            pupil_date_of_birth=date(2010, 3, 14),
            start_date=date(2020, 9, 1),
            hours_per_week=10,
            reason="Anxiety after her father left",
            review_date=date(2020, 10, 1),
            agreed_with_parents=True,
            status="ended",
            ended_on=date(2020, 11, 20),
            end_reason="Moved to Riverside",
            changes=[{"from": {"hours_per_week": 10}, "to": {"hours_per_week": 15}, "reason": "Better"}],
        )
    )
    db.add(
        TimetableReturn(
            school=school,
            term="2020-autumn",
            due_on=date(2020, 12, 18),
            submitted_at=datetime(2020, 12, 1, tzinfo=UTC),
            timetables=[
                {
                    "notice": "SN-AMY",
                    "upn": "A123456789012",
                    "first_name": "Amy",
                    "last_name": "Whitcombe",
                    "date_of_birth": "2010-03-14",
                    "start_date": "2020-09-01",
                    "hours_per_week": 10,
                    "reason": "Anxiety after her father left",
                    "review_date": "2020-10-01",
                    "agreed_with_parents": True,
                },
                {"notice": "SN-OTHER", "upn": "B123456789012", "first_name": "Kit", "last_name": "Lowe"},
            ],
        )
    )
    alerted = a_pupil("A123456789012", school, child=amy)
    db.add(
        AttendanceAlert(
            reference="AA-AMY",
            pupil=alerted,
            school=school,
            run_start=date(2020, 9, 7),
            sessions=20,
            raised_at=datetime(2020, 9, 21, tzinfo=UTC),
            status="linked",
            upn="A123456789012",
            pupil_first_name="Amy",
            pupil_last_name="Whitcombe",
            pupil_date_of_birth=date(2010, 3, 14),
            child=amy,
            case=amy_case,
        )
    )
    db.add_all(
        [
            a_referral("RF-OLD", status="closed", triaged_at=TWO_YEARS_AGO - DAY, received_at=TWO_YEARS_AGO - 3 * DAY),
            a_referral("RF-NEW", status="closed", triaged_at=TWO_YEARS_AGO + DAY, received_at=TWO_YEARS_AGO - 3 * DAY),
            a_referral("RF-WAIT", status="new", received_at=datetime(2019, 1, 7, tzinfo=UTC)),
        ]
    )
    gone, kept = a_pupil("C123456789012", school), a_pupil("D123456789012", school)
    db.add_all([gone, kept])
    db.flush()
    for pupil in (gone, kept, alerted):
        db.add(a_week(pupil, school, date(2023, 11, 27)))  # ended before the cut-off, Sunday 3 December 2023
    db.add(a_week(kept, school, date(2023, 12, 4)))  # a day after it
    db.add_all(
        AttendanceSchoolWeek(
            school_id=school.id,
            week_start=monday,
            pupils=3,
            possible=30,
            present=30,
            authorised=0,
            unauthorised=0,
            unexplained=0,
            term_pupils=3,
            term_persistent=0,
            term_severe=0,
        )
        for monday in (date(2023, 11, 27), date(2023, 12, 4))
    )
    for reference, uploaded in (("NU-OLD", NOW - 366 * DAY), ("NU-NEW", NOW - 364 * DAY)):
        db.add(
            NoticeUpload(
                reference=reference,
                school=school,
                uploaded_by=head,
                uploaded_at=uploaded,
                file_name="leavers.csv",
                file_format="csv",
                content=b"upn,first_name\nA123456789012,Amy\n",
                size=33,
                status="sent",
            )
        )
    for reference, uploaded in (("AI-OLD", NOW - 366 * DAY), ("AI-NEW", NOW - 364 * DAY)):
        db.add(
            AttendanceImport(
                reference=reference,
                uploaded_at=uploaded,
                file_name="marks.csv",
                content=b"upn,date,mark\n",
                size=14,
                status="imported",
                problems=[{"line": 2, "field": "upn", "message": "A12345678901X is not a UPN"}],
                problem_count=1,
            )
        )
    for subject, written in (("Old", NOW - 91 * DAY), ("New", NOW - 89 * DAY)):
        db.add(OutboxMessage(created_at=written, to_address="pat@example.com", subject=subject, body="Thank you"))
    for key, expires in (("old", NOW - timedelta(seconds=1)), ("new", NOW + DAY)):
        db.add(ReportDraft(session_key_hash=key, submission_key=key, expires_at=expires, answers={"a": "b"}))
    db.commit()
    return {"amy": amy.id, "ben": ben.id, "cal": cal.id}


EXPECTED = {
    "children": 1,
    "carers": 2,
    "referrals": 2,  # Amy's, and the report closed without a case two years and a day ago
    "referral_additions": 1,
    "school_notices": 1,
    "attendance_alerts": 1,
    "report_drafts": 1,
    "attendance_weeks": 3,
    "attendance_pupils_deleted": 1,
    "attendance_pupils_anonymised": 1,
    "notice_upload_files": 1,
    "attendance_import_files": 1,
    "outbox_messages": 1,
}


def run(db, **options):
    return retention.run(db, PERIODS, NOW, TODAY, **options)


def test_amy_is_anonymised_and_ben_and_cal_are_kept(db, world):
    assert run(db).counts == EXPECTED
    db.expire_all()
    amy = db.get(Child, world["amy"])
    assert (amy.full_name, amy.first_name, amy.middle_names, amy.last_name, amy.other_names) == (
        "Anonymised",
        None,
        None,
        "Anonymised",
        None,
    )
    assert (amy.date_of_birth, amy.postcode, amy.upn, amy.phone) == (date(2009, 9, 1), "NB1", None, None)
    assert (amy.address_line_1, amy.address_line_2, amy.town) == (None, None, None)
    assert (amy.sex, amy.send_status, amy.vulnerable_groups, amy.current_school_id is not None) == (
        "female",
        "ehcp",
        ["young_carer"],
        True,
    )
    assert amy.anonymised_at == NOW
    assert amy.carers == []
    keys = db.scalars(select(ChildNameKey.key).where(ChildNameKey.child_id == amy.id))
    assert sorted(keys) == sorted(rules_keys("Anonymised"))
    for kept in ("ben", "cal"):
        child = db.get(Child, world[kept])
        assert (child.first_name, child.upn is not None, len(child.carers), child.anonymised_at) == (
            kept.title(),
            True,
            2,
            None,
        )


def rules_keys(name):
    from shared.domain.matching import child_keys

    return child_keys(None, None, name, None)


def test_amy_s_case_keeps_its_dates_reasons_and_outcome_and_loses_its_text(db, world):
    run(db)
    db.expire_all()
    case = db.scalar(select(Case).where(Case.reference == "CS-AMY"))
    assert (case.opened_at, case.missing_since, case.primary_reason, case.located_on, case.closed_at) == (
        datetime(2020, 9, 7, 9, tzinfo=UTC),
        date(2020, 9, 3),
        "school_application_awaiting_outcome",
        date(2020, 11, 20),
        SIX_YEARS_AGO - DAY,
    )
    assert (case.outcome, case.outcome_details, case.closure_justification) == (
        "on_roll",
        {"date": "2020-11-23", "school": "Millfield Primary School"},
        None,
    )
    [note] = case.notes
    assert (note.kind, note.occurred_at, note.with_whom, note.outcome, note.text) == (
        "call",
        datetime(2020, 9, 8, 10, tzinfo=UTC),
        None,
        None,
        "Removed at the end of the retention period",
    )
    assert [(event.kind, event.summary, event.details) for event in case.events] == [
        ("opened", "Removed at the end of the retention period", {"checks": 3}),
        (
            "closed",
            "Removed at the end of the retention period",
            {"from": "monitoring", "to": "closed", "date": "2020-11-23"},
        ),
        ("details", "Removed at the end of the retention period", {}),
    ]
    [check] = case.enquiries
    assert (check.check_type, check.status, check.result, check.description, check.answer) == (
        "health",
        "done",
        "found",
        None,
        None,
    )


def test_amy_s_report_notice_timetable_and_alert_are_anonymised(db, world):
    run(db)
    db.expire_all()
    referral = db.scalar(select(Referral).where(Referral.reference == "RF-AMY"))
    assert (referral.source, referral.received_at, referral.status, referral.case_id is not None) == (
        "public",
        datetime(2020, 9, 4, 15, tzinfo=UTC),
        "linked",
        True,
    )
    assert (referral.answers, referral.child_first_name, referral.child_last_name) == ({}, None, None)
    assert (referral.child_date_of_birth, referral.child_postcode) == (date(2009, 9, 1), "NB1")
    assert (referral.reporter_name, referral.reporter_email, referral.reporter_phone) == (None, None, None)
    assert (referral.reporter_organisation, referral.consent_to_contact, referral.secret_phrase_hash) == (
        None,
        None,
        None,
    )
    assert referral.anonymised_at == NOW
    assert db.scalar(select(func.count()).select_from(ReferralAddition)) == 0
    notice = db.scalar(select(SchoolNotice).where(SchoolNotice.reference == "SN-AMY"))
    assert (notice.upn, notice.pupil_first_name, notice.pupil_last_name, notice.pupil_date_of_birth) == (
        None,
        "",
        "Anonymised",
        date(2009, 9, 1),
    )
    assert (notice.pupil_postcode, notice.details, notice.kind, notice.event_date) == (
        "NB1",
        {},
        "part_time",
        date(2020, 9, 1),
    )
    timetable = db.scalar(select(PartTimeTimetable))
    assert (timetable.upn, timetable.pupil_last_name, timetable.reason, timetable.end_reason, timetable.changes) == (
        None,
        "Anonymised",
        "Removed at the end of the retention period",
        None,
        [],
    )
    assert (timetable.hours_per_week, timetable.ended_on) == (10, date(2020, 11, 20))
    stated = db.scalar(select(TimetableReturn)).timetables
    assert stated == [
        {
            "notice": "SN-AMY",
            "upn": None,
            "first_name": "",
            "last_name": "Anonymised",
            "date_of_birth": "2009-09-01",
            "start_date": "2020-09-01",
            "hours_per_week": 10,
            "reason": "Removed at the end of the retention period",
            "review_date": "2020-10-01",
            "agreed_with_parents": True,
        },
        {"notice": "SN-OTHER", "upn": "B123456789012", "first_name": "Kit", "last_name": "Lowe"},
    ]
    alert = db.scalar(select(AttendanceAlert))
    assert (alert.upn, alert.pupil_last_name, alert.pupil_date_of_birth, alert.sessions) == (
        "",
        "Anonymised",
        date(2009, 9, 1),
        20,
    )


def test_reports_closed_without_a_case_go_two_years_after_the_decision(db, world):
    run(db)
    db.expire_all()
    old, new, waiting = (
        db.scalar(select(Referral).where(Referral.reference == reference))
        for reference in ("RF-OLD", "RF-NEW", "RF-WAIT")
    )
    assert (old.reporter_name, old.answers, old.closed_reason, old.anonymised_at) == (None, {}, None, NOW)
    assert (old.status, old.source, old.triaged_at) == ("closed", "public", TWO_YEARS_AGO - DAY)
    assert (new.reporter_name, new.closed_reason, new.anonymised_at) == (
        "Pat Neighbour",
        "Not a child missing education: she is at Millfield",
        None,
    )
    assert (waiting.reporter_name, waiting.anonymised_at) == ("Pat Neighbour", None)  # still waiting: never


def test_attendance_marks_go_after_three_years_and_school_weeks_stay(db, world):
    run(db)
    db.expire_all()
    assert db.execute(select(AttendanceWeek.week_start, AttendancePupil.upn).join(AttendancePupil)).all() == [
        (date(2023, 12, 4), "D123456789012")
    ]
    pupils = sorted(db.execute(select(AttendancePupil.upn, AttendancePupil.last_name, AttendancePupil.child_id)))
    alerted = db.scalar(select(AttendanceAlert.pupil_id))
    assert pupils == [("D123456789012", "Whitcombe", None), (f"anon-{alerted}", "Anonymised", None)]
    assert db.scalar(select(func.count()).select_from(AttendanceSchoolWeek)) == 2


def test_files_are_emptied_after_a_year_and_unsent_email_deleted_after_90_days(db, world):
    run(db)
    db.expire_all()
    uploads = db.execute(select(NoticeUpload.reference, NoticeUpload.content, NoticeUpload.size).order_by("reference"))
    assert uploads.all() == [("NU-NEW", b"upn,first_name\nA123456789012,Amy\n", 33), ("NU-OLD", b"", 33)]
    imports = db.execute(
        select(AttendanceImport.reference, AttendanceImport.content, AttendanceImport.problems).order_by("reference")
    ).all()
    assert [(reference, content is None, len(problems)) for reference, content, problems in imports] == [
        ("AI-NEW", False, 1),
        ("AI-OLD", True, 0),
    ]
    assert db.scalars(select(OutboxMessage.subject)).all() == ["New"]
    assert db.scalars(select(ReportDraft.session_key_hash)).all() == ["new"]


def test_the_dashboard_and_the_dfe_return_count_the_same_after(db, world):
    filters = Filters(start=date(2020, 1, 1), end=TODAY)

    def counts():
        census = dfe_return.cme_on(db, CENSUS, CALENDAR)
        return (
            outcomes(db, filters),
            referrals_over_time(db, filters, "month"),
            census.by_sex,
            census.by_year_group,
            census.by_band,
            census.by_category,
            [(child.case_reference, child.year_group) for child in census.children],
        )

    before = counts()
    assert before[-1] == [("CS-AMY", "Year 6"), ("CS-BEN", "Year 6")]
    run(db)
    db.expire_all()
    assert counts() == before


def test_a_second_run_finds_nothing_and_each_run_is_audited_with_counts_only(db, world):
    run(db)
    again = run(db)
    assert again.counts == NOTHING
    assert again.total == 0
    summaries = select(AuditEvent.action, AuditEvent.object_type, AuditEvent.actor_label, AuditEvent.after)
    events = db.execute(summaries.where(AuditEvent.actor_label == "retention").order_by(AuditEvent.id)).all()
    assert events == [
        ("retention_run", "retention", "retention", EXPECTED),
        ("retention_run", "retention", "retention", NOTHING),
    ]


def snapshot(db):
    """Every row of the tables the run touches, as the database holds them."""
    tables = (Child, Carer, Case, CaseNote, CaseEvent, Enquiry, Referral, ReferralAddition, SchoolNotice)
    rows = {}
    for model in (*tables, PartTimeTimetable, AttendanceAlert, AttendancePupil, AttendanceWeek, NoticeUpload):
        rows[model.__tablename__] = sorted(repr(tuple(row)) for row in db.execute(select(model.__table__)))
    for model in (AttendanceImport, OutboxMessage, ReportDraft, AuditEvent, ChildNameKey):
        rows[model.__tablename__] = db.scalar(select(func.count()).select_from(model))
    return rows


def test_a_dry_run_reports_the_same_counts_and_changes_nothing(db, world):
    before = snapshot(db)
    report = run(db, dry_run=True)
    assert (report.counts, report.dry_run) == (EXPECTED, True)
    db.expire_all()
    assert snapshot(db) == before
    assert run(db).counts == EXPECTED  # and the real run does what the dry run said


def test_small_batches_do_the_same_work(db, world):
    assert run(db, batch_size=1).counts == EXPECTED


def test_a_failure_rolls_back_its_batch_and_keeps_the_batches_before(db, world, monkeypatch):
    anonymise = retention.anonymise_child

    def fails_for_ben(child, now, counts):
        if child.first_name == "Ben":
            raise RuntimeError("the database went away")
        anonymise(child, now, counts)

    # Ben's case is closed past the period too on a run eight years on; Amy's batch (the first) commits.
    later = NOW.replace(year=2028)
    monkeypatch.setattr(retention, "anonymise_child", fails_for_ben)
    with pytest.raises(RuntimeError, match="the database went away"):
        retention.run(db, PERIODS, later, later.date(), batch_size=1)
    db.expire_all()
    amy, ben = db.get(Child, world["amy"]), db.get(Child, world["ben"])
    assert (amy.full_name, amy.anonymised_at) == ("Anonymised", later)
    assert (ben.full_name, ben.anonymised_at, len(ben.carers)) == ("Ben Whitcombe", None, 2)
    assert db.scalar(select(Referral.reporter_name).where(Referral.reference == "RF-OLD")) == "Pat Neighbour"
    assert db.scalar(select(func.count()).where(AuditEvent.action == "retention_run")) == 0  # (the run failed)


def test_a_failure_inside_one_batch_leaves_that_batch_untouched(db, world, monkeypatch):
    anonymise = retention.anonymise_child

    def fails_for_ben(child, now, counts):
        if child.first_name == "Ben":
            raise RuntimeError("the database went away")
        anonymise(child, now, counts)

    later = NOW.replace(year=2028)
    monkeypatch.setattr(retention, "anonymise_child", fails_for_ben)
    with pytest.raises(RuntimeError):
        retention.run(db, PERIODS, later, later.date(), batch_size=10)  # Amy and Ben in one batch
    db.expire_all()
    amy = db.get(Child, world["amy"])
    assert (amy.full_name, amy.anonymised_at, len(amy.carers)) == ("Amy Whitcombe", None, 2)
    assert db.scalar(select(Referral.reporter_name).where(Referral.reference == "RF-AMY")) == "Pat Neighbour"


def test_the_age_rule_keeps_amy_until_she_is_25(db, world):
    report = retention.run(db, rules.RetentionPeriods(keep_until_age=25), NOW, TODAY)
    assert (report.counts["children"], report.counts["referrals"]) == (0, 1)
    assert db.get(Child, world["amy"]).anonymised_at is None


def test_a_case_reopened_after_the_batch_was_chosen_keeps_the_child(db, world):
    """The batch's children are asked again inside its transaction: Amy's case, reopened between the choosing and
    the work, keeps her details."""
    amy = db.get(Child, world["amy"])
    amy.cases[0].status, amy.cases[0].closed_at = CaseStatus.ENQUIRIES, None
    db.commit()
    counts = Counter()

    retention._anonymise_children(db, [amy.id], rules.cutoffs(PERIODS, NOW, TODAY), NOW, counts)
    db.commit()

    db.expire_all()
    assert (db.get(Child, world["amy"]).first_name, db.get(Child, world["amy"]).anonymised_at, counts) == (
        "Amy",
        None,
        Counter(),
    )
