"""What reading a file of attendance marks gives: the checked file, with every problem found on its lines, or the
one reason the whole file cannot be imported. The reader (shared/importers/attendance_csv.py) fills these in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from shared.domain.attendance import SESSIONS_PER_WEEK
from shared.domain.problems import LineProblem

MAX_PROBLEMS = 1000  # problems kept in detail; all of them are counted


class FileRejected(ValueError):
    """A file that cannot be imported at all, with the one message that says why."""


@dataclass(frozen=True, slots=True)
class MarkProblem(LineProblem):
    """A line of marks that cannot be used. `field` is the column's name as the file format gives it; the message
    names it already, so it is said once ("Line 4: Code 'ZZ' is not an attendance code")."""

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}"


@dataclass(frozen=True)
class SchoolLookup:
    """The schools register as the reader needs it: school id by URN and by LAESTAB, and each school's name."""

    by_urn: dict[int, int]
    by_laestab: dict[str, int]
    names: dict[int, str]  # "Millfield Primary School (URN 990101)"


@dataclass
class CheckedFile:
    """A file's marks, checked, grouped a pupil-week at a time, with every problem found.

    `weeks` maps (school id, UPN, Monday) to the offset of that week's ten sessions in `marks` (one byte a session,
    the symbols of `shared.domain.attendance`, "." for no mark): `week_marks()` gives them as strings. `pupils` has
    each UPN's (surname, forename, date of birth) from the last line naming it; `spans` each school's first and last
    date in the file. `lines` is the number of lines read (the header included), `rows` the lines with marks or
    problems, `bad_lines` the lines left out for their problems."""

    weeks: dict[tuple[int, str, date], int] = field(default_factory=dict)
    marks: bytearray = field(default_factory=bytearray)
    pupils: dict[str, tuple[str, str, date]] = field(default_factory=dict)
    spans: dict[int, tuple[date, date]] = field(default_factory=dict)
    # Each school's first session in its first week and last session in its last week (0 Monday morning ... 9
    # Friday afternoon): a file that starts or ends at midday replaces only the half day it has.
    edge_sessions: dict[int, tuple[int, int]] = field(default_factory=dict)
    lines: int = 0
    rows: int = 0
    mark_count: int = 0
    problems: list[LineProblem] = field(default_factory=list)  # the first MAX_PROBLEMS
    problem_count: int = 0
    bad_lines: int = 0

    def week_marks(self) -> Iterator[tuple[int, str, date, str]]:
        """(school id, UPN, Monday, the week's ten marks) for every pupil-week in the file."""
        marks = self.marks
        for (school_id, upn, monday), offset in self.weeks.items():
            yield school_id, upn, monday, marks[offset : offset + SESSIONS_PER_WEEK].decode("ascii")

    @property
    def first_date(self) -> date | None:
        return min((first for first, _ in self.spans.values()), default=None)

    @property
    def last_date(self) -> date | None:
        return max((last for _, last in self.spans.values()), default=None)
