"""School terms, and when a school's termly return of its part-time timetables is due.

A term is autumn, spring or summer, named by the calendar year it falls in ("2026-autumn", "2027-spring",
"2027-summer"). Where the authority's term dates cover a date, its terms are theirs: the half terms that make up
one term are joined, and a holiday belongs to the term before it, so a return forgotten in the last week of term
can still be made in the holiday. Elsewhere the usual English pattern stands in: autumn from 1 September to 31
December, spring from 1 January to 31 March, summer from 1 April to 31 July (and August, its holiday).

The return is due by the last school day of its term. One reminder is sent per term, from
`RETURN_REMINDER_SCHOOL_DAYS` school days before the return is due, to schools that have not made it.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta

from shared.domain.school_days import Period, SchoolCalendar

SEASONS = ("autumn", "spring", "summer")
RETURN_REMINDER_SCHOOL_DAYS = 10

# The usual English pattern, for dates the authority's term dates do not cover: (first month, last month).
_USUAL_MONTHS = {"autumn": (9, 12), "spring": (1, 3), "summer": (4, 7)}


@dataclass(frozen=True)
class Term:
    season: str  # autumn, spring or summer
    year: int
    start: date
    end: date  # the last day of the term's teaching, before its holiday

    @property
    def key(self) -> str:
        return f"{self.year}-{self.season}"

    @property
    def label(self) -> str:
        return f"{self.season.title()} term {self.year}"


@dataclass(frozen=True)
class ReturnSchedule:
    """When the return of part-time timetables for a term is due, and when its reminder may go."""

    term: Term
    due_on: date
    reminders_from: date


def term_label(key: str) -> str:
    """ "2027-spring" -> "Spring term 2027"."""
    year, _, season = key.partition("-")
    return f"{season.title()} term {year}"


def _season_of(period: Period) -> str:
    """The term a period of the authority's term dates belongs to: its description says so ("Spring 2027 second
    half"), or else the month it starts in."""
    words = period.description.lower()
    for season in SEASONS:
        if season in words:
            return season
    return _usual_season(period.start.month)


def _usual_season(month: int) -> str:
    if month >= 9:
        return "autumn"
    return "spring" if month <= 3 else "summer"


def authority_terms(calendar: SchoolCalendar) -> list[Term]:
    """The terms in the authority's term dates, half terms joined, earliest first."""
    joined: dict[str, Term] = {}
    for period in calendar.terms:
        season = _season_of(period)
        term = Term(season, period.start.year, period.start, period.end)
        known = joined.get(term.key)
        if known is not None:
            term = Term(season, term.year, min(known.start, term.start), max(known.end, term.end))
        joined[term.key] = term
    return sorted(joined.values(), key=lambda term: term.start)


def usual_term(day: date) -> Term:
    """The term `day` falls in under the usual English pattern (August is the summer term's holiday)."""
    season = _usual_season(day.month)
    first, last = _USUAL_MONTHS[season]
    end = date(day.year, last, monthrange(day.year, last)[1])
    return Term(season, day.year, date(day.year, first, 1), end)


def term_of(day: date, calendar: SchoolCalendar) -> Term:
    """The term `day` falls in, or whose holiday it falls in."""
    known = authority_terms(calendar)
    if calendar.is_covered(day):
        return [term for term in known if term.start <= day][-1]
    usual = usual_term(day)
    # Just past the last term the authority has entered, its holiday is still that term's.
    return next((term for term in known if term.key == usual.key), usual)


def return_due_on(term: Term, calendar: SchoolCalendar) -> date:
    """The last school day of the term."""
    day = term.end
    while not calendar.is_school_day(day) and day > term.start:
        day -= timedelta(days=1)
    return day


def return_schedule(
    day: date, calendar: SchoolCalendar, reminder_school_days: int = RETURN_REMINDER_SCHOOL_DAYS
) -> ReturnSchedule:
    """The return for the term `day` falls in: due by the term's last school day, reminders from
    `reminder_school_days` school days before."""
    term = term_of(day, calendar)
    due = return_due_on(term, calendar)
    return ReturnSchedule(term, due, calendar.add_school_days(due, -reminder_school_days))
