"""A school-day calendar: the authority's term dates and closures, less weekends and England's bank holidays.

Outside the span the term dates cover, the calendar counts working days (Monday to Friday, not a bank
holiday), so a deadline never silently stops moving when next year's dates have not been entered yet.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import holidays


class TermDatesError(ValueError):
    """A term dates file that cannot be used, with the line that is wrong."""


@dataclass(frozen=True)
class Period:
    kind: str  # "term" or "closure"
    start: date
    end: date
    description: str = ""


def parse_term_dates(text: str) -> list[Period]:
    """Read term dates from CSV text with the columns kind, start, end, description (dates as YYYY-MM-DD)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    expected = {"kind", "start", "end", "description"}
    if not reader.fieldnames or set(reader.fieldnames) != expected:
        raise TermDatesError("The term dates file must have the columns kind, start, end, description")
    periods = []
    for line, row in enumerate(reader, start=2):
        kind = (row["kind"] or "").strip().lower()
        if kind not in {"term", "closure"}:
            raise TermDatesError(f"Line {line}: kind must be 'term' or 'closure'")
        try:
            start, end = date.fromisoformat(row["start"].strip()), date.fromisoformat(row["end"].strip())
        except (AttributeError, ValueError):
            raise TermDatesError(f"Line {line}: dates must be written like 2026-09-03") from None
        if end < start:
            raise TermDatesError(f"Line {line}: the end date is before the start date")
        periods.append(Period(kind, start, end, (row["description"] or "").strip()))
    terms = sorted((p for p in periods if p.kind == "term"), key=lambda p: p.start)
    for before, after in itertools.pairwise(terms):
        if after.start <= before.end:
            raise TermDatesError(
                f"Terms overlap: {before.description or before.start} and {after.description or after.start}"
            )
    return periods


class SchoolCalendar:
    def __init__(self, periods: Iterable[Period] = ()):
        periods = list(periods)
        self._terms = sorted((p for p in periods if p.kind == "term"), key=lambda p: p.start)
        self._closures = [p for p in periods if p.kind == "closure"]
        self._bank_holidays = holidays.country_holidays("GB", subdiv="ENG")
        self.covered_from = self._terms[0].start if self._terms else None
        self.covered_to = self._terms[-1].end if self._terms else None

    @property
    def terms(self) -> tuple[Period, ...]:
        """The authority's term periods (often half terms), earliest first."""
        return tuple(self._terms)

    def is_bank_holiday(self, day: date) -> bool:
        return day in self._bank_holidays

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and not self.is_bank_holiday(day)

    def is_covered(self, day: date) -> bool:
        return (
            self.covered_from is not None
            and self.covered_to is not None
            and self.covered_from <= day <= self.covered_to
        )

    def is_school_day(self, day: date) -> bool:
        if not self.is_working_day(day):
            return False
        if not self.is_covered(day):
            return True
        in_term = any(term.start <= day <= term.end for term in self._terms)
        return in_term and not any(c.start <= day <= c.end for c in self._closures)

    def add_school_days(self, start: date, days: int) -> date:
        """The date `days` school days after `start` (start itself not counted); negative counts go back."""
        return _add(start, days, self.is_school_day)

    def school_days_between(self, start: date, end: date) -> int:
        """School days after `start` up to and including `end`; negative when `end` is before `start`."""
        return _count(start, end, self.is_school_day)

    def add_working_days(self, start: date, days: int) -> date:
        return _add(start, days, self.is_working_day)

    def working_days_between(self, start: date, end: date) -> int:
        return _count(start, end, self.is_working_day)


def _add(start: date, days: int, counts: Callable[[date], bool]) -> date:
    step = timedelta(days=1 if days >= 0 else -1)
    remaining, day = abs(days), start
    while remaining:
        day += step
        if counts(day):
            remaining -= 1
    return day


def _count(start: date, end: date, counts: Callable[[date], bool]) -> int:
    if end < start:
        return -_count(end, start, counts)
    return sum(1 for n in range(1, (end - start).days + 1) if counts(start + timedelta(days=n)))
