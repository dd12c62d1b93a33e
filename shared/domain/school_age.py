"""Compulsory school age (Education Act 1996 s.8) and national curriculum year groups."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

# The prescribed days (s.8(3), Education (Start of Compulsory School Age) Order 1998).
_PRESCRIBED_DAYS = ((12, 31), (3, 31), (8, 31))


def birthday(date_of_birth: date, age: int) -> date:
    """The day a person attains `age`; in England someone born on 29 February attains it on 1 March in a
    common year (Family Law Reform Act 1969 s.9)."""
    year = date_of_birth.year + age
    if date_of_birth.month == 2 and date_of_birth.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return date_of_birth.replace(year=year)


def school_year_start(on: date) -> int:
    """The calendar year in which the school year (1 September to 31 August) containing `on` began."""
    return on.year if on.month >= 9 else on.year - 1


def compulsory_school_age_starts(date_of_birth: date) -> date:
    """The first prescribed day (31 Dec, 31 Mar, 31 Aug) on or after the fifth birthday."""
    fifth = birthday(date_of_birth, 5)
    candidates = [date(fifth.year + extra, month, day) for extra in (0, 1) for month, day in _PRESCRIBED_DAYS]
    return min(day for day in candidates if day >= fifth)


def last_friday_in_june(year: int) -> date:
    last = date(year, 6, 30)
    return last - timedelta(days=(last.weekday() - calendar.FRIDAY) % 7)


def compulsory_school_age_ends(date_of_birth: date) -> date:
    """The school leaving date: the last Friday in June of the school year in which the child turns 16."""
    sixteenth = birthday(date_of_birth, 16)
    return last_friday_in_june(school_year_start(sixteenth) + 1)


def is_compulsory_school_age(date_of_birth: date, on: date) -> bool:
    return compulsory_school_age_starts(date_of_birth) <= on <= compulsory_school_age_ends(date_of_birth)


def age_on(date_of_birth: date, on: date) -> int:
    years = on.year - date_of_birth.year
    return years if birthday(date_of_birth, years) <= on else years - 1


def national_curriculum_year(date_of_birth: date, on: date) -> int:
    """The year group in the school year containing `on`: age on 31 August at its start, minus 4.

    0 is Reception; negative numbers are pre-school years; 12 and 13 are the sixth form.
    """
    start = school_year_start(on)
    return age_on(date_of_birth, date(start, 8, 31)) - 4


def year_group_label(year: int) -> str:
    if year == 0:
        return "Reception"
    if year < 0:
        return "Not yet of school age"
    if year > 13:
        return "Beyond Year 13"
    return f"Year {year}"
