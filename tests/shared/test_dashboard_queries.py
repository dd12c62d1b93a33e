"""The dashboard's casework reads, on a small world seeded with fixed dates: a primary and a secondary school, two
officers and a former one, ten cases across the statuses, their checks, notices, referrals and alerts."""

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event

from shared.db import Database
from shared.domain.school_days import Period, SchoolCalendar
from shared.models import AttendanceAlert, AttendancePupil, Case, Child, Enquiry, Referral, SchoolNotice, User
from shared.queries.dashboard.caseloads import CaseRow, OfficerLoad, QueueItem, SchoolCount, caseloads, open_case_list
from shared.queries.dashboard.overdue import OverdueCheck, WaitingNotice, overdue_checks, unactioned_notices
from shared.queries.dashboard.overview import DashboardOverview, overview
from shared.queries.dashboard.scope import Filters
from tests.conftest import a_school

TODAY = date(2026, 11, 27)  # a Friday
TERM_START = date(2026, 11, 2)
CALENDAR = SchoolCalendar(
    [Period("term", date(2026, 9, 3), date(2026, 10, 23)), Period("term", date(2026, 11, 2), date(2026, 12, 18))]
)
NOVEMBER = Filters(start=date(2026, 11, 2), end=date(2026, 11, 27))
STATUSES = ("open", "enquiries", "waiting_other_la", "monitoring")


@pytest.fixture
def db(database_url):
    """A session on the migrated test database without the web app: these reads need none (the conftest's `school`
    and `users` fixtures build on this one)."""
    database = Database(database_url)
    with database.session() as session:
        yield session
    database.engine.dispose()


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def loads(open_=0, enquiries=0, waiting=0, monitoring=0) -> dict[str, int]:
    return dict(zip(STATUSES, (open_, enquiries, waiting, monitoring), strict=True))


def a_notice(reference, school, submitted, status="for_cme", case=None, routed=True, kind="leaver", first="Pupil"):
    return SchoolNotice(
        reference=reference,
        school=school,
        kind=kind,
        status=status,
        routed_to_cme=routed,
        submitted_at=at(submitted),
        pupil_first_name=first,
        pupil_last_name="Notice",
        pupil_date_of_birth=date(2014, 2, 2),
        event_date=date(2026, 10, 1),
        case=case,
    )


def an_alert(reference, school, raised, status, case=None):
    pupil = AttendancePupil(
        upn=f"A0000000{reference[-2:]}01",
        first_name="Alex",
        last_name="Alert",
        date_of_birth=date(2014, 3, 3),
        school=school,
    )
    return AttendanceAlert(
        reference=reference,
        pupil=pupil,
        school=school,
        run_start=date(2026, 10, 1),
        sessions=20,
        raised_at=at(raised),
        status=status,
        upn=pupil.upn,
        pupil_first_name="Alex",
        pupil_last_name="Alert",
        pupil_date_of_birth=date(2014, 3, 3),
        case=case,
    )


@pytest.fixture
def world(db, users, school):
    """Millfield Primary School (the fixture's) and Northbridge Academy (secondary); cases CS-01..CS-10."""
    primary = school
    secondary = a_school(990103, "4103", "Northbridge Academy", "NB3 3CC")
    secondary.phase = "Secondary"
    former = User(email="former@northbridge.example", name="Former Officer", role="officer", password_hash="x")
    former.active = False
    officer, lead = users["officer"], users["lead"]

    def child(first, born, current=None, groups=()):
        return Child(
            first_name=first,
            last_name="Test",
            date_of_birth=born,
            current_school=current,
            vulnerable_groups=list(groups),
        )

    cases = {}
    for number, status, holder, kid, opened in (
        (1, "open", None, child("Ada", date(2015, 3, 10), primary), "2026-11-03"),
        (2, "enquiries", officer, child("Ben", date(2019, 1, 15), primary, ["grt", "young_carer"]), "2026-10-01"),
        (3, "enquiries", lead, child("Cal", None, None, ["looked_after"]), "2026-11-06"),
        (4, "waiting_other_la", officer, child("Dee", date(2010, 9, 1), secondary), "2026-09-20"),
        (5, "monitoring", officer, child("Eve", date(2008, 5, 5)), "2026-11-04"),
        (6, "closed", officer, child("Fay", date(2012, 6, 6), secondary), "2026-11-09"),
        (7, "closed", lead, child("Gus", date(2012, 7, 7), primary), "2026-09-10"),
        (8, "open", former, child("Hal", date(2021, 10, 1), primary, ["grt"]), "2026-10-12"),
        (9, "closed", lead, child("Ivy", date(2013, 8, 8)), "2026-09-05"),
        (10, "open", lead, child("Jo", date(2016, 12, 1)), "2026-11-26"),
    ):
        cases[number] = Case(
            reference=f"CS-{number:02}", status=status, assigned_to=holder, child=kid, opened_at=at(opened)
        )
    cases[5].located_on = date(2026, 11, 10)  # 7 school days after its first item, an alert on Sunday 1 November
    cases[6].located_on, cases[6].closed_at = date(2026, 11, 18), at("2026-11-20")  # 7 after it opened, 9 November
    cases[7].located_on, cases[7].closed_at = date(2026, 10, 14), at("2026-10-15")  # before the dates
    cases[9].closed_at = at("2026-11-25")
    cases[3].risk_level = "high"
    db.add_all([primary, secondary, former, *cases.values()])
    db.add_all(
        [
            Enquiry(case=cases[2], check_type="health", status="asked", due_on=date(2026, 11, 20)),
            Enquiry(case=cases[2], check_type="police", status="done", due_on=date(2026, 11, 10)),
            Enquiry(case=cases[2], check_type="other", description="Visit to aunt", due_on=date(2026, 11, 26)),
            Enquiry(case=cases[3], check_type="housing", due_on=TODAY),  # due today: not overdue yet
            Enquiry(case=cases[3], check_type="previous_la", other_authority="Leeds", due_on=date(2026, 10, 22)),
            Enquiry(case=cases[8], check_type="letter", due_on=date(2026, 11, 26)),
            Enquiry(case=cases[9], check_type="phone", due_on=date(2026, 11, 1)),  # on a closed case
            a_notice("SN-01", secondary, "2026-11-02", "attached", cases[1]),
            a_notice("SN-02", primary, "2026-11-05", "attached", cases[5]),
            a_notice("SN-03", primary, "2026-11-16", kind="absence", first="Sam"),
            a_notice("SN-04", secondary, "2026-11-25", first="Tia"),
            a_notice("SN-05", primary, "2026-11-10", "received", routed=False, kind="joiner"),
            a_notice("SN-06", secondary, "2026-10-20", first="Uma"),
            a_notice("SN-07", primary, "2026-09-15", "attached", cases[4]),  # CS-04's first notice: its school
            a_notice("SN-08", secondary, "2026-10-01", "attached", cases[4]),
            Referral(reference="RF-01", source="public", status="linked", received_at=at("2026-11-04"), case=cases[5]),
            Referral(reference="RF-02", source="public", status="new", urgent=True, received_at=at("2026-11-24")),
            Referral(reference="RF-03", source="public", status="closed", received_at=at("2026-10-30")),
            # 1 October in England (British Summer Time), though still 30 September in UTC
            Referral(reference="RF-05", source="public", status="closed", received_at=at("2026-09-30", hour=23)),
            Referral(reference="RF-04", source="school", status="linked", received_at=at("2026-11-25"), case=cases[2]),
            an_alert("AA-01", secondary, "2026-11-06", "linked", cases[3]),
            an_alert("AA-02", primary, "2026-11-12", "new"),
            an_alert("AA-03", secondary, "2026-11-01", "linked", cases[5]),  # earlier, but CS-05 has a notice
        ]
    )
    db.commit()
    return {"primary": primary, "secondary": secondary, "former": former}


def test_overview_counts_the_whole_authority(db, world):
    assert overview(db, NOVEMBER, TODAY, TERM_START, CALENDAR) == DashboardOverview(
        open_cases=7,
        cases_by_status={"open": 3, "enquiries": 2, "waiting_other_la": 1, "monitoring": 1, "closed": 2},
        referrals_received=3,  # RF-03 came in October
        referrals_this_week=2,
        notices_received=4,  # SN-05 was not sent to the team, SN-06..08 came before November
        notices_this_week=1,
        unassigned_intake=5,  # RF-02, SN-03, SN-04, SN-06, AA-02
        unassigned_cases=1,
        overdue_checks=4,
        located_this_term=2,
        median_days_to_locate=7.0,
    )


def test_overview_for_one_officer_one_school_and_one_phase(db, users, world):
    mine = overview(db, replace(NOVEMBER, officer_id=users["officer"].id), TODAY, TERM_START, CALENDAR)
    assert mine == DashboardOverview(
        open_cases=3,
        cases_by_status={"open": 0, "enquiries": 1, "waiting_other_la": 1, "monitoring": 1, "closed": 1},
        referrals_received=2,  # RF-01 and RF-04, through their cases
        referrals_this_week=1,
        notices_received=4,  # an officer does not narrow notices
        notices_this_week=1,
        unassigned_intake=5,
        unassigned_cases=0,
        overdue_checks=2,
        located_this_term=2,
        median_days_to_locate=7.0,
    )
    primary = overview(db, replace(NOVEMBER, school_ids=frozenset({world["primary"].id})), TODAY, TERM_START, CALENDAR)
    assert primary == DashboardOverview(
        open_cases=4,  # CS-02, CS-05 (by its notice), CS-04 (by its first notice), CS-08
        cases_by_status={"open": 1, "enquiries": 1, "waiting_other_la": 1, "monitoring": 1, "closed": 0},
        referrals_received=2,  # RF-02 has no case, so no school
        referrals_this_week=1,
        notices_received=2,
        notices_this_week=0,
        unassigned_intake=2,  # SN-03 and AA-02
        unassigned_cases=0,
        overdue_checks=3,
        located_this_term=1,
        median_days_to_locate=7.0,
    )
    secondary = overview(db, replace(NOVEMBER, phase="Secondary"), TODAY, TERM_START, CALENDAR)
    assert secondary == DashboardOverview(
        open_cases=2,  # CS-01 (by its notice, though the child's school is a primary) and CS-03 (by its alert)
        cases_by_status={"open": 1, "enquiries": 1, "waiting_other_la": 0, "monitoring": 0, "closed": 1},
        referrals_received=0,
        referrals_this_week=0,
        notices_received=2,
        notices_this_week=1,
        unassigned_intake=2,  # SN-04 and SN-06
        unassigned_cases=1,
        overdue_checks=1,
        located_this_term=1,
        median_days_to_locate=7.0,
    )
    assert overview(db, replace(NOVEMBER, phase="Nursery"), TODAY, TERM_START, CALENDAR).open_cases == 0


def test_a_date_range_with_nothing_in_it_leaves_only_the_counts_of_now(db, world):
    later = overview(db, Filters(start=date(2027, 1, 4), end=date(2027, 1, 29)), TODAY, TERM_START, CALENDAR)
    assert later.cases_by_status["closed"] == 0
    assert (later.referrals_received, later.notices_received, later.median_days_to_locate) == (0, 0, None)
    assert (later.open_cases, later.unassigned_intake, later.overdue_checks) == (7, 5, 4)
    assert (later.referrals_this_week, later.notices_this_week) == (2, 1)


def test_the_dates_are_days_in_england(db, world):
    october = overview(db, Filters(start=date(2026, 10, 1), end=date(2026, 10, 31)), TODAY, TERM_START, CALENDAR)
    assert (october.referrals_received, october.notices_received) == (2, 2)  # RF-05 and RF-03; SN-06 and SN-08
    # CS-07: opened on 10 September, found on 14 October, 24 school days later
    assert (october.cases_by_status["closed"], october.median_days_to_locate) == (1, 24.0)
    september = overview(db, Filters(start=date(2026, 9, 1), end=date(2026, 9, 30)), TODAY, TERM_START, CALENDAR)
    assert (september.referrals_received, september.notices_received) == (0, 1)  # SN-07


def test_caseloads_share_out_the_open_cases(db, users, world):
    loads_now = caseloads(db, NOVEMBER, TODAY)
    assert loads_now.officers == [
        OfficerLoad(world["former"].id, "Former Officer", loads(open_=1), 1),  # inactive, but still holds CS-08
        OfficerLoad(users["lead"].id, "Test Lead", loads(open_=1, enquiries=1), 1),
        OfficerLoad(users["officer"].id, "Test Officer", loads(enquiries=1, waiting=1, monitoring=1), 2),
        OfficerLoad(None, "Unassigned", loads(open_=1), 0),
    ]
    assert [row.open_cases for row in loads_now.officers] == [1, 2, 3, 1]
    assert (loads_now.queue, loads_now.oldest_in_queue) == (5, QueueItem("notice", "SN-06", at("2026-10-20")))
    groups = loads_now.by_vulnerable_group
    assert list(groups)[-1] == "None recorded" and len(groups) == 16
    assert {label: n for label, n in groups.items() if n} == {
        "Gypsy, Roma and Traveller family": 2,
        "Looked after or privately fostered": 1,
        "Young carer": 1,
        "None recorded": 4,
    }
    assert loads_now.by_year_group == {
        "Reception": 1,
        **{f"Year {year}": 0 for year in range(1, 12)},
        "Year 3": 1,
        "Year 5": 1,
        "Year 7": 1,
        "Year 11": 1,  # born 1 September 2010: the youngest of its year
        "Not of compulsory school age": 1,
        "Date of birth not known": 1,
    }
    assert list(loads_now.by_year_group)[:3] == ["Reception", "Year 1", "Year 2"]
    assert loads_now.by_school == [
        SchoolCount("Millfield Primary School", 990101, 4),
        SchoolCount("Northbridge Academy", 990103, 2),
        SchoolCount("No school known", None, 1),
    ]


def test_where_long_absence_is_not_cme_the_queue_leaves_out_attendance_alerts(db, world):
    primary = replace(NOVEMBER, school_ids=frozenset({world["primary"].id}), alerts_in_queue=False)
    without_alerts = caseloads(db, primary, TODAY)
    # The primary school's queue was SN-03 and AA-02; the authority's RF-02, SN-03, SN-04, SN-06 and AA-02.
    assert (without_alerts.queue, without_alerts.oldest_in_queue) == (1, QueueItem("notice", "SN-03", at("2026-11-16")))
    everything = overview(db, replace(NOVEMBER, alerts_in_queue=False), TODAY, TERM_START, CALENDAR)
    assert everything.unassigned_intake == 4


def test_caseloads_narrowed_to_an_officer_or_a_school(db, users, world):
    mine = caseloads(db, replace(NOVEMBER, officer_id=users["lead"].id), TODAY)
    assert mine.officers == [OfficerLoad(users["lead"].id, "Test Lead", loads(open_=1, enquiries=1), 1)]
    assert mine.by_school == [SchoolCount("Northbridge Academy", 990103, 1), SchoolCount("No school known", None, 1)]
    assert mine.queue == 5
    primary = caseloads(db, replace(NOVEMBER, school_ids=frozenset({world["primary"].id})), TODAY)
    assert [(row.name, row.open_cases, row.overdue_checks) for row in primary.officers] == [
        ("Former Officer", 1, 1),
        ("Test Lead", 0, 0),
        ("Test Officer", 3, 2),
        ("Unassigned", 0, 0),
    ]
    assert (primary.queue, primary.oldest_in_queue) == (2, QueueItem("alert", "AA-02", at("2026-11-12")))
    assert primary.by_school == [
        SchoolCount("Millfield Primary School", 990101, 4),
        SchoolCount("No school known", None, 0),
    ]
    assert primary.by_vulnerable_group["None recorded"] == 2


def test_overdue_checks_most_overdue_first_in_school_days(db, users, world):
    assert overdue_checks(db, NOVEMBER, TODAY, CALENDAR, with_names=True) == [
        # 23 October, then half term, then all 20 days of November to date
        OverdueCheck("CS-03", "Cal Test", "Test Lead", "Previous local authority: Leeds", date(2026, 10, 22), 21),
        OverdueCheck("CS-02", "Ben Test", "Test Officer", "Child health service", date(2026, 11, 20), 5),
        OverdueCheck("CS-02", "Ben Test", "Test Officer", "Visit to aunt", date(2026, 11, 26), 1),
        OverdueCheck("CS-08", "Hal Test", "Former Officer", "Letter to the family", date(2026, 11, 26), 1),
    ]
    hidden = overdue_checks(db, replace(NOVEMBER, officer_id=users["officer"].id), TODAY, CALENDAR, with_names=False)
    assert [(row.case_reference, row.child_name, row.check) for row in hidden] == [
        ("CS-02", None, "Child health service"),
        ("CS-02", None, "Visit to aunt"),
    ]
    secondary = overdue_checks(db, replace(NOVEMBER, phase="Secondary"), TODAY, CALENDAR, with_names=False)
    assert [row.case_reference for row in secondary] == ["CS-03"]


def test_unactioned_notices_oldest_first(db, world):
    assert unactioned_notices(db, NOVEMBER, TODAY, CALENDAR, with_names=True) == [
        WaitingNotice(
            "SN-06",
            "Northbridge Academy",
            "Pupil to be removed from the admission register",
            date(2026, 10, 20),
            23,
            "Uma Notice",
        ),
        WaitingNotice(
            "SN-03", "Millfield Primary School", "Continuous unexplained absence", date(2026, 11, 16), 9, "Sam Notice"
        ),
        WaitingNotice(
            "SN-04",
            "Northbridge Academy",
            "Pupil to be removed from the admission register",
            date(2026, 11, 25),
            2,
            "Tia Notice",
        ),
    ]
    primary = unactioned_notices(db, replace(NOVEMBER, phase="Primary"), TODAY, CALENDAR, with_names=False)
    assert [(row.reference, row.pupil_name) for row in primary] == [("SN-03", None)]
    only = frozenset({world["secondary"].id})
    assert [
        row.reference for row in unactioned_notices(db, replace(NOVEMBER, school_ids=only), TODAY, CALENDAR, False)
    ] == [
        "SN-06",
        "SN-04",
    ]


def test_open_case_list_newest_first(db, users, world):
    rows = open_case_list(db, NOVEMBER, TODAY, with_names=True)
    assert [row.reference for row in rows] == ["CS-10", "CS-03", "CS-05", "CS-01", "CS-08", "CS-02", "CS-04"]
    assert rows[1] == CaseRow(
        "CS-03", "Making enquiries", "Test Lead", date(2026, 11, 6), "Northbridge Academy", "High", "Cal Test"
    )
    assert rows[3] == CaseRow(
        "CS-01", "Open: enquiries not started", None, date(2026, 11, 3), "Northbridge Academy", "Medium", "Ada Test"
    )
    assert (rows[0].school, rows[6].school) == (None, "Millfield Primary School")
    hidden = open_case_list(db, replace(NOVEMBER, officer_id=users["officer"].id), TODAY, with_names=False)
    assert [(row.reference, row.child_name) for row in hidden] == [("CS-05", None), ("CS-02", None), ("CS-04", None)]
    assert [row.reference for row in open_case_list(db, NOVEMBER, TODAY, False, status="open")] == [
        "CS-10",
        "CS-01",
        "CS-08",
    ]
    assert open_case_list(db, NOVEMBER, TODAY, False, status="closed") == []
    assert [row.reference for row in open_case_list(db, replace(NOVEMBER, phase="Secondary"), TODAY, False)] == [
        "CS-03",
        "CS-01",
    ]


def _statements(db, run) -> int:
    engine = db.get_bind()
    seen = []

    def count(*_):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def _add_cases(db, school, officer, first: int, last: int) -> None:
    for number in range(first, last):
        case = Case(
            reference=f"CS-N{number:03}",
            status="enquiries",
            assigned_to=officer if number % 2 else None,
            child=Child(first_name=f"Kid{number}", date_of_birth=date(2015, 1, 1), vulnerable_groups=["grt"]),
            opened_at=at("2026-11-03"),
            located_on=date(2026, 11, 20) if number % 3 == 0 else None,
        )
        db.add_all(
            [
                case,
                Enquiry(case=case, check_type="police", due_on=date(2026, 11, 9)),
                a_notice(f"SN-N{number:03}", school, "2026-11-04", "attached", case),
                a_notice(f"SN-W{number:03}", school, "2026-11-05"),
                Referral(
                    reference=f"RF-N{number:03}",
                    source="public",
                    status="linked",
                    received_at=at("2026-11-05"),
                    case=case,
                ),
            ]
        )
    db.commit()


def test_each_read_is_a_fixed_number_of_statements_however_many_rows(db, users, school):
    filters = replace(NOVEMBER, phase="Primary")

    def every_read():
        overview(db, filters, TODAY, TERM_START, CALENDAR)
        caseloads(db, filters, TODAY)
        overdue_checks(db, filters, TODAY, CALENDAR, with_names=True)
        unactioned_notices(db, filters, TODAY, CALENDAR, with_names=True)
        open_case_list(db, filters, TODAY, with_names=True)

    _add_cases(db, school, users["officer"], 0, 3)
    few = _statements(db, every_read)
    _add_cases(db, school, users["officer"], 3, 30)
    assert _statements(db, every_read) == few
    assert len(open_case_list(db, filters, TODAY, with_names=True)) == 30
    assert caseloads(db, filters, TODAY).by_year_group["Year 7"] == 30
