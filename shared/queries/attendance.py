"""Reads of attendance: measures per pupil, per school and for the authority over any dates, the lists the CME team
uses, the weekly trend read from the rollups the import keeps, and a placed child's attendance since placement.

Measures over any dates: the weeks wholly inside the dates are summed by the database from each week's counts; the
week at either edge, when only part of it is inside, is counted from the sessions of its marks inside the dates,
in SQL too. So a term that starts on a Wednesday is measured exactly, in one query whatever the number of pupils.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from shared.domain.attendance import (
    CODES,
    SESSIONS_PER_WEEK,
    UNEXPLAINED,
    Category,
    Counts,
    count,
    week_start,
    within,
)
from shared.domain.school_days import SchoolCalendar
from shared.domain.terms import Term, authority_terms
from shared.models import AttendancePupil, AttendanceSchoolWeek, AttendanceWeek, School


@dataclass(frozen=True)
class Span:
    """Dates to measure over, split into the whole weeks (Mondays `full_from`..`full_to`) and the part weeks at
    the edges (their Mondays)."""

    start: date
    end: date
    full_from: date
    full_to: date
    edges: tuple[date, ...]


def span(start: date, end: date) -> Span:
    first_monday, last_monday = week_start(start), week_start(end)
    full_from = first_monday if start <= first_monday else first_monday + timedelta(days=7)
    full_to = last_monday if end >= last_monday + timedelta(days=4) else last_monday - timedelta(days=7)
    edges = tuple(sorted({monday for monday in (first_monday, last_monday) if not full_from <= monday <= full_to}))
    return Span(start, end, full_from, full_to, edges)


def _is_whole(dates: Span):
    return AttendanceWeek.week_start.between(dates.full_from, dates.full_to)


def _pupil_counts(dates: Span, where: list):
    """Each pupil's counts over the dates as a subquery (pupil_id and the five counts), or None."""
    return _per_pupil(dates, (AttendanceWeek.pupil_id,), where)


def _counts(row) -> Counts:
    return Counts(*(int(row[name] or 0) for name in _COUNT_NAMES))


# Measures ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupMeasures:
    """A school's or the authority's measures over some dates: sessions summed over its pupils, and how many
    pupils were persistently (10%+) or severely (50%+) absent over those dates."""

    counts: Counts
    pupils: int  # pupils with a possible session in the dates
    persistent: int
    severe: int

    @property
    def persistent_rate(self) -> float | None:
        return self.persistent / self.pupils if self.pupils else None

    @property
    def severe_rate(self) -> float | None:
        return self.severe / self.pupils if self.pupils else None


def pupil_measures(session: Session, pupil_id: int, start: date, end: date) -> Counts:
    """One pupil's counts over the dates, at every school their marks came from."""
    per_pupil = _pupil_counts(span(start, end), [AttendanceWeek.pupil_id == pupil_id])
    row = session.execute(select(per_pupil)).mappings().first() if per_pupil is not None else None
    return _counts(row) if row else Counts()


def school_measures(session: Session, school_id: int, start: date, end: date) -> GroupMeasures:
    """A school's measures over the dates, from its pupils' marks at that school."""
    return persistent_absence(session, start, end, school_id)


def authority_measures(session: Session, start: date, end: date) -> GroupMeasures:
    """The authority's measures over the dates: every pupil's marks at every school (a pupil counted once)."""
    return persistent_absence(session, start, end)


def persistent_absence(session: Session, start: date, end: date, school_id: int | None = None) -> GroupMeasures:
    """Pupils persistently and severely absent over the dates, with the sessions behind them, for one school or
    the authority: counted wholly by the database (a part week's sessions counted from its marks in SQL too), so
    one row comes back whatever the authority's size."""
    where = [] if school_id is None else [AttendanceWeek.school_id == school_id]
    per_pupil = _per_pupil(span(start, end), (AttendanceWeek.pupil_id,), where)
    if per_pupil is None:
        return GroupMeasures(Counts(), 0, 0, 0)
    row = session.execute(select(*_group_columns(per_pupil))).one()
    pupils, *sums, persistent, severe = (int(value or 0) for value in row)
    return GroupMeasures(Counts(*sums), pupils, persistent, severe)


_COUNT_NAMES = ("possible", "present", "authorised", "unauthorised", "unexplained")
_SYMBOLS = {
    category: [code.symbol for code in CODES.values() if code.category in categories]
    for category, categories in (
        ("present", (Category.PRESENT, Category.APPROVED)),
        ("authorised", (Category.AUTHORISED,)),
        ("unauthorised", (Category.UNAUTHORISED,)),
    )
}
_SYMBOLS["unexplained"] = sorted(UNEXPLAINED)


def _occurrences(text, symbols: list[str]):
    """How many of the symbols the SQL string holds: its length less its length without each."""
    return sum((func.length(text) - func.length(func.replace(text, symbol, "")) for symbol in symbols), literal(0))


def _part_week(monday: date, dates: Span, keys: tuple, where: list) -> Select:
    """A part week's counts per key, counted in SQL from the sessions of its marks inside the dates."""
    first = max(0, (dates.start - monday).days * 2)
    last = min(SESSIONS_PER_WEEK, ((dates.end - monday).days + 1) * 2)
    inside = func.substr(AttendanceWeek.marks, first + 1, max(0, last - first))
    counted = {name: _occurrences(inside, symbols) for name, symbols in _SYMBOLS.items()}
    possible = counted["present"] + counted["authorised"] + counted["unauthorised"]
    return select(
        *keys,
        possible.label("possible"),
        *(counted[name].label(name) for name in _COUNT_NAMES[1:]),
    ).where(AttendanceWeek.week_start == monday, *where)


def _per_pupil(dates: Span, keys: tuple, where: list):
    """A subquery of each key's counts over the dates (whole weeks summed, part weeks counted from marks), only
    keys with a possible session; None when the dates hold no weekday."""
    parts = []
    if dates.full_from <= dates.full_to:
        parts.append(
            select(*keys, *(getattr(AttendanceWeek, name).label(name) for name in _COUNT_NAMES)).where(
                _is_whole(dates), *where
            )
        )
    parts.extend(_part_week(monday, dates, keys, where) for monday in dates.edges)
    if not parts:
        return None
    weeks = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("weeks")
    key_columns = [weeks.c[column.key] for column in keys]
    return (
        select(*key_columns, *(func.sum(weeks.c[name]).label(name) for name in _COUNT_NAMES))
        .group_by(*key_columns)
        .having(func.sum(weeks.c.possible) > 0)
        .subquery("per_pupil")
    )


def _group_columns(per_pupil) -> list:
    """Pupils, the five sums, and how many pupils were persistently and severely absent (whole numbers compared,
    as the measures are defined: absent * 10 >= possible)."""
    absent = per_pupil.c.authorised + per_pupil.c.unauthorised
    return [
        func.count(),
        *(func.sum(per_pupil.c[name]) for name in _COUNT_NAMES),
        func.sum(case((absent * 10 >= per_pupil.c.possible, 1), else_=0)),
        func.sum(case((absent * 2 >= per_pupil.c.possible, 1), else_=0)),
    ]


# Pupils -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PupilRow:
    pupil: AttendancePupil
    counts: Counts


def school_pupils(session: Session, school_id: int, start: date, end: date) -> list[PupilRow]:
    """Each pupil with marks at the school in the dates, with their counts there, lowest attendance first."""
    per_pupil = _pupil_counts(span(start, end), [AttendanceWeek.school_id == school_id])
    if per_pupil is None:
        return []
    found = session.execute(
        select(AttendancePupil, per_pupil).join(per_pupil, per_pupil.c.pupil_id == AttendancePupil.id)
    )
    rows = [PupilRow(row.AttendancePupil, _counts(row._mapping)) for row in found]
    rows.sort(key=lambda row: (row.counts.present / row.counts.possible, row.pupil.last_name, row.pupil.first_name))
    return rows


def pupils_below(rows: Iterable[PupilRow], share: float) -> list[PupilRow]:
    """The pupils attending less than `share` (0.9, 0.5) of their possible sessions, compared exactly."""
    return [row for row in rows if row.counts.present < share * row.counts.possible]


# Schools and trends -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchoolRow:
    school: School
    measures: GroupMeasures


def schools_measured(session: Session, start: date, end: date) -> list[SchoolRow]:
    """Every school with marks in the dates and its measures, lowest attendance first: each pupil's counts at each
    school, then each school's, in one query (no query per school)."""
    per_pupil = _per_pupil(span(start, end), (AttendanceWeek.school_id, AttendanceWeek.pupil_id), [])
    if per_pupil is None:
        return []
    rows = session.execute(select(per_pupil.c.school_id, *_group_columns(per_pupil)).group_by(per_pupil.c.school_id))
    measures = {}
    for school_id, pupils, *rest in rows:
        *sums, persistent, severe = (int(value or 0) for value in rest)
        measures[school_id] = GroupMeasures(Counts(*sums), int(pupils), persistent, severe)
    if not measures:
        return []
    schools = session.scalars(select(School).where(School.id.in_(list(measures))))
    found = [SchoolRow(school, measures[school.id]) for school in schools]
    found.sort(key=lambda row: (row.measures.counts.attendance_rate or 0, row.school.name))
    return found


@dataclass(frozen=True)
class WeekPoint:
    """One week of the trend: sessions summed over the schools, and the term-to-date persistent and severe absence
    at the week's end."""

    week_start: date
    pupils: int
    counts: Counts
    term_pupils: int
    term_persistent: int
    term_severe: int

    @property
    def persistent_rate(self) -> float | None:
        return self.term_persistent / self.term_pupils if self.term_pupils else None

    @property
    def severe_rate(self) -> float | None:
        return self.term_severe / self.term_pupils if self.term_pupils else None


def weekly_trend(session: Session, start: date, end: date, school_ids: Iterable[int] | None = None) -> list[WeekPoint]:
    """The weeks from the rollups kept at import, for the authority or some schools: read, not recomputed."""
    weeks = AttendanceSchoolWeek
    query: Select = (
        select(
            weeks.week_start,
            func.sum(weeks.pupils),
            func.sum(weeks.possible),
            func.sum(weeks.present),
            func.sum(weeks.authorised),
            func.sum(weeks.unauthorised),
            func.sum(weeks.unexplained),
            func.sum(weeks.term_pupils),
            func.sum(weeks.term_persistent),
            func.sum(weeks.term_severe),
        )
        .where(weeks.week_start.between(week_start(start), end))
        .group_by(weeks.week_start)
        .order_by(weeks.week_start)
    )
    if school_ids is not None:
        query = query.where(weeks.school_id.in_(list(school_ids)))
    points = []
    for monday, pupils, *rest in session.execute(query):
        sums = [int(value or 0) for value in rest]
        points.append(WeekPoint(monday, int(pupils or 0), Counts(*sums[:5]), *sums[5:]))
    return points


def term_measures_by_school(
    session: Session, term: Term, as_of: date, school_ids: Iterable[int] | None = None
) -> dict[int, GroupMeasures]:
    """Each school's measures for a term up to a day, read from the weekly rollups the import keeps (a row per
    school and week, however many pupils): its sessions summed over the term's weeks, and its persistently and
    severely absent pupils over the term so far at its latest week. Two queries for every school at once."""
    weeks = AttendanceSchoolWeek
    in_term = [weeks.week_start.between(week_start(term.start), min(as_of, term.end))]
    if school_ids is not None:
        in_term.append(weeks.school_id.in_(list(school_ids)))
    sums = {
        school_id: Counts(*(int(value or 0) for value in values))
        for school_id, *values in session.execute(
            select(
                weeks.school_id,
                func.sum(weeks.possible),
                func.sum(weeks.present),
                func.sum(weeks.authorised),
                func.sum(weeks.unauthorised),
                func.sum(weeks.unexplained),
            )
            .where(*in_term)
            .group_by(weeks.school_id)
        )
    }
    latest = (
        select(weeks.school_id, func.max(weeks.week_start).label("week_start"))
        .where(*in_term)
        .group_by(weeks.school_id)
        .subquery("latest")
    )
    found = {}
    for school_id, pupils, persistent, severe in session.execute(
        select(weeks.school_id, weeks.term_pupils, weeks.term_persistent, weeks.term_severe).join(
            latest, (latest.c.school_id == weeks.school_id) & (latest.c.week_start == weeks.week_start)
        )
    ):
        if pupils:
            found[school_id] = GroupMeasures(sums[school_id], pupils, persistent, severe)
    return found


def term_measures(session: Session, term: Term, as_of: date, school_ids: Iterable[int] | None = None) -> GroupMeasures:
    """The authority's (or some schools') measures for a term up to a day, from the rollups: for the dashboard and
    the attendance page. A pupil with marks at two schools in the term (a dual registration, a move) counts at
    each; `persistent_absence` counts every pupil once, for any dates, and reads every pupil's weeks to do it."""
    total, pupils, persistent, severe = Counts(), 0, 0, 0
    for measures in term_measures_by_school(session, term, as_of, school_ids).values():
        total += measures.counts
        pupils += measures.pupils
        persistent += measures.persistent
        severe += measures.severe
    return GroupMeasures(total, pupils, persistent, severe)


def schools_for_term(session: Session, term: Term, as_of: date) -> list[SchoolRow]:
    """Every school with marks in the term and its measures from the rollups, lowest attendance first."""
    measures = term_measures_by_school(session, term, as_of)
    if not measures:
        return []
    schools = session.scalars(select(School).where(School.id.in_(list(measures))))
    found = [SchoolRow(school, measures[school.id]) for school in schools]
    found.sort(key=lambda row: (row.measures.counts.attendance_rate or 0, row.school.name))
    return found


# Terms ------------------------------------------------------------------------------------------------------------


def terms_with_marks(session: Session, calendar: SchoolCalendar) -> list[Term]:
    """The authority's terms that have any marks, latest first."""
    first, last = session.execute(
        select(func.min(AttendanceWeek.week_start), func.max(AttendanceWeek.week_start))
    ).one()
    if first is None:
        return []
    last_friday = last + timedelta(days=4)
    return [term for term in reversed(authority_terms(calendar)) if term.start <= last_friday and term.end >= first]


# A child the team placed ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SincePlacement:
    pupil: AttendancePupil
    since: date
    until: date
    counts: Counts
    weeks: list[tuple[date, Counts]]  # each week's counts from the placement on, earliest first


def attendance_since(
    session: Session, child_id: int, since: date, school_id: int | None = None
) -> SincePlacement | None:
    """A child's attendance from a date (their placement) to their latest mark, at one school (the one they were
    placed at) or every school: None when no attendance file has named them there since."""
    pupil = session.scalar(
        select(AttendancePupil).where(AttendancePupil.child_id == child_id).order_by(AttendancePupil.id).limit(1)
    )
    if pupil is None:
        return None
    rows = session.execute(
        select(AttendanceWeek.week_start, AttendanceWeek.marks)
        .where(
            AttendanceWeek.pupil_id == pupil.id,
            AttendanceWeek.week_start >= week_start(since),
            *([AttendanceWeek.school_id == school_id] if school_id is not None else []),
        )
        .order_by(AttendanceWeek.week_start)
    ).all()
    if not rows:
        return None
    until = rows[-1][0] + timedelta(days=4)
    by_week: dict[date, Counts] = defaultdict(Counts)
    for monday, marks in rows:
        by_week[monday] = by_week[monday] + count(within(monday, marks, since, until))
    weeks = [(monday, counts) for monday, counts in sorted(by_week.items()) if counts.possible]
    if not weeks:
        return None
    total = sum((counts for _, counts in weeks), Counts())
    return SincePlacement(pupil, since, min(until, pupil.last_marked_on or until), total, weeks)
