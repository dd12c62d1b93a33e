"""Days in England and school days for the dashboard's reads: stored (UTC) times compared with days, as SQL on both
databases (PostgreSQL and SQLite), and school days counted between many pairs of dates at once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Date, Integer, String, and_, case, cast, func, literal, or_
from sqlalchemy.orm import Session

from shared.clock import UK
from shared.domain.school_days import SchoolCalendar


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def day_start(day: date) -> datetime:
    """Midnight in England at the start of the day, to compare with stored (UTC) times."""
    return datetime.combine(day, time(), tzinfo=UK)


def during(column, start: date, end: date):
    """A stored time falls on one of the days start..end (inclusive) in England."""
    return and_(column >= day_start(start), column < day_start(end + timedelta(days=1)))


def uk_day(moment: datetime) -> date:
    """The day in England of a stored time, in Python."""
    return moment.astimezone(UK).date()


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


def school_days_among(calendar: SchoolCalendar, days: Iterable[date]) -> Callable[[date, date], int]:
    """`school_day_counter` for any two of `days` (and the days between them)."""
    days = list(days)
    if not days:
        return lambda start, end: 0
    return school_day_counter(calendar, min(days), max(days))
