"""Attendance: the national codes (School Attendance (Pupil Registration) (England) Regulations 2024, reg 10), the
measures built on them, and how a pupil's marks are kept.

Measures (DfE definitions, as in DOMAIN.md):
- possible sessions: sessions with any code except the not-counted ones (D, X, Q, Y1-Y7, Z, #);
- attendance rate: (present + approved educational activity) / possible;
- authorised and unauthorised absence rates: those codes / possible;
- persistent absence: 10% or more of the pupil's own possible sessions missed; severe absence: 50% or more;
- unexplained absence (the alerts): consecutive possible sessions coded N or O. Sessions that are not possible
  (a planned closure, a day at the other school of a dual registration) neither extend nor end a run; any other
  possible session ends it. A run of 20 sessions is 10 school days.

Storage: a pupil's marks at one school for one week (Monday to Friday) are one string of ten characters, Monday
morning first, each session one character: the code itself where it is one character, a digit or lower-case letter
for the two-character codes, and `.` for a session with no mark in any file. `encode`/`decode` convert.

A file of marks uploaded to the service goes through `ImportStatus`: checked, then imported if its uploader asks,
by the background worker; stored as the status's value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from shared.domain.vocab import Labelled


class Category(StrEnum):
    PRESENT = "present"
    APPROVED = "approved"  # attending an approved educational activity: counts as present
    AUTHORISED = "authorised"
    UNAUTHORISED = "unauthorised"
    NOT_COUNTED = "not_counted"  # not a possible session


@dataclass(frozen=True)
class Code:
    code: str
    category: Category
    meaning: str
    symbol: str  # its one character in a week's marks


CODES: dict[str, Code] = {
    code.code: code
    for code in (
        Code("/", Category.PRESENT, "Present (morning)", "/"),
        Code("\\", Category.PRESENT, "Present (afternoon)", "\\"),
        Code("L", Category.PRESENT, "Late, before the register closed", "L"),
        Code("K", Category.APPROVED, "Attending education arranged by the local authority", "K"),
        Code("V", Category.APPROVED, "Attending an educational visit or trip", "V"),
        Code("P", Category.APPROVED, "Participating in an approved sporting activity", "P"),
        Code("W", Category.APPROVED, "Attending work experience", "W"),
        Code("B", Category.APPROVED, "Attending another approved educational activity", "B"),
        Code("C1", Category.AUTHORISED, "Leave for a regulated performance or employment abroad", "1"),
        Code("C2", Category.AUTHORISED, "Leave for a temporary part-time timetable", "2"),
        Code("C", Category.AUTHORISED, "Leave for exceptional circumstances", "C"),
        Code("M", Category.AUTHORISED, "Medical or dental appointment", "M"),
        Code("J1", Category.AUTHORISED, "Leave to attend an interview", "J"),
        Code("S", Category.AUTHORISED, "Study leave", "S"),
        Code("T", Category.AUTHORISED, "Parent travelling for occupational purposes (mobile child)", "T"),
        Code("R", Category.AUTHORISED, "Religious observance", "R"),
        Code("I", Category.AUTHORISED, "Illness", "I"),
        Code("E", Category.AUTHORISED, "Suspended or permanently excluded, no alternative provision", "E"),
        Code("G", Category.UNAUTHORISED, "Holiday not granted by the school", "G"),
        Code("N", Category.UNAUTHORISED, "Reason for absence not yet provided", "N"),
        Code("O", Category.UNAUTHORISED, "Absent in other or unknown circumstances", "O"),
        Code("U", Category.UNAUTHORISED, "Arrived after the register closed", "U"),
        Code("D", Category.NOT_COUNTED, "Attending the other school of a dual registration", "D"),
        Code("X", Category.NOT_COUNTED, "Not of compulsory school age, not required to attend", "X"),
        Code("Q", Category.NOT_COUNTED, "Unable to attend because of a lack of access arrangements", "Q"),
        Code("Y1", Category.NOT_COUNTED, "Unable to attend: transport normally provided not available", "a"),
        Code("Y2", Category.NOT_COUNTED, "Unable to attend: widespread disruption to travel", "b"),
        Code("Y3", Category.NOT_COUNTED, "Unable to attend: part of the school premises closed", "c"),
        Code("Y4", Category.NOT_COUNTED, "Unable to attend: whole school site unexpectedly closed", "d"),
        Code("Y5", Category.NOT_COUNTED, "Unable to attend: criminal justice detention", "e"),
        Code("Y6", Category.NOT_COUNTED, "Unable to attend: public health guidance or law", "f"),
        Code("Y7", Category.NOT_COUNTED, "Unable to attend: any other unavoidable cause", "g"),
        Code("Z", Category.NOT_COUNTED, "Prospective pupil not yet on the admission register", "Z"),
        Code("#", Category.NOT_COUNTED, "Planned whole or partial school closure", "#"),
    )
}

NO_MARK = "."
SESSIONS_PER_WEEK = 10
SESSIONS = ("AM", "PM")
UNEXPLAINED = frozenset("NO")  # the codes of unexplained absence (both one character, so their own symbols)
ALERT_SESSIONS = 20  # 10 school days
PERSISTENT_SHARE = 0.10
SEVERE_SHARE = 0.50

_BY_SYMBOL = {code.symbol: code for code in CODES.values()}
CATEGORY_OF_SYMBOL: dict[str, Category] = {symbol: code.category for symbol, code in _BY_SYMBOL.items()}
_ATTENDING = (Category.PRESENT, Category.APPROVED)


def code_for(text: str) -> Code | None:
    """The code as a register writes it ("n" and " N " are N); None for a code that is not in the national set."""
    return CODES.get(text.strip().upper())


def week_start(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


def slot(day: date, session: str) -> int:
    """Where a session sits in its week's marks: Monday morning 0 ... Friday afternoon 9. Weekends have none."""
    if day.weekday() > 4:
        raise ValueError("weekends have no sessions")
    return day.weekday() * 2 + SESSIONS.index(session)


def slot_date(monday: date, index: int) -> tuple[date, str]:
    return monday + timedelta(days=index // 2), SESSIONS[index % 2]


def encode(codes: Iterable[str]) -> str:
    """A week's marks from its codes (ten of them, "" for no mark)."""
    return "".join(CODES[code].symbol if code else NO_MARK for code in codes)


def decode(marks: str) -> list[str | None]:
    """The codes of a week's marks, None where there is no mark."""
    return [None if symbol == NO_MARK else _BY_SYMBOL[symbol].code for symbol in marks]


def merge(old: str, new: str) -> str:
    """A week's marks after a file's marks for it: the file's marks replace the old ones session by session."""
    return "".join(n if n != NO_MARK else o for o, n in zip(old, new, strict=True))


@dataclass(frozen=True)
class Counts:
    """Sessions by kind. `present` includes approved educational activity, as the measures count it."""

    possible: int = 0
    present: int = 0
    authorised: int = 0
    unauthorised: int = 0
    unexplained: int = 0  # N and O, within unauthorised

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.possible + other.possible,
            self.present + other.present,
            self.authorised + other.authorised,
            self.unauthorised + other.unauthorised,
            self.unexplained + other.unexplained,
        )

    @property
    def absent(self) -> int:
        return self.authorised + self.unauthorised

    @property
    def attendance_rate(self) -> float | None:
        return self.present / self.possible if self.possible else None

    @property
    def authorised_rate(self) -> float | None:
        return self.authorised / self.possible if self.possible else None

    @property
    def unauthorised_rate(self) -> float | None:
        return self.unauthorised / self.possible if self.possible else None

    @property
    def persistent(self) -> bool:
        """10% or more of possible sessions missed (compared in whole numbers: no rounding at the edge)."""
        return self.possible > 0 and self.absent * 10 >= self.possible

    @property
    def severe(self) -> bool:
        """50% or more of possible sessions missed."""
        return self.possible > 0 and self.absent * 2 >= self.possible


def count(marks: str) -> Counts:
    """The counts of a week's marks (or of any string of session symbols)."""
    possible = present = authorised = unauthorised = unexplained = 0
    for symbol in marks:
        if symbol == NO_MARK:
            continue
        category = CATEGORY_OF_SYMBOL[symbol]
        if category is Category.NOT_COUNTED:
            continue
        possible += 1
        if category in (Category.PRESENT, Category.APPROVED):
            present += 1
        elif category is Category.AUTHORISED:
            authorised += 1
        else:
            unauthorised += 1
            if symbol in UNEXPLAINED:
                unexplained += 1
    return Counts(possible, present, authorised, unauthorised, unexplained)


@dataclass(frozen=True)
class Run:
    """A run of unexplained absence: its first session's date and how many sessions it has lasted."""

    start: date
    sessions: int

    @property
    def school_days(self) -> float:
        return self.sessions / len(SESSIONS)


def in_school_days(sessions: int) -> str:
    """A count of sessions as the service's pages say it, two sessions to a school day: 20 -> "10 school days",
    21 -> "10.5 school days", 2 -> "1 school day"."""
    days, half = divmod(sessions, len(SESSIONS))
    number = f"{days}.5" if half else f"{days}"
    return f"{number} school day" if sessions == len(SESSIONS) else f"{number} school days"


@dataclass(frozen=True)
class Runs:
    current: Run | None  # the run still going at the pupil's last possible session, if any
    longest: Run | None  # the longest run (the earliest of equals)


def runs(weeks: Iterable[tuple[date, str]]) -> Runs:
    """A pupil's current and longest runs of unexplained absence from their weeks of marks, (Monday, marks) in date
    order; where a pupil has two schools' marks for one week, pass the week's marks merged (`combine`)."""
    current_start: date | None = None  # the first day of the run going, if one is
    current = 0  # its sessions so far
    longest: Run | None = None
    for monday, marks in weeks:
        if current_start is None and "N" not in marks and "O" not in marks:
            continue  # no run going, and none starts this week (most weeks: checked without a loop, for speed)
        for index, symbol in enumerate(marks):
            if symbol == NO_MARK or CATEGORY_OF_SYMBOL[symbol] is Category.NOT_COUNTED:
                continue
            if symbol in UNEXPLAINED:
                if current_start is None:
                    current_start = slot_date(monday, index)[0]
                current += 1
                if longest is None or current > longest.sessions:
                    longest = Run(current_start, current)
            else:
                current, current_start = 0, None
    return Runs(Run(current_start, current) if current_start is not None else None, longest)


def combine(first: str, second: str) -> str:
    """One week's marks from a pupil's two schools: a possible session at either counts (a dual-registered pupil is
    coded D at the school they are not attending); where both are possible, attending at either wins (a child at
    school somewhere is not missing from it), else the first school's."""

    def pick(a: str, b: str) -> str:
        if a == NO_MARK or (CATEGORY_OF_SYMBOL[a] is Category.NOT_COUNTED and b != NO_MARK):
            return b
        if b != NO_MARK and CATEGORY_OF_SYMBOL[b] in _ATTENDING and CATEGORY_OF_SYMBOL[a] not in _ATTENDING:
            return b
        return a

    return "".join(pick(a, b) for a, b in zip(first, second, strict=True))


def within(monday: date, marks: str, start: date, end: date) -> str:
    """The week's marks with the sessions outside start..end (inclusive) blanked, for measures over any dates."""
    first = max(0, (start - monday).days * 2)
    last = min(SESSIONS_PER_WEEK, ((end - monday).days + 1) * 2)
    if first >= last:
        return NO_MARK * SESSIONS_PER_WEEK
    return NO_MARK * first + marks[first:last] + NO_MARK * (SESSIONS_PER_WEEK - last)


def outside(marks: str, first: int, last: int) -> str:
    """The week's marks with its sessions `first`..`last` (inclusive, 0 Monday morning ... 9 Friday afternoon)
    blanked: what a file covering those sessions leaves of the marks already held."""
    if first > last:
        return marks
    return marks[:first] + NO_MARK * (last - first + 1) + marks[last + 1 :]


def last_marked(monday: date, marks: str) -> date | None:
    """The date of the week's last session with a mark, None for a week with none."""
    kept = len(marks.rstrip(NO_MARK))
    return slot_date(monday, kept - 1)[0] if kept else None


class ImportStatus(Labelled):
    """Where an uploaded file of marks is: its value is stored, its label shown in the lists of files."""

    CHECKING = "checking", "Being checked"
    CHECKED = "checked", "Checked, not imported"  # waiting for its uploader to import it or not
    REJECTED = "rejected", "Cannot be imported"  # nothing in it can be used
    IMPORTING = "importing", "Being imported"
    IMPORTED = "imported", "Imported"
    FAILED = "failed", "Not imported"  # its work went wrong, stopped too often, or did not finish within a day
    DISCARDED = "discarded", "Not imported"  # its uploader chose not to, or left it a day


# A worker is checking or importing the file, or it waits for one to.
IN_PROGRESS = (ImportStatus.CHECKING, ImportStatus.IMPORTING)
