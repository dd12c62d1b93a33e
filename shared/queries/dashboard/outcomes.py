"""What happens to children, on the outcomes page: the outcomes of closed cases, how long the team takes to locate a
child, and schools' removals from roll with no known destination. Each one query, grouped in the database."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from shared.domain.notices import DESTINATION_UNKNOWN
from shared.domain.problems import required
from shared.domain.school_days import SchoolCalendar
from shared.domain.vocab import NoticeKind, Outcome
from shared.models import Case, School, SchoolNotice
from shared.queries.dashboard.days import during, school_day_counter, uk_date
from shared.queries.dashboard.scope import Filters, at_schools, case_bounds, first_items, school_of_case


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
    if filters.bounds_cases:
        query = query.where(*case_bounds(filters, school_of_case()))
    # The WHERE leaves out cases without an outcome.
    counts = {required(outcome): number for outcome, number in session.execute(query)}
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
    if filters.bounds_cases:
        where += case_bounds(filters, school_of_case())
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
    where += at_schools(SchoolNotice.school_id, filters)
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
