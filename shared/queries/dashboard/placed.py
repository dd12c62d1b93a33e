"""Placed children's attendance, on the attendance page: each child the team placed in a school, with their
attendance at that school since the day of placement, counted from their own marks."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Date, and_, case, cast, false, func, or_, select, type_coerce
from sqlalchemy.orm import Session, aliased

from shared.domain.attendance import SESSIONS_PER_WEEK, Counts, count, week_start
from shared.domain.casework import CaseStatus
from shared.domain.vocab import Outcome
from shared.models import AttendancePupil, AttendanceWeek, Case, School
from shared.queries.dashboard.days import day_start, is_postgresql, week_of
from shared.queries.dashboard.scope import Filters, case_bounds


def placed_on(session: Session):
    """The day a placed child went on the school's roll, as SQL: the placement's date (kept in the case's
    outcome details when the child is placed, and as the outcome's date when a case closes on roll), else the day
    the child was located."""
    details = [func.nullif(Case.outcome_details[key].as_string(), "") for key in ("on_roll_from", "date")]
    if is_postgresql(session):
        return func.coalesce(*(cast(detail, Date) for detail in details), Case.located_on)
    return type_coerce(func.coalesce(*details, Case.located_on), Date)


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
    placed_of: dict[int, tuple[str, int, int, str, date]] = {}  # each case's reference, child, school and day
    counts_of: dict[int, Counts] = {}
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
        if case_id in counts_of:  # the child's marks under a second UPN
            counts_of[case_id] += counts
        else:
            placed_of[case_id], counts_of[case_id] = (reference, child_id, school_id, name, on), counts
    found = [
        PlacedChild(case_id, *placed_of[case_id], counts.possible, counts.present)
        for case_id, counts in counts_of.items()
    ]
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
