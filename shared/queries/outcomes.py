"""Dashboard reads about what happens to children: referrals over time by source, cases' outcomes, how long the
team takes to locate a child, schools' removals from roll with no known destination, and placed children's
attendance since their placement. Each is a fixed number of queries however many rows, grouped in the database.

How the dashboard's filters (`shared.queries.dashboard.Filters`) apply here:
- the dates bound when things happened: referrals by when they were received, outcomes by when the case closed,
  time to locate by the day the child was located, removals by the day the pupil came off the roll; placed
  children are those placed on or before the end and not closed before the start. Days are days in England.
- schools and phase bound cases by `case_school()` (the school that sent the first notice on the case, else the
  child's current school), placed children by the school they were placed at, and removals by the sending school.
  A referral with no case has no school or officer, so it is left out while a school, phase or officer filter is
  set.
- the officer bounds cases by the officer assigned (removals: the notices attached to that officer's cases).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from shared.clock import UK
from shared.domain.attendance import SESSIONS_PER_WEEK, Counts, count, week_start
from shared.domain.casework import CaseStatus
from shared.domain.notices import DESTINATION_UNKNOWN
from shared.domain.school_days import SchoolCalendar
from shared.domain.vocab import NoticeKind, Outcome, ReferralSource
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
from shared.queries.dashboard import Filters

# SQL on both databases ---------------------------------------------------------------------------------------------


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def day_start(day: date) -> datetime:
    """Midnight in England at the start of the day, to compare with stored (UTC) times."""
    return datetime.combine(day, time(), tzinfo=UK)


def during(column, start: date, end: date):
    """A stored time falls on one of the days start..end (inclusive) in England."""
    return and_(column >= day_start(start), column < day_start(end + timedelta(days=1)))


def _last_sunday(year: int, month: int) -> date:
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def summer_time(year: int) -> tuple[datetime, datetime]:
    """British Summer Time in a year, in UTC: from 01:00 on the last Sunday of March to 01:00 on the last Sunday of
    October (the Summer Time Order 2002)."""
    one = time(1, tzinfo=UTC)
    return datetime.combine(_last_sunday(year, 3), one), datetime.combine(_last_sunday(year, 10), one)


def uk_date(session: Session, column, first_year: int, last_year: int):
    """The day in England of a stored UTC time, as SQL. PostgreSQL converts with its time zone database; SQLite
    keeps no zones, so an hour is added inside the summer time of the years given (a time outside them is read as
    UTC, which is at most an hour out, and only between 23:00 and midnight)."""
    if is_postgresql(session):
        return cast(func.timezone(literal("Europe/London"), column), Date)
    spans = [summer_time(year) for year in range(last_year, first_year - 1, -1)]
    in_summer = or_(*(and_(column >= begins, column < ends) for begins, ends in spans))
    return func.date(column, case((in_summer, "+1 hour"), else_="+0 hours"), type_=Date)


def week_of(session: Session, day):
    """The Monday of an SQL date's week, and the date's day of the week (Monday 0 ... Sunday 6), as SQL."""
    if is_postgresql(session):
        return cast(func.date_trunc("week", day), Date), cast(func.extract("isodow", day), Integer) - 1
    weekday = (cast(func.strftime("%w", day), Integer) + 6) % 7
    return func.date(day, literal("-").concat(cast(weekday, String)).concat(" days"), type_=Date), weekday


def placed_on(session: Session):
    """The day a placed child went on the school's roll, as SQL: the placement's date (kept in the case's
    outcome details when the child is placed, and as the outcome's date when a case closes on roll), else the day
    the child was located."""
    details = [func.nullif(Case.outcome_details[key].as_string(), "") for key in ("on_roll_from", "date")]
    if is_postgresql(session):
        return func.coalesce(*(cast(detail, Date) for detail in details), Case.located_on)
    return type_coerce(func.coalesce(*details, Case.located_on), Date)


def school_day_counter(calendar: SchoolCalendar, first: date, last: date) -> Callable[[date, date], int]:
    """`calendar.school_days_between` for any two dates from `first` to `last`, from a running count of school days
    built once: for many rows, each a subtraction instead of a walk through the days."""
    running, total = [0], 0
    for offset in range(1, (last - first).days + 1):
        total += calendar.is_school_day(first + timedelta(days=offset))
        running.append(total)

    def between(start: date, end: date) -> int:
        return running[(end - first).days] - running[(start - first).days]

    return between


# Which cases the filters keep ---------------------------------------------------------------------------------------


def case_school():
    """A case's school for the dashboard's school and phase filters, as SQL on `Case`, as `dashboard.case_school`
    has it: the school that sent the first notice on the case, else the school of the first attendance alert on
    it, else the child's current school (None for none)."""
    first_notice = (
        select(SchoolNotice.school_id)
        .where(SchoolNotice.case_id == Case.id)
        .order_by(SchoolNotice.submitted_at, SchoolNotice.id)
        .limit(1)
        .correlate(Case)
        .scalar_subquery()
    )
    first_alert = (
        select(AttendanceAlert.school_id)
        .where(AttendanceAlert.case_id == Case.id)
        .order_by(AttendanceAlert.raised_at, AttendanceAlert.id)
        .limit(1)
        .correlate(Case)
        .scalar_subquery()
    )
    current = select(Child.current_school_id).where(Child.id == Case.child_id).correlate(Case).scalar_subquery()
    return func.coalesce(first_notice, first_alert, current)


def bounds_cases(filters: Filters) -> bool:
    return filters.bounds_schools or filters.officer_id is not None


def case_bounds(filters: Filters, school) -> list:
    """The conditions on `Case` for the filters' schools, phase and officer, `school` being the case's school."""
    where = []
    if filters.school_ids is not None:
        where.append(school.in_(sorted(filters.school_ids)))
    if filters.phase is not None:
        where.append(school.in_(select(School.id).where(School.phase == filters.phase)))
    if filters.officer_id is not None:
        where.append(Case.assigned_to_id == filters.officer_id)
    return where


def first_items(case_ids):
    """Each case's first item (a report, a school's notice or an attendance alert attached to it), as a subquery
    of case_id and first_at, for the cases the select `case_ids` gives."""
    items = union_all(
        select(Referral.case_id.label("case_id"), Referral.received_at.label("at")).where(
            Referral.case_id.in_(case_ids)
        ),
        select(SchoolNotice.case_id, SchoolNotice.submitted_at).where(SchoolNotice.case_id.in_(case_ids)),
        select(AttendanceAlert.case_id, AttendanceAlert.raised_at).where(AttendanceAlert.case_id.in_(case_ids)),
    ).subquery("items")
    return select(items.c.case_id, func.min(items.c.at).label("first_at")).group_by(items.c.case_id).subquery("first")


# Referrals over time -----------------------------------------------------------------------------------------------

Bucket = Literal["week", "month"]


@dataclass(frozen=True)
class SourcePoint:
    period_start: date  # the Monday of the week, or the first of the month
    source: str
    label: str
    count: int


def period_start(day: date, bucket: Bucket) -> date:
    return week_start(day) if bucket == "week" else day.replace(day=1)


def periods(start: date, end: date, bucket: Bucket) -> list[date]:
    """Every period from the one holding `start` to the one holding `end`."""
    found, current = [], period_start(start, bucket)
    while current <= end:
        found.append(current)
        current = (
            current + timedelta(days=7)
            if bucket == "week"
            else date(current.year + current.month // 12, current.month % 12 + 1, 1)
        )
    return found


def referrals_over_time(session: Session, filters: Filters, bucket: Bucket) -> list[SourcePoint]:
    """Referrals received in the dates per week or month and source, every period of the dates listed for every
    source (zeros included), by period then source. A period at either end counts only the days inside the dates.
    One query: counted per day and source in the database, then summed into periods."""
    if bucket not in ("week", "month"):
        raise ValueError("bucket must be week or month")
    day = uk_date(session, Referral.received_at, filters.start.year, filters.end.year)
    received = select(day.label("day"), Referral.source.label("source")).where(
        during(Referral.received_at, filters.start, filters.end)
    )
    if bounds_cases(filters):
        received = received.join(Case, Case.id == Referral.case_id).where(*case_bounds(filters, case_school()))
    received = received.subquery("received")
    counts: Counter = Counter()
    for received_on, source, number in session.execute(
        select(received.c.day, received.c.source, func.count()).group_by(received.c.day, received.c.source)
    ):
        counts[period_start(received_on, bucket), source] += number
    labels = {source.value: source.label for source in ReferralSource}
    for _, source in counts:
        labels.setdefault(source, source)  # a source since taken off the list still counts, under its code
    return [
        SourcePoint(start, source, label, counts[start, source])
        for start in periods(filters.start, filters.end, bucket)
        for source, label in labels.items()
    ]


# Outcomes ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeCount:
    outcome: str
    label: str
    count: int
    total: int  # every case closed in the dates (the same on each row)

    @property
    def share(self) -> float | None:
        return self.count / self.total if self.total else None


def outcomes(session: Session, filters: Filters) -> list[OutcomeCount]:
    """Cases closed in the dates per outcome, every outcome listed (zeros included) in the vocabulary's order, each
    row carrying the total closed."""
    query = (
        select(Case.outcome, func.count())
        .where(during(Case.closed_at, filters.start, filters.end), Case.outcome.is_not(None))
        .group_by(Case.outcome)
    )
    if bounds_cases(filters):
        query = query.where(*case_bounds(filters, case_school()))
    counts = dict(session.execute(query).all())
    labels = {outcome.value: outcome.label for outcome in Outcome}
    for outcome in counts:
        labels.setdefault(outcome, outcome)
    total = sum(counts.values())
    return [OutcomeCount(outcome, label, counts.get(outcome, 0), total) for outcome, label in labels.items()]


# Time to locate ----------------------------------------------------------------------------------------------------

LOCATE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0 to 5 school days", 0, 5),
    ("6 to 10 school days", 6, 10),
    ("11 to 20 school days", 11, 20),
    ("21 to 40 school days", 21, 40),
    ("Over 40 school days", 41, None),
)


@dataclass(frozen=True)
class LocateTimes:
    count: int
    median: float | None  # school days
    p90: int | None  # school days: the 90th percentile by the nearest-rank method
    bands: list[tuple[str, int]]  # (band, cases), every band listed


def nearest_rank(ordered: Sequence[int], share: float) -> int | None:
    """The value at the share of sorted values by the nearest-rank method (the smallest value with at least that
    share of values at or below it)."""
    return ordered[max(1, math.ceil(share * len(ordered))) - 1] if ordered else None


def locate_times(days: Iterable[int]) -> LocateTimes:
    ordered = sorted(days)
    bands = [
        (label, sum(1 for value in ordered if low <= value and (high is None or value <= high)))
        for label, low, high in LOCATE_BANDS
    ]
    median = statistics.median(ordered) if ordered else None
    return LocateTimes(len(ordered), median, nearest_rank(ordered, 0.9), bands)


def time_to_locate(session: Session, filters: Filters, calendar: SchoolCalendar) -> LocateTimes:
    """For cases whose child was located in the dates: how many, and the school days from the case's first item
    (its earliest report, school notice or attendance alert, else the day it was opened) to the day the child was
    located: median, 90th percentile and bands. School days are counted after the first item's day up to and
    including the located day (found the same day: 0); a located day before the first item counts as 0. One
    query, grouped by the pair of days."""
    where = [Case.located_on.between(filters.start, filters.end)]
    if bounds_cases(filters):
        where += case_bounds(filters, case_school())
    # The cases found once (MATERIALIZED: their school is worked out once, not again for each use).
    located = (
        select(Case.id.label("case_id"), Case.located_on.label("located_on"), Case.opened_at.label("opened_at"))
        .where(*where)
        .cte("located")
        .prefix_with("MATERIALIZED")
    )
    first = first_items(select(located.c.case_id))
    first_at = func.coalesce(first.c.first_at, located.c.opened_at)
    pairs = (
        select(
            uk_date(session, first_at, filters.start.year - 5, filters.end.year).label("first_day"),
            located.c.located_on,
        )
        .outerjoin(first, first.c.case_id == located.c.case_id)
        .subquery("pairs")
    )
    rows = session.execute(
        select(pairs.c.first_day, pairs.c.located_on, func.count()).group_by(pairs.c.first_day, pairs.c.located_on)
    ).all()
    if not rows:
        return locate_times([])
    between = school_day_counter(
        calendar,
        min(min(first_day, located_on) for first_day, located_on, _ in rows),
        max(max(first_day, located_on) for first_day, located_on, _ in rows),
    )
    days = []
    for first_day, located_on, number in rows:
        days += [max(0, between(first_day, located_on))] * number
    return locate_times(days)


# Removals with no known destination -------------------------------------------------------------------------------

# Grounds (SI 2024/208 reg 9(1)) after which the pupil should be at another school, so a removal on them with no
# destination school leaves the child's education unknown: registered elsewhere (a), attendance order naming
# another school (d), moved away (g), boarding fees unpaid (m), left an independent school (n).
NEXT_SCHOOL_GROUNDS = ("a", "d", "g", "m", "n")
# Grounds that say the school and the authority could not find the child: the destination is unknown whatever
# the notice says.
NOT_FOUND_GROUNDS = ("h", "i")


def destination_unknown():
    """A leaver notice whose pupil's destination is unknown, as SQL on `SchoolNotice`: sent with the Common Transfer
    File's "not known" destination (XXXXXXX), on a ground saying the child could not be found, or with no
    destination where one was due (a ground after which the pupil should be at another school, or no ground).
    MMMMMMM (left for the independent sector, abroad or elsewhere) is a known destination, and so is none at all
    for grounds where no next school is expected (home education, death, leaving compulsory school age ...)."""
    destination, ground = SchoolNotice.destination_laestab, SchoolNotice.deletion_ground
    return or_(
        destination == DESTINATION_UNKNOWN,
        ground.in_(NOT_FOUND_GROUNDS),
        and_(destination.is_(None), or_(ground.is_(None), ground.in_(NEXT_SCHOOL_GROUNDS))),
    )


@dataclass(frozen=True)
class SchoolRemovals:
    school_id: int
    school_name: str
    urn: int
    count: int  # leavers in the dates with no known destination
    leavers: int  # every leaver in the dates

    @property
    def share(self) -> float:
        return self.count / self.leavers


def removals_without_destination(session: Session, filters: Filters) -> list[SchoolRemovals]:
    """Schools' leaver notices (removals from roll) in the dates, by the day of removal, whose pupil's destination is
    unknown, per school with that school's leavers in the dates: schools with any, most first. One query."""
    where = [
        SchoolNotice.kind == NoticeKind.LEAVER,
        SchoolNotice.event_date.between(filters.start, filters.end),
    ]
    if filters.school_ids is not None:
        where.append(SchoolNotice.school_id.in_(sorted(filters.school_ids)))
    if filters.phase is not None:
        where.append(SchoolNotice.school_id.in_(select(School.id).where(School.phase == filters.phase)))
    if filters.officer_id is not None:
        where.append(SchoolNotice.case_id.in_(select(Case.id).where(Case.assigned_to_id == filters.officer_id)))
    # Grouped by "school_id + 0" so that SQLite reads the notices in order rather than by the school index.
    school = (SchoolNotice.school_id + 0).label("school_id")
    per_school = (
        select(
            school,
            func.sum(case((destination_unknown(), 1), else_=0)).label("unknown"),
            func.count().label("leavers"),
        )
        .where(*where)
        .group_by(school)
        .subquery("per_school")
    )
    rows = session.execute(
        select(School.id, School.name, School.urn, per_school.c.unknown, per_school.c.leavers)
        .join(per_school, per_school.c.school_id == School.id)
        .where(per_school.c.unknown > 0)
        .order_by(per_school.c.unknown.desc(), School.name, School.urn)
    )
    return [
        SchoolRemovals(school_id, name, urn, int(unknown), int(leavers))
        for school_id, name, urn, unknown, leavers in rows
    ]


# Placed children's attendance ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacedChild:
    case_id: int
    case_reference: str
    child_id: int
    school_id: int
    school_name: str
    placed_on: date
    possible: int  # sessions possible at the placed school since placement
    attended: int  # of those, present or at an approved educational activity

    @property
    def attendance_rate(self) -> float | None:
        return self.attended / self.possible if self.possible else None

    @property
    def under_90(self) -> bool:
        return self.possible > 0 and self.attended * 10 < self.possible * 9


def placed_attendance(session: Session, filters: Filters, today: date) -> list[PlacedChild]:
    """Every case whose child the team placed in a school (monitoring, or closed on roll), placed on or before the
    end of the dates and not closed before their start, with the child's attendance at the placed school from the
    day of placement to the end of the dates (or today, if earlier): lowest attendance first, children with no
    marks yet last. A child's marks under any UPN linked to them count. One query: the database sums the whole
    weeks' counts and hands back the marks of the two weeks that may be only partly inside (the week of placement,
    from the placement on; the last week, up to `until`), which are counted here."""
    until = min(filters.end, today)
    last_monday = week_start(until)
    last_sessions = min(SESSIONS_PER_WEEK, ((until - last_monday).days + 1) * 2)
    whole_to = until if last_sessions == SESSIONS_PER_WEEK else last_monday - timedelta(days=7)
    # Each placed case's facts worked out once (MATERIALIZED: SQLite would otherwise copy the expressions wherever
    # their columns are used, reading the case's details again for every week), with the child's pupil, so that
    # every lookup of weeks below depends on this one row (PostgreSQL then seeks by the whole key).
    cases = (
        select(
            Case.id.label("case_id"),
            Case.reference.label("reference"),
            Case.child_id.label("child_id"),
            Case.placed_school_id.label("school_id"),
            placed_on(session).label("placed_on"),
            AttendancePupil.id.label("pupil_id"),  # one row per UPN linked to the child, or one with none
        )
        .outerjoin(AttendancePupil, AttendancePupil.child_id == Case.child_id)
        .where(
            Case.placed_school_id.is_not(None),
            or_(
                Case.status == CaseStatus.MONITORING,
                and_(Case.status == CaseStatus.CLOSED, Case.outcome == Outcome.ON_ROLL),
            ),
            or_(Case.closed_at.is_(None), Case.closed_at >= day_start(filters.start)),
            *case_bounds(filters, Case.placed_school_id),
        )
        .cte("placed_cases")
        .prefix_with("MATERIALIZED")
    )
    monday, weekday = week_of(session, cases.c.placed_on)
    next_monday = monday + 7 if is_postgresql(session) else func.date(monday, "+7 days", type_=Date)
    placed = (
        select(
            *cases.c,
            monday.label("monday"),
            (weekday * 2).label("before"),  # the sessions of the placement's week before it
            case((weekday == 0, monday), else_=next_monday).label("whole_from"),  # the first whole week's Monday
        )
        .where(cases.c.placed_on <= filters.end)
        .cte("placed")
        .prefix_with("MATERIALIZED")
    )
    week, first_week, last_week = AttendanceWeek, aliased(AttendanceWeek), aliased(AttendanceWeek)
    whole = (
        select(
            placed.c.case_id,
            placed.c.pupil_id,
            func.sum(week.possible).label("possible"),
            func.sum(week.present).label("attended"),
        )
        .join(
            week,
            and_(
                week.pupil_id == placed.c.pupil_id,
                # "+ 0" so that SQLite finds a pupil's weeks by the primary key, not every week of the school
                week.school_id + 0 == placed.c.school_id,
                week.week_start.between(placed.c.whole_from, whole_to),
            ),
        )
        .group_by(placed.c.case_id, placed.c.pupil_id)
        .subquery("whole")
    )
    # The part weeks' marks, counted here: the week of placement (from the placement on) and the last week (up to
    # `until`), looked up by their whole key.
    last_is_part = last_sessions < SESSIONS_PER_WEEK
    rows = session.execute(
        select(
            placed.c.case_id,
            placed.c.reference,
            placed.c.child_id,
            placed.c.school_id,
            School.name,
            placed.c.placed_on,
            placed.c.monday,
            placed.c.before,
            whole.c.possible,
            whole.c.attended,
            first_week.marks,
            last_week.marks,
        )
        .join(School, School.id == placed.c.school_id)
        .outerjoin(whole, and_(whole.c.case_id == placed.c.case_id, whole.c.pupil_id == placed.c.pupil_id))
        .outerjoin(
            first_week,
            and_(
                first_week.pupil_id == placed.c.pupil_id,
                first_week.week_start == placed.c.monday,
                first_week.school_id == placed.c.school_id,
                placed.c.before > 0,
                placed.c.monday <= until,
            ),
        )
        .outerjoin(
            last_week,
            and_(
                last_week.pupil_id == placed.c.pupil_id,
                last_week.week_start == last_monday,
                last_week.school_id == placed.c.school_id,
                last_monday >= placed.c.whole_from if last_is_part else false(),
            ),
        )
    )
    by_case: dict[int, list] = {}
    counted: dict[str, Counts] = {}  # part weeks' marks repeat: each counted once

    def count_of(marks: str) -> Counts:
        if marks not in counted:
            counted[marks] = count(marks)
        return counted[marks]

    for case_id, reference, child_id, school_id, name, on, monday, before, possible, attended, first, last in rows:
        counts = Counts(int(possible or 0), int(attended or 0))
        if first is not None:
            counts += count_of(first[before : last_sessions if monday == last_monday else SESSIONS_PER_WEEK])
        if last is not None:
            counts += count_of(last[:last_sessions])
        if case_id in by_case:  # the child's marks under a second UPN
            by_case[case_id][-1] += counts
        else:
            by_case[case_id] = [case_id, reference, child_id, school_id, name, on, counts]
    found = [PlacedChild(*details, counts.possible, counts.present) for *details, counts in by_case.values()]
    found.sort(
        key=lambda row: (
            row.attendance_rate is None,
            row.attendance_rate if row.attendance_rate is not None else 0,
            row.case_reference,
        )
    )
    return found


@dataclass(frozen=True)
class PlacedSummary:
    placed: int  # placed cases (a child placed twice counts twice)
    with_marks: int  # of those, with a possible session at the placed school since placement
    median_rate: float | None  # the median attendance rate of those with marks
    under_90: int  # of those, attending less than 90% of their possible sessions


def placed_summary(rows: Sequence[PlacedChild]) -> PlacedSummary:
    rates = [row.attendance_rate for row in rows if row.attendance_rate is not None]
    return PlacedSummary(
        len(rows),
        len(rates),
        statistics.median(rates) if rates else None,
        sum(1 for row in rows if row.under_90),
    )
