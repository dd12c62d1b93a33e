"""The dashboard's reads of what happens to children: referrals over time by source, outcomes of closed cases, time to
locate a child in school days, schools' removals with no known destination, and placed children's attendance since
placement. Each on seeded data with exact values, with the filters narrowing it, in a fixed number of queries."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, select

from shared.clock import UK
from shared.domain.attendance import count, encode
from shared.domain.school_days import Period, SchoolCalendar
from shared.models import (
    AttendanceAlert,
    AttendancePupil,
    AttendanceWeek,
    Case,
    Child,
    Referral,
    School,
    SchoolNotice,
)
from shared.queries.dashboard.days import school_day_counter, summer_time
from shared.queries.dashboard.outcomes import (
    LOCATE_BANDS,
    LocateTimes,
    SchoolRemovals,
    locate_times,
    outcomes,
    removals_without_destination,
    time_to_locate,
)
from shared.queries.dashboard.placed import PlacedSummary, placed_attendance, placed_summary
from shared.queries.dashboard.referrals import SourcePoint, referrals_over_time
from shared.queries.dashboard.scope import Filters
from tests.conftest import a_school

CALENDAR = SchoolCalendar(
    [
        Period("term", date(2026, 9, 2), date(2026, 10, 23)),
        Period("term", date(2026, 11, 2), date(2026, 12, 18)),
    ]
)
NOVEMBER = Filters(date(2026, 11, 1), date(2026, 11, 30))


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A time in England on the day."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UK)


@contextmanager
def statements(db):
    """The SQL statements run inside the block."""
    seen: list[str] = []

    def record(connection, cursor, statement, *args):
        seen.append(statement)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def schools(db, school):
    riverside = db.scalar(select(School).where(School.urn == 990102))
    castle = a_school(990103, "4101", "Castle Hill Academy", "NB3 3CC")
    castle.phase = "Secondary"
    db.add(castle)
    db.commit()
    return {"millfield": school, "riverside": riverside, "castle": castle}


def a_case(db, reference: str, opened: date, school: School | None = None, **fields) -> Case:
    """A case opened at 9am on the day, for a child of its own (at the school given)."""
    child = Child(first_name=reference, last_name="Test", date_of_birth=date(2015, 4, 3), current_school=school)
    case = Case(reference=reference, child=child, opened_at=at(opened, 9), **fields)
    db.add(case)
    db.flush()
    return case


def november(**narrowing) -> Filters:
    return Filters(NOVEMBER.start, NOVEMBER.end, **narrowing)


def a_referral(db, reference: str, source: str, received: datetime, case: Case | None = None) -> Referral:
    referral = Referral(reference=reference, source=source, received_at=received, case=case)
    db.add(referral)
    return referral


def a_notice(db, reference: str, school: School, event_date: date, kind: str = "leaver", **fields) -> SchoolNotice:
    notice = SchoolNotice(
        reference=reference,
        school_id=school.id,
        kind=kind,
        pupil_first_name="Pat",
        pupil_last_name="Test",
        pupil_date_of_birth=date(2015, 4, 3),
        event_date=event_date,
        **fields,
    )
    db.add(notice)
    return notice


def a_pupil(db, upn: str, school: School, child: Child | None = None) -> AttendancePupil:
    pupil = AttendancePupil(
        upn=upn, first_name="Pat", last_name="Test", date_of_birth=date(2015, 4, 3), school_id=school.id, child=child
    )
    db.add(pupil)
    db.flush()
    return pupil


# Referrals over time -------------------------------------------------------------------------------------------


@pytest.fixture
def referrals(db, schools, users):
    """Referrals around June 2026 (British Summer Time: England is an hour ahead of UTC). The one on case A
    (the child at Millfield, the officer's) and the one on case B (a Riverside notice first, the child now at
    Millfield)."""
    millfield, riverside = schools["millfield"], schools["riverside"]
    case_a = a_case(db, "CSA0001", date(2026, 6, 8), millfield, assigned_to=users["officer"])
    case_b = a_case(db, "CSB0001", date(2026, 6, 8), millfield)
    a_notice(db, "NTB0001", riverside, date(2026, 6, 1), kind="absence", case=case_b, submitted_at=at(date(2026, 6, 1)))
    a_referral(db, "RFA0001", "public", at(date(2026, 6, 2)))
    a_referral(db, "RFA0002", "public", at(date(2026, 6, 3), 9))
    a_referral(db, "RFA0003", "school", at(date(2026, 6, 7), 23, 30), case=case_a)  # Sunday night
    a_referral(db, "RFA0004", "school", at(date(2026, 6, 8), 0, 30), case=case_b)  # Monday, still Sunday in UTC
    a_referral(db, "RFA0005", "professional", at(date(2026, 6, 16), 23, 59))
    a_referral(db, "RFA0006", "public", at(date(2026, 6, 17), 0, 10))  # the 16th in UTC: the 17th in England
    db.commit()


def points(found) -> list[tuple]:
    return [(point.period_start, point.source, point.count) for point in found if point.count]


def test_referrals_by_week_fill_every_week_and_source_and_use_days_in_england(db, referrals):
    found = referrals_over_time(db, Filters(date(2026, 6, 3), date(2026, 6, 16)), "week")
    weeks = [date(2026, 6, 1), date(2026, 6, 8), date(2026, 6, 15)]
    sources = ["public", "professional", "school", "other_la"]
    assert [(point.period_start, point.source) for point in found] == [
        (week, source) for week in weeks for source in sources
    ]
    assert found[:4] == [
        SourcePoint(date(2026, 6, 1), "public", "Member of the public", 1),
        SourcePoint(date(2026, 6, 1), "professional", "Professional", 0),
        SourcePoint(date(2026, 6, 1), "school", "School", 1),
        SourcePoint(date(2026, 6, 1), "other_la", "Another local authority", 0),
    ]
    assert points(found) == [
        (date(2026, 6, 1), "public", 1),
        (date(2026, 6, 1), "school", 1),
        (date(2026, 6, 8), "school", 1),
        (date(2026, 6, 15), "professional", 1),
    ]


def test_referrals_by_month_list_months_with_none(db, referrals):
    found = referrals_over_time(db, Filters(date(2026, 5, 20), date(2026, 7, 10)), "month")
    assert sorted({point.period_start for point in found}) == [date(2026, 5, 1), date(2026, 6, 1), date(2026, 7, 1)]
    assert len(found) == 12
    assert points(found) == [
        (date(2026, 6, 1), "public", 3),
        (date(2026, 6, 1), "professional", 1),
        (date(2026, 6, 1), "school", 2),
    ]


def test_referrals_narrowed_to_a_school_phase_or_officer_leave_out_referrals_with_no_case(
    db, schools, users, referrals
):
    june = Filters(date(2026, 6, 1), date(2026, 6, 30))
    # Case A's school is Millfield (its child's); case B's is Riverside (the school that sent its first notice).
    millfield = referrals_over_time(db, Filters(june.start, june.end, frozenset({schools["millfield"].id})), "month")
    assert points(millfield) == [(date(2026, 6, 1), "school", 1)]
    riverside = referrals_over_time(db, Filters(june.start, june.end, frozenset({schools["riverside"].id})), "month")
    assert points(riverside) == [(date(2026, 6, 1), "school", 1)]
    officer = Filters(june.start, june.end, officer_id=users["officer"].id)
    assert points(referrals_over_time(db, officer, "month")) == [(date(2026, 6, 1), "school", 1)]
    secondary = referrals_over_time(db, Filters(june.start, june.end, phase="Secondary"), "month")
    assert points(secondary) == [] and len(secondary) == 4
    with statements(db) as seen:
        referrals_over_time(db, Filters(june.start, june.end, phase="Primary"), "week")
    assert len(seen) == 1


def test_a_day_in_england_in_summer_time_and_out_of_it():
    assert summer_time(2026) == (datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC))
    for year in (2024, 2025, 2026, 2027):
        begins, ends = summer_time(year)
        assert (begins - timedelta(minutes=1)).astimezone(UK).utcoffset() == timedelta(0)
        assert begins.astimezone(UK).utcoffset() == timedelta(hours=1)
        assert (ends - timedelta(minutes=1)).astimezone(UK).utcoffset() == timedelta(hours=1)
        assert ends.astimezone(UK).utcoffset() == timedelta(0)


# Outcomes ----------------------------------------------------------------------------------------------------------


def test_outcomes_of_cases_closed_in_the_dates_list_every_outcome(db, schools):
    millfield, riverside = schools["millfield"], schools["riverside"]
    for reference, outcome, closed, school in (
        ("CSO0001", "on_roll", at(date(2026, 11, 3)), millfield),
        ("CSO0002", "on_roll", at(date(2026, 11, 4)), millfield),
        ("CSO0003", "moved_abroad", at(date(2026, 11, 5)), riverside),
        ("CSO0004", "not_located", at(date(2026, 10, 31), 23, 59), millfield),
        ("CSO0005", "referred_to_social_care", at(date(2026, 11, 30), 23, 59), millfield),
        ("CSO0006", "on_roll", at(date(2026, 12, 1), 0, 1), millfield),
    ):
        a_case(db, reference, date(2026, 9, 1), school, status="closed", outcome=outcome, closed_at=closed)
    a_case(db, "CSO0007", date(2026, 11, 2), millfield)
    db.commit()
    with statements(db) as seen:
        found = outcomes(db, NOVEMBER)
    assert len(seen) == 1
    assert [(row.outcome, row.label, row.count, row.total) for row in found] == [
        ("on_roll", "On roll at a named school", 2, 4),
        ("elective_home_education", "Elective home education", 0, 4),
        ("moved_to_other_la", "Moved to another local authority", 0, 4),
        ("moved_abroad", "Moved abroad", 1, 4),
        ("referred_to_admissions", "Located and referred to admissions, fair access or SEND", 0, 4),
        ("not_located", "Not located after all enquiries: added to the Lost Pupil Database", 0, 4),
        ("not_compulsory_age", "No longer of compulsory school age", 0, 4),
        ("referred_to_social_care", "Referred to children's social care", 1, 4),
    ]
    assert found[0].share == 0.5
    riverside_only = outcomes(db, november(school_ids=frozenset({riverside.id})))
    assert [(row.outcome, row.count, row.total) for row in riverside_only if row.count] == [("moved_abroad", 1, 1)]
    assert {row.share for row in outcomes(db, november(phase="Secondary"))} == {None}


# Time to locate ----------------------------------------------------------------------------------------------------


def test_locate_times_bands_meet_at_their_edges():
    times = locate_times([41, 0, 5, 6, 10, 11, 20, 21, 40])
    assert times.bands == [
        ("0 to 5 school days", 2),
        ("6 to 10 school days", 2),
        ("11 to 20 school days", 2),
        ("21 to 40 school days", 2),
        ("Over 40 school days", 1),
    ]
    assert (times.count, times.median, times.p90) == (9, 11, 41)
    assert locate_times([]) == LocateTimes(0, None, None, [(band, 0) for band, _, _ in LOCATE_BANDS])


def test_time_to_locate_counts_school_days_from_the_first_item(db, schools, users):
    millfield = schools["millfield"]
    officer = users["officer"]
    # Found the day the report came in (a later notice does not move the start): 0 school days.
    first = a_case(db, "CSL0001", date(2026, 11, 2), millfield, located_on=date(2026, 11, 2), assigned_to=officer)
    a_referral(db, "RFL0001", "public", at(date(2026, 11, 2), 8), case=first)
    a_notice(db, "NTL0001", millfield, date(2026, 11, 1), case=first, submitted_at=at(date(2026, 11, 3)))
    # No items: from the day it was opened, Monday 2 to Monday 9 November: 5 school days.
    a_case(db, "CSL0002", date(2026, 11, 2), millfield, located_on=date(2026, 11, 9))
    # A notice on Friday 16 October before a referral: to Tuesday 3 November over half term, 5 + 2 school days.
    third = a_case(db, "CSL0003", date(2026, 10, 21), millfield, located_on=date(2026, 11, 3), assigned_to=officer)
    a_notice(
        db,
        "NTL0003",
        millfield,
        date(2026, 10, 16),
        kind="absence",
        case=third,
        submitted_at=at(date(2026, 10, 16), 14),
    )
    a_referral(db, "RFL0003", "school", at(date(2026, 10, 20)), case=third)
    # An attendance alert raised on Monday 5 October, located Monday 30 November: 35 school days.
    fourth = a_case(db, "CSL0004", date(2026, 10, 7), millfield, located_on=date(2026, 11, 30))
    pupil = a_pupil(db, "B801200005001", millfield)
    names = {"pupil_first_name": "Pat", "pupil_last_name": "Test", "pupil_date_of_birth": pupil.date_of_birth}
    raised = at(date(2026, 10, 5), 7)
    db.add(
        AttendanceAlert(
            reference="ALL0004",
            pupil=pupil,
            school_id=millfield.id,
            run_start=date(2026, 9, 21),
            sessions=20,
            raised_at=raised,
            upn=pupil.upn,
            case=fourth,
            **names,
        )
    )
    # Located outside November: not counted.
    a_case(db, "CSL0005", date(2026, 11, 2), millfield, located_on=date(2026, 12, 1))
    a_case(db, "CSL0006", date(2026, 10, 2), millfield, located_on=date(2026, 10, 31))
    db.commit()
    with statements(db) as seen:
        times = time_to_locate(db, NOVEMBER, CALENDAR)
    assert len(seen) == 1
    assert (times.count, times.median, times.p90) == (4, 6, 35)
    assert times.bands == [
        ("0 to 5 school days", 2),
        ("6 to 10 school days", 1),
        ("11 to 20 school days", 0),
        ("21 to 40 school days", 1),
        ("Over 40 school days", 0),
    ]
    mine = time_to_locate(db, november(officer_id=officer.id), CALENDAR)
    assert (mine.count, mine.median, mine.p90) == (2, 3.5, 7)
    assert time_to_locate(db, november(phase="Secondary"), CALENDAR).count == 0


def test_the_running_count_of_school_days_agrees_with_the_calendar():
    between = school_day_counter(CALENDAR, date(2026, 8, 1), date(2027, 1, 31))
    for start, end in ((date(2026, 10, 16), date(2026, 11, 3)), (date(2026, 8, 1), date(2027, 1, 31))):
        assert between(start, end) == CALENDAR.school_days_between(start, end)
        assert between(end, start) == CALENDAR.school_days_between(end, start)
    assert between(date(2026, 10, 16), date(2026, 11, 3)) == 7


# Removals with no known destination --------------------------------------------------------------------------------


def test_removals_without_a_destination_per_school_with_its_leavers(db, schools, users):
    millfield, riverside, castle = schools["millfield"], schools["riverside"], schools["castle"]
    theirs = a_case(db, "CSR0001", date(2026, 11, 2), assigned_to=users["officer"])
    nov = date(2026, 11, 10)
    for reference, school, ground, destination, case in (
        ("NTR0001", millfield, "a", "XXXXXXX", None),  # not known
        ("NTR0002", millfield, "g", None, None),  # moved away, no school named
        ("NTR0003", millfield, "f", None, None),  # home education: known
        ("NTR0004", millfield, "a", "9992102", None),  # registered elsewhere: known
        ("NTR0005", millfield, "i", None, None),  # could not be found
        ("NTR0006", millfield, "k", None, None),  # died: no next school expected
        ("NTR0007", millfield, "a", "MMMMMMM", None),  # left for the independent sector or abroad: known
        ("NTR0010", riverside, "h", None, theirs),
        ("NTR0011", riverside, "a", "XXXXXXX", None),
        ("NTR0012", castle, "b", None, None),
    ):
        a_notice(db, reference, school, nov, deletion_ground=ground, destination_laestab=destination, case=case)
    a_notice(db, "NTR0008", millfield, nov, kind="joiner")
    a_notice(db, "NTR0009", millfield, date(2026, 10, 31), deletion_ground="a", destination_laestab="XXXXXXX")
    db.commit()
    with statements(db) as seen:
        found = removals_without_destination(db, NOVEMBER)
    assert len(seen) == 1
    assert found == [
        SchoolRemovals(millfield.id, "Millfield Primary School", 990101, 3, 7),
        SchoolRemovals(riverside.id, "Riverside Junior School", 990102, 2, 2),
    ]
    assert found[0].share == 3 / 7
    only = removals_without_destination(db, november(school_ids=frozenset({riverside.id})))
    assert [(row.urn, row.count, row.leavers) for row in only] == [(990102, 2, 2)]
    assert removals_without_destination(db, november(phase="Secondary")) == []
    mine = removals_without_destination(db, november(officer_id=users["officer"].id))
    assert [(row.urn, row.count, row.leavers) for row in mine] == [(990102, 1, 1)]


# Placed children's attendance --------------------------------------------------------------------------------------

PRESENT = ["/", "\\"]


def week_of(*days: list[str]) -> list[str]:
    codes = [code for day in days for code in day]
    return codes + [""] * (10 - len(codes))


def store(db, pupil: AttendancePupil, school: School, monday: date, codes: list[str]) -> None:
    marks = encode(codes)
    db.add(
        AttendanceWeek(pupil_id=pupil.id, school_id=school.id, week_start=monday, marks=marks, **asdict(count(marks)))
    )


@pytest.fixture
def placed(db, schools):
    """P1 placed at Millfield on Wednesday 4 November (monitoring); P2 closed on roll at Riverside from Thursday
    1 October, closed 20 November; P3 placed at Millfield on 16 November with no marks yet; P8 placed at Millfield
    on Monday 9 November, with marks under two UPNs. Not placed for these dates: P4 closed before November, P5
    placed after it, P6 back to enquiries, P7 closed as moved abroad."""
    millfield, riverside = schools["millfield"], schools["riverside"]

    def monitored(reference: str, day: date) -> Child:
        details = {"on_roll_from": day.isoformat()}
        return a_case(
            db,
            reference,
            date(2026, 10, 1),
            status="monitoring",
            placed_school_id=millfield.id,
            located_on=day,
            outcome_details=details,
        ).child

    pupil = a_pupil(db, "A801200005002", millfield, monitored("CSP0001", date(2026, 11, 4)))
    absent = ["O", "O"]
    store(db, pupil, millfield, date(2026, 11, 2), week_of(absent, absent, PRESENT, PRESENT, PRESENT))
    store(db, pupil, millfield, date(2026, 11, 9), week_of(["I", "I"], PRESENT, PRESENT, PRESENT, ["N", "N"]))
    monitored("CSP0003", date(2026, 11, 16))
    p8 = monitored("CSP0008", date(2026, 11, 9))
    store(
        db,
        a_pupil(db, "C801200005004", millfield, p8),
        millfield,
        date(2026, 11, 9),
        week_of(PRESENT, PRESENT, PRESENT, absent, absent),
    )
    store(db, a_pupil(db, "D801200005005", millfield, p8), millfield, date(2026, 11, 16), week_of(*[PRESENT] * 5))
    on_roll = {"date": "2026-10-01", "school": "Riverside Junior School"}
    p2 = a_case(
        db,
        "CSP0002",
        date(2026, 9, 7),
        status="closed",
        outcome="on_roll",
        placed_school_id=riverside.id,
        closed_at=at(date(2026, 11, 20)),
        located_on=date(2026, 9, 30),
        outcome_details=on_roll,
    ).child
    pupil = a_pupil(db, "Z801200005003", riverside, p2)
    store(db, pupil, riverside, date(2026, 9, 28), week_of(["N", "N"], ["N", "N"], ["N", "N"], PRESENT, PRESENT))
    store(db, pupil, riverside, date(2026, 11, 2), week_of(PRESENT, PRESENT, PRESENT, PRESENT, PRESENT))
    store(db, pupil, millfield, date(2026, 11, 9), week_of(["N", "N"], ["N", "N"]))  # not the placed school
    for reference, fields in (
        ("CSP0004", {"status": "closed", "outcome": "on_roll", "closed_at": at(date(2026, 10, 20))}),
        ("CSP0005", {"status": "monitoring", "outcome_details": {"on_roll_from": "2026-12-01"}}),
        ("CSP0006", {"status": "enquiries", "outcome_details": {"on_roll_from": "2026-11-02"}}),
        ("CSP0007", {"status": "closed", "outcome": "moved_abroad", "closed_at": at(date(2026, 11, 20))}),
    ):
        a_case(db, reference, date(2026, 9, 1), placed_school_id=millfield.id, located_on=date(2026, 10, 1), **fields)
    db.commit()


def test_placed_childrens_attendance_since_placement_to_today(db, schools, placed):
    # Today is Wednesday 11 November: P1 from Wednesday 4 (6 of 6) to Wednesday 11 (4 of 6, ill on Monday);
    # P2 from Thursday 1 October (4 of 4) and the week of 2 November (10 of 10) at Riverside only; P8 from
    # Monday 9 to Wednesday 11 (6 of 6).
    with statements(db) as seen:
        found = placed_attendance(db, NOVEMBER, today=date(2026, 11, 11))
    assert len(seen) == 1
    assert [(row.case_reference, row.school_name, row.placed_on, row.possible, row.attended) for row in found] == [
        ("CSP0001", "Millfield Primary School", date(2026, 11, 4), 12, 10),
        ("CSP0002", "Riverside Junior School", date(2026, 10, 1), 14, 14),
        ("CSP0008", "Millfield Primary School", date(2026, 11, 9), 6, 6),
        ("CSP0003", "Millfield Primary School", date(2026, 11, 16), 0, 0),
    ]
    assert [row.attendance_rate for row in found] == [10 / 12, 1.0, 1.0, None]
    assert placed_summary(found) == PlacedSummary(4, 3, 1.0, 1)


def test_placed_attendance_counts_whole_weeks_up_to_the_end_of_the_dates(db, schools, placed):
    # By Friday 13 November P1's second week is whole: 6 of 10 (ill on Monday, unexplained on Friday). P8's
    # weeks of 9 and 16 November are under two UPNs: 6 of 10 and 10 of 10.
    found = placed_attendance(db, NOVEMBER, today=date(2026, 12, 31))
    assert [(row.case_reference, row.possible, row.attended) for row in found] == [
        ("CSP0001", 16, 12),
        ("CSP0008", 20, 16),
        ("CSP0002", 14, 14),
        ("CSP0003", 0, 0),
    ]
    # Dates ending on Tuesday 10 November: P3 (placed on the 16th) is not yet placed; P8's first week is its last.
    early = placed_attendance(db, Filters(date(2026, 11, 1), date(2026, 11, 10)), today=date(2026, 12, 31))
    assert [(row.case_reference, row.possible, row.attended) for row in early] == [
        ("CSP0001", 10, 8),
        ("CSP0002", 14, 14),
        ("CSP0008", 4, 4),
    ]
    assert placed_summary([]) == PlacedSummary(0, 0, None, 0)


def test_placed_attendance_narrowed_to_the_placed_school(db, schools, placed):
    riverside = november(school_ids=frozenset({schools["riverside"].id}))
    assert [row.case_reference for row in placed_attendance(db, riverside, date(2026, 11, 11))] == ["CSP0002"]
    assert placed_attendance(db, november(phase="Secondary"), date(2026, 11, 11)) == []


def test_a_case_opened_from_an_alert_is_at_the_alerts_school_as_on_the_overview(db, schools):
    """The outcomes' case school is the overview's: a first notice's school, else a first alert's, else the
    child's current school."""
    castle, millfield = schools["castle"], schools["millfield"]
    case = a_case(db, "CSL0001", date(2026, 9, 1), millfield, status="closed", outcome="on_roll")
    case.closed_at = at(date(2026, 11, 10))
    alert = AttendanceAlert(
        reference="AA-L0001",
        pupil=a_pupil(db, "A000000000101", castle),
        school=castle,
        run_start=date(2026, 10, 1),
        sessions=20,
        raised_at=at(date(2026, 10, 15)),
        status="linked",
        upn="A000000000101",
        pupil_first_name="Pat",
        pupil_last_name="Test",
        pupil_date_of_birth=date(2015, 4, 3),
        case=case,
    )
    db.add(alert)
    db.commit()
    at_castle = outcomes(db, november(school_ids=frozenset({castle.id})))
    at_millfield = outcomes(db, november(school_ids=frozenset({millfield.id})))
    assert (at_castle[0].total, at_millfield[0].total) == (1, 0)
