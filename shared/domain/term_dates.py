"""The rules for a set of the authority's term dates, kept in the service and edited by its administrators.

A set is usable when every period ends on or after the day it starts, no two terms overlap, every closure lies
within one term (a closure is a day or days the schools shut during a term: a training day, say; holidays are
simply the gaps between terms), and every description fits in 100 characters.

A file of term dates (CSV: kind, start, end, description) covers the academic years its periods start in (1
September to 31 August), and replaces every period the service holds that starts in those years: a file for
2027 to 2028 is the whole of that year, and the years it does not mention are left as they are.

The coming term has no dates when the last term ends within `WARN_WEEKS` weeks (or has ended) and nothing follows
it: school days past it would then be counted as working days, holidays included.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from shared.domain.school_days import Period

KINDS = {"term": "Term", "closure": "Closure"}
DESCRIPTION_LIMIT = 100
WARN_WEEKS = 8
COLUMNS = ("kind", "start", "end", "description")
BACKWARDS = "The end date must be the same as or after the start date"
TOO_LONG = f"The description must be {DESCRIPTION_LIMIT} characters or fewer"


@dataclass(frozen=True)
class PeriodProblem:
    """What is wrong, and which of the periods checked it is about (their places in the list given)."""

    message: str
    periods: tuple[int, ...]
    field: str | None = None  # "end" or "description" for a period's own rule; None for how periods fit together


def day_text(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def date_range(start: date, end: date) -> str:
    """ "2 to 22 October 2027", "28 September to 3 October 2027", "20 December 2027 to 4 January 2028"."""
    if start == end:
        return day_text(start)
    if start.year != end.year:
        return f"{day_text(start)} to {day_text(end)}"
    if start.month != end.month:
        return f"{start.day} {start:%B} to {day_text(end)}"
    return f"{start.day} to {day_text(end)}"


def period_name(period: Period) -> str:
    return period.description or f"The {period.kind} of {date_range(period.start, period.end)}"


def academic_year(day: date) -> int:
    """The year an academic year starts in: 1 September 2027 to 31 August 2028 is 2027."""
    return day.year if day.month >= 9 else day.year - 1


def academic_year_label(year: int) -> str:
    return f"{year} to {year + 1}"


def own_problems(period: Period) -> list[tuple[str, str]]:
    """(field, message) for what is wrong with one period on its own."""
    found = []
    if period.end < period.start:
        found.append(("end", BACKWARDS))
    if len(period.description) > DESCRIPTION_LIMIT:
        found.append(("description", TOO_LONG))
    return found


def check_periods(periods: Sequence[Period]) -> list[PeriodProblem]:
    """Everything wrong with a set of periods, each period's own problems first, in the order given."""
    found = [
        PeriodProblem(message, (index,), field_name)
        for index, period in enumerate(periods)
        for field_name, message in own_problems(period)
    ]
    usable = [(index, p) for index, p in enumerate(periods) if p.start <= p.end]
    terms = sorted(((i, p) for i, p in usable if p.kind == "term"), key=lambda item: (item[1].start, item[0]))
    for place, (first, earlier) in enumerate(terms):
        for second, later in terms[place + 1 :]:
            if later.start > earlier.end:
                continue
            overlap = date_range(later.start, min(earlier.end, later.end))
            found.append(
                PeriodProblem(f"{period_name(earlier)} overlaps {period_name(later)} ({overlap})", (first, second))
            )
    for index, closure in usable:
        if closure.kind == "closure" and not any(
            term.start <= closure.start and closure.end <= term.end for _, term in terms
        ):
            found.append(
                PeriodProblem(
                    f"{period_name(closure)} ({date_range(closure.start, closure.end)}) is not within a term: "
                    "a closure must fall within the dates of one term",
                    (index,),
                )
            )
    return found


@dataclass
class TermDatesFile:
    """A file of term dates read: the periods it gives (with the line of each) and every problem, by line."""

    periods: list[Period] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def years(self) -> list[int]:
        return sorted({academic_year(period.start) for period in self.periods})


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def read_term_dates(text: str) -> TermDatesFile:
    """Read a CSV of term dates whole, listing every problem with its line; the periods are checked together too."""
    read = TermDatesFile()
    # Universal newlines: a file saved as "CSV (Macintosh)" ends its lines with a carriage return alone.
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=None))
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error:  # a field past the csv module's limit, say
        read.problems.append(f"Line {reader.line_num}: this line cannot be read as CSV")
        return read
    header = [name.strip().lower() for name in rows[0][1]] if rows else []
    if sorted(header) != sorted(COLUMNS):
        read.problems.append("Line 1: the file must have the columns kind, start, end, description")
        return read
    where = {name: header.index(name) for name in COLUMNS}
    for line, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            read.problems.append(f"Line {line}: it has {len(row)} values, not {len(header)}")
            continue
        kind, start, end, description = (row[where[name]].strip() for name in COLUMNS)
        # One line of plain text: control characters go (nobody means them, and PostgreSQL refuses NUL), and line
        # breaks and runs of spaces within a quoted description become one space.
        description = " ".join(_CONTROL.sub("", description).split())
        problems = []
        if kind.lower() not in KINDS:
            problems.append("the kind must be term or closure")
        dates = []
        for name, value in (("start", start), ("end", end)):
            try:
                dates.append(date.fromisoformat(value) if len(value) == 10 else None)
            except ValueError:
                dates.append(None)
            if dates[-1] is None:
                problems.append(f"the {name} date must be a real date written like 2027-09-02")
        starts, ends = dates
        if problems or starts is None or ends is None:
            read.problems.extend(f"Line {line}: {problem}" for problem in problems)
            continue
        read.periods.append(Period(kind.lower(), starts, ends, description))
        read.lines.append(line)
    if not read.periods and not read.problems:
        read.problems.append("The file has no term dates in it")
    for problem in check_periods(read.periods):
        lines = [read.lines[index] for index in problem.periods]
        where_text = f"Line {lines[0]}" if len(lines) == 1 else f"Lines {lines[0]} and {lines[1]}"
        message = problem.message if problem.field is None else problem.message[0].lower() + problem.message[1:]
        read.problems.append(f"{where_text}: {message}")
    read.problems.sort(key=_line_of)
    return read


def _line_of(problem: str) -> int:
    words = problem.split(" ", 2)
    number = words[1].rstrip(":") if len(words) > 1 else ""
    return int(number) if words[0] in ("Line", "Lines") and number.isdigit() else 0


def replaced_by(years: Iterable[int], current: Iterable[Period]) -> list[Period]:
    """The periods a file covering these academic years replaces: every one starting in them."""
    covered = set(years)
    return [period for period in current if academic_year(period.start) in covered]


def write_term_dates(periods: Iterable[Period]) -> str:
    """The periods as a CSV file in the format `read_term_dates` reads, earliest first, terms before closures."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for period in sorted(periods, key=lambda p: (p.start, p.kind != "term", p.end)):
        writer.writerow([period.kind, period.start.isoformat(), period.end.isoformat(), period.description])
    return out.getvalue()


def coming_term_warning(periods: Iterable[Period], today: date, weeks: int = WARN_WEEKS) -> str | None:
    """What to tell the authority when the term after the last one it has entered has no dates, or None."""
    last = max((period.end for period in periods if period.kind == "term"), default=None)
    if last is None:
        return (
            "There are no term dates in the service. Add the authority's term dates: until then school days are "
            "counted as every weekday that is not a bank holiday."
        )
    if last > today + timedelta(weeks=weeks):
        return None
    ends = "ended" if last < today else "ends"
    return (
        f"The last term in the service {ends} on {day_text(last)} and the term after it has no dates. Add the "
        "next term's dates: until then school days after it are counted as every weekday that is not a bank "
        "holiday, holidays included."
    )
