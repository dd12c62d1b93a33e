"""A CSV file of attendance marks (one row per pupil per session, described in docs/attendance-file.md), read as a
stream and checked: nothing here touches the database.

A medium authority's term is 6.5 million rows, so the reading is built for speed and memory: `csv.reader` with the
columns found by position, every value that needs checking (school, UPN, dates, session, code) checked once per
distinct string and remembered, and the marks written straight into one `bytearray` of ten bytes a pupil-week
(the symbols of `shared.domain.attendance`), found through a dict keyed (school id, UPN, Monday). No dict or
object is made per row.

A file that cannot be read through (empty, not CSV, another delimiter, not UTF-8 or Windows-1252, columns missing,
cut short) raises `FileRejected` with one message. Anything wrong with a line is a `Problem` naming the line (the
header is line 1; a value in double quotes may span lines), the field and what is wrong; the line's marks are left
out. Every problem is counted; the first `MAX_PROBLEMS` are kept.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from operator import itemgetter
from typing import BinaryIO

from shared.domain.attendance import NO_MARK, SESSIONS_PER_WEEK, code_for, week_start
from shared.domain.notices import parse_date
from shared.domain.school_days import SchoolCalendar
from shared.domain.upn import CHECK_LETTERS, InvalidUPN, normalise_upn, validate_upn

MAX_PROBLEMS = 1000  # problems kept in detail; all of them are counted
PROGRESS_EVERY = 50_000  # lines between calls of the progress callback
MAX_NAME = 100  # the longest surname or forename the service stores

LABELS = {
    "urn": "URN",
    "laestab": "LAESTAB",
    "upn": "UPN",
    "surname": "Surname",
    "forename": "Forename",
    "dob": "DOB",
    "date": "Date",
    "session": "Session",
    "code": "Code",
}
REQUIRED = ("upn", "surname", "forename", "dob", "date", "session", "code")  # and URN or LAESTAB

_BLANK_WEEK = NO_MARK.encode() * SESSIONS_PER_WEEK
_NO_LINES = array("I", bytes(4 * SESSIONS_PER_WEEK))
_DOT = ord(NO_MARK)
_CHUNK = 1 << 20


class FileRejected(ValueError):
    """A file that cannot be imported at all, with the one message that says why."""


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong on a line: `field` is the column's name as the file format gives it (None for the line)."""

    line: int
    field: str | None
    message: str

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
    problems: list[Problem] = field(default_factory=list)  # the first MAX_PROBLEMS
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


def read_attendance(
    source: bytes | BinaryIO,
    *,
    schools: SchoolLookup,
    calendar: SchoolCalendar,
    today: date,
    allowed_school_ids: set[int] | frozenset[int] | None = None,
    progress: Callable[[int], None] | None = None,
) -> CheckedFile:
    """Read and check a whole attendance file (its bytes, or a binary file open for reading). `allowed_school_ids`
    are the schools the uploader may import (None: any). `progress(lines_done)` is called every `PROGRESS_EVERY`
    lines. Raises `FileRejected` for a file that cannot be imported at all."""
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray | memoryview) else source
    if not stream.seekable():
        stream = io.BytesIO(stream.read())
    encoding = _encoding(stream)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        reader = _Reader(schools, calendar, today, allowed_school_ids)
        return reader.read(csv.reader(text, strict=True), progress)
    finally:
        text.detach()  # the caller's stream stays open


# The file as a whole ----------------------------------------------------------------------------------------------


def _encoding(stream: BinaryIO) -> str:
    """UTF-8 (with or without a byte order mark) or else Windows-1252, checked over the whole file; the stream is
    left at its start."""
    stream.seek(0)
    start = stream.read(4096)
    if not start.strip():
        raise FileRejected("The file is empty")
    if start.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise FileRejected("The file is an Excel workbook, not a CSV file: in Excel, use Save As and choose CSV UTF-8")
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or start[:2].count(b"\x00") == 1:
        raise FileRejected(
            "The file is UTF-16 text (Excel calls it Unicode Text), not UTF-8 or Windows-1252: save it as CSV UTF-8"
        )
    if b"\x00" in start:
        raise FileRejected("The file is not a CSV file: save it as CSV UTF-8 (comma delimited)")
    for encoding in ("utf-8", "cp1252"):
        stream.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        position = 0
        try:
            while chunk := stream.read(_CHUNK):
                if not (encoding == "utf-8" and chunk.isascii()):
                    decoder.decode(chunk)
                position += len(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            failed_at = position + error.start
            continue
        stream.seek(0)
        return "utf-8-sig" if encoding == "utf-8" else encoding
    stream.seek(0)
    line = stream.read(failed_at).count(b"\n") + 1
    stream.seek(0)
    raise FileRejected(
        f"The file is not UTF-8 or Windows-1252 text (line {line} has a character that is neither): "
        "save it as CSV UTF-8"
    )


def _unreadable(error: csv.Error, line: int, reached: int) -> FileRejected:
    """A line the csv module cannot read: a file cut short in a quoted value, or one that is not CSV there."""
    reason = str(error)
    if reason.startswith("unexpected end of data"):
        return _cut_short(line, "it ends in the middle of a value in double quotes")
    for known, meaning in _CSV_ERRORS.items():
        if reason.startswith(known):
            reason = meaning
    return FileRejected(f"Line {reached:,} cannot be read as CSV ({reason}), so nothing was imported")


_CSV_ERRORS = {
    "',' expected after '\"'": "a double quote inside a value in double quotes must be written twice",
    "field larger than field limit": "a value is far too long",
}


def _cut_short(line: int, how: str) -> FileRejected:
    return FileRejected(
        f"The file looks cut short: {how} (line {line:,}), so nothing was imported. Save or export the whole file "
        "again and upload it"
    )


def _blank(cell: str) -> bool:
    return not cell.strip()


def _column(cell: str) -> str:
    return "".join(cell.lstrip("\ufeff").split()).lower()


def _header(cells: list[str], line: int) -> dict[str, int]:
    names = [_column(cell) for cell in cells]
    found = {name: index for index, name in reversed(list(enumerate(names))) if name in LABELS}
    missing = [LABELS[name] for name in REQUIRED if name not in found]
    if "urn" not in found and "laestab" not in found:
        missing.insert(0, "URN or LAESTAB")
    if not missing:
        repeated = [LABELS[name] for name in found if names.count(name) > 1]
        if repeated:
            raise FileRejected(f"The header row (line {line}) has the column {repeated[0]} twice")
        return found
    joined = ",".join(cells)
    for delimiter, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
        if sum(_column(cell) in LABELS for cell in joined.split(delimiter)) >= 2:
            raise FileRejected(f"The file uses {name} between values: save it as comma-separated (CSV)")
    if len(missing) == len(REQUIRED) + 1:
        raise FileRejected(
            f"The first line of the file (line {line}) must name the columns: URN or LAESTAB, UPN, Surname, "
            "Forename, DOB, Date, Session and Code"
        )
    listed = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " and " + missing[-1]
    columns = "the column" if len(missing) == 1 else "the columns"
    raise FileRejected(f"The header row (line {line}) is missing {columns} {listed}")


# Lines --------------------------------------------------------------------------------------------------------------


def _cell(value: str) -> str:
    """A value without spaces around it, and without Excel's ="..." or leading apostrophe that kept it as text."""
    value = value.strip()
    if value.startswith('="') and value.endswith('"') and len(value) >= 3:
        return value[2:-1].strip()
    if value.startswith("'"):
        return value[1:].strip()
    return value


def _date_of(value: str) -> date | None:
    value = _cell(value)
    for midnight in (" 00:00:00", " 00:00", "T00:00:00"):
        value = value.removesuffix(midnight)
    return parse_date(value)


def _upn_problem(raw: str) -> str:
    upn = normalise_upn(_cell(raw))
    if len(upn) != 13:
        reason = "a UPN is 13 characters"
    elif not (upn[0].isalpha() and upn[1:12].isdigit() and upn[12].isalnum() and upn.isascii()):
        reason = "a UPN is a letter, 11 numbers, then a number or a letter"
    elif upn[12].isalpha() and upn[12] not in CHECK_LETTERS:
        reason = "a temporary UPN cannot end in I, O or S"
    else:
        reason = "its check letter is wrong: check it has been copied correctly"
    return f"UPN '{raw.strip()}' is not valid: {reason}"


class _Reader:
    """One reading of one file: the checks remembered per distinct value, and what has been read so far."""

    def __init__(self, schools: SchoolLookup, calendar: SchoolCalendar, today: date, allowed: set[int] | None):
        self.schools, self.today, self.allowed = schools, today, allowed
        self.terms = [(term.start, term.end) for term in calendar.terms]
        self.checked = CheckedFile()
        self.mondays: dict[date, date] = {}
        self.known_marks: dict[tuple[str, str, str], tuple[date, int, int]] = {}  # (date, session, code) as written
        self.first_lines = array("I")  # the line each session's mark came from, to name it in a duplicate
        # Each column's good values (raw text -> checked value) and bad ones (raw text -> its problem).
        self.good: dict[str, dict] = {name: {} for name in ("school", "upn", "date", "session", "code", "dob")}
        self.bad: dict[str, dict] = {name: {} for name in self.good}

    # Whole file ---------------------------------------------------------------------------------------------------

    def read(self, reader, progress: Callable[[int], None] | None) -> CheckedFile:
        checked = self.checked
        end = 0  # the line the last record ended on
        try:
            for record in reader:
                start, end = end + 1, reader.line_num
                if not all(map(_blank, record)):
                    break
            else:
                raise FileRejected("The file is empty")
        except csv.Error as error:
            raise _unreadable(error, end + 1, reader.line_num) from None
        self.columns = _header(record, start)
        self.needed = max(self.columns.values()) + 1
        self.width = max(len(record) - len(list(itertools.takewhile(_blank, reversed(record)))), self.needed)
        checked.lines = self._rows(reader, end, progress)
        if not checked.rows:
            raise FileRejected("The file has a header row but no attendance marks below it")
        self._spans()
        return checked

    def _rows(self, reader, end: int, progress: Callable[[int], None] | None) -> int:
        """Read every line after the header into the marks; the number of the last line."""
        columns, width, needed = self.columns, self.width, self.needed
        checked = self.checked
        at_school = [columns[name] for name in ("urn", "laestab") if name in columns]
        # Who the pupil is: a pupil's lines usually come together, so these are checked once for a run of lines that
        # repeat them. What the mark is: one look-up for the date, session and code together.
        pupil_of = itemgetter(*at_school, *(columns[name] for name in ("upn", "surname", "forename", "dob")))
        mark_of = itemgetter(columns["date"], columns["session"], columns["code"])
        known_marks = self.known_marks
        weeks, marks, first_lines, pupils = checked.weeks, checked.marks, self.first_lines, checked.pupils
        pupil_raw = week_monday = details = school = upn = offset = None
        next_progress = PROGRESS_EVERY if progress is not None else float("inf")
        short: tuple[int, list[str]] | None = None  # a line without every column: cut short if it is the last
        narrow = 0  # lines with every column the service reads, but not every one the header names
        line = end
        record: list[str] = []

        try:
            for record in reader:
                line = reader.line_num  # where the record ends (a value in double quotes may span lines)
                if len(record) != width:
                    if not any(map(str.strip, record)):
                        continue  # a blank line, or a row of empty cells a spreadsheet left behind
                    if short is not None:
                        self._short(*short)
                    short = None
                    if len(record) < needed:
                        short = (line, record)
                        continue
                    if len(record) < width:
                        narrow += 1
                    elif any(map(str.strip, record[width:])):
                        self._long(line, record)
                        continue
                elif short is not None:
                    self._short(*short)
                    short = None
                pupil = pupil_of(record)
                mark = known_marks.get(mark_of(record))
                if pupil != pupil_raw or mark is None:
                    # Another pupil than the line before, or a value not seen before, or a bad one.
                    found = self._check(line, record, pupil == pupil_raw)
                    if found is None:
                        pupil_raw = None
                        continue
                    mark, checked_pupil = found
                    if pupil != pupil_raw:
                        school, upn, details = checked_pupil
                        pupil_raw, week_monday = pupil, None
                monday, slot, symbol = mark
                if monday is not week_monday:
                    key = (school, upn, monday)
                    offset = weeks.get(key)
                    if offset is None:
                        offset = weeks[key] = len(marks)
                        marks += _BLANK_WEEK
                        first_lines += _NO_LINES
                    week_monday = monday
                position = offset + slot
                if marks[position] != _DOT:
                    self._problem(
                        line,
                        None,
                        f"This line duplicates line {first_lines[position]:,}: the same school, UPN, date and session",
                    )
                    continue
                marks[position] = symbol
                first_lines[position] = line
                if details is not None:
                    pupils[upn] = details  # the pupil's names and date of birth from the last line that gives them
                    details = None
                if line >= next_progress:
                    progress(line)
                    next_progress = line + PROGRESS_EVERY
        except csv.Error as error:
            raise _unreadable(error, line + 1, reader.line_num) from None
        if short is not None:
            raise _cut_short(short[0], f"its last line has {len(short[1])} of the {width} values the header names")
        if needed <= len(record) < width and narrow < len(marks):
            # A file whose lines all stop short of the header's last columns was written that way; one whose last
            # line alone does was cut off.
            raise _cut_short(line, f"its last line has {len(record)} of the {width} values the header names")
        checked.mark_count = len(marks) - marks.count(_DOT)
        checked.rows = checked.mark_count + checked.bad_lines
        if progress is not None:
            progress(line)
        return line

    def _spans(self) -> None:
        """Each school's first and last date with a mark in the file: its first and last weeks, then the first and
        last marked day in those weeks."""
        weeks, marks = self.checked.weeks, self.checked.marks
        mondays: dict[int, list[date]] = {}
        for school, _upn, monday in weeks:
            known = mondays.get(school)
            if known is None:
                mondays[school] = [monday, monday]
            elif monday < known[0]:
                known[0] = monday
            elif monday > known[1]:
                known[1] = monday
        edges = {school: [SESSIONS_PER_WEEK - 1, 0] for school in mondays}
        for (school, _upn, monday), offset in weeks.items():
            first_week, last_week = mondays[school]
            if monday != first_week and monday != last_week:
                continue
            week = marks[offset : offset + SESSIONS_PER_WEEK]
            edge = edges[school]
            if monday == first_week:
                edge[0] = min(edge[0], SESSIONS_PER_WEEK - len(week.lstrip(b".")))
            if monday == last_week:
                edge[1] = max(edge[1], len(week.rstrip(b".")) - 1)
        self.checked.edge_sessions = {school: (first, last) for school, (first, last) in edges.items()}
        self.checked.spans = {
            school: (first + timedelta(days=edges[school][0] // 2), last + timedelta(days=edges[school][1] // 2))
            for school, (first, last) in mondays.items()
        }

    # Problems -----------------------------------------------------------------------------------------------------

    def _problem(self, line: int, name: str | None, message: str, *, counted: bool = True) -> None:
        checked = self.checked
        if counted:
            checked.bad_lines += 1
        checked.problem_count += 1
        if len(checked.problems) < MAX_PROBLEMS:
            checked.problems.append(Problem(line, name, message))

    def _short(self, line: int, record: list[str]) -> None:
        self._problem(line, None, f"This line has {len(record)} values but the header row names {self.width}")

    def _long(self, line: int, record: list[str]) -> None:
        self._problem(
            line,
            None,
            f"This line has {len(record)} values but the header row names {self.width}: check for a stray comma, "
            "and put values that have commas in them in double quotes",
        )

    def _check(self, line: int, record: list[str], same_pupil: bool) -> tuple | None:
        """The slow path, for a line with a value not seen before or a bad one: each value checked (and
        remembered), each problem reported. None if the line has a problem, else its mark, (Monday, session's place
        in the week, symbol), and the pupil, (school id, UPN, (surname, forename, date of birth))."""
        columns = self.columns
        if not any(map(str.strip, record)):
            return None  # a row of empty cells
        checked: dict[str, object] = {}
        problems = []
        at_school = tuple(record[columns[name]] for name in ("urn", "laestab") if name in columns)
        for name, raw, learn in (
            ("school", at_school if len(at_school) == 2 else at_school[0], self._learn_school),
            ("upn", record[columns["upn"]], self._learn_upn),
            ("date", record[columns["date"]], self._learn_date),
            ("session", record[columns["session"]], self._learn_session),
            ("code", record[columns["code"]], self._learn_code),
            ("dob", record[columns["dob"]], self._learn_dob),
        ):
            value = self.good[name].get(raw)
            if value is None:
                problem = self.bad[name].get(raw)
                if problem is None:
                    value, problem = learn(raw)
                    if problem is None:
                        self.good[name][raw] = value
                    else:
                        self.bad[name][raw] = problem
                if problem is not None:
                    problems.append(problem)
            checked[name] = value
        for name in ("surname", "forename"):
            value = record[columns[name]].strip()
            if not value:
                problems.append((LABELS[name], f"{LABELS[name]} is missing"))
            elif len(value) > MAX_NAME:
                problems.append((LABELS[name], f"{LABELS[name]} is longer than {MAX_NAME} characters"))
            checked[name] = value
        if problems:
            for index, (name, message) in enumerate(problems):
                self._problem(line, name, message, counted=index == 0)
            return None
        monday, first_slot = checked["date"]
        mark = (monday, first_slot + checked["session"], checked["code"])
        self.known_marks[(record[columns["date"]], record[columns["session"]], record[columns["code"]])] = mark
        pupil = (checked["school"], checked["upn"], (checked["surname"], checked["forename"], checked["dob"]))
        return mark, pupil

    def _learn_school(self, raw) -> tuple[int | None, tuple[str, str] | None]:
        if isinstance(raw, tuple):
            urn_text, laestab_text = raw
        elif "urn" in self.columns:
            urn_text, laestab_text = raw, ""
        else:
            urn_text, laestab_text = "", raw
        by_urn = by_laestab = None
        if _cell(urn_text):
            by_urn, problem = self._by_urn(_cell(urn_text))
            if problem:
                return None, problem
        if _cell(laestab_text):
            by_laestab, problem = self._by_laestab(_cell(laestab_text))
            if problem:
                return None, problem
        if by_urn is None and by_laestab is None:
            name = "URN" if "urn" in self.columns else "LAESTAB"
            return None, (name, "The school's URN or LAESTAB is missing")
        if by_urn is not None and by_laestab is not None and by_urn != by_laestab:
            return None, (
                "LAESTAB",
                f"URN {_cell(urn_text)} and LAESTAB {_cell(laestab_text)} are different schools: give one school's",
            )
        school = by_urn if by_urn is not None else by_laestab
        if self.allowed is not None and school not in self.allowed:
            name = "URN" if by_urn is not None else "LAESTAB"
            return None, (name, f"You cannot import attendance for {self.schools.names[school]}")
        return school, None

    def _by_urn(self, text: str) -> tuple[int | None, tuple[str, str] | None]:
        if not (text.isascii() and text.isdigit()) or len(text) > 9:  # int() refuses more than 4,300 digits
            shown = text if len(text) <= 40 else f"{text[:40]}..."
            return None, ("URN", f"URN '{shown}' is not a URN: a URN is a number, like 100001")
        school = self.schools.by_urn.get(int(text))
        if school is None:
            return None, ("URN", f"No school with URN {int(text)} is in the schools register")
        return school, None

    def _by_laestab(self, text: str) -> tuple[int | None, tuple[str, str] | None]:
        laestab = text.replace("/", "").replace(" ", "")
        if not (len(laestab) == 7 and laestab.isascii() and laestab.isdigit()):
            return None, ("LAESTAB", f"LAESTAB '{text}' is not 7 digits: the LA code, then the establishment number")
        school = self.schools.by_laestab.get(laestab)
        if school is None:
            return None, ("LAESTAB", f"No school with LAESTAB {laestab} is in the schools register")
        return school, None

    def _learn_upn(self, raw: str) -> tuple[str | None, tuple[str, str] | None]:
        if not raw.strip():
            return None, ("UPN", "UPN is missing")
        try:
            return validate_upn(_cell(raw)), None
        except InvalidUPN:
            return None, ("UPN", _upn_problem(raw))

    def _learn_date(self, raw: str) -> tuple[tuple[date, int] | None, tuple[str, str] | None]:
        if not raw.strip():
            return None, ("Date", "Date is missing")
        day = _date_of(raw)
        if day is None:
            return None, ("Date", f"Date '{raw.strip()}' is not a date: write it like 2026-09-14 or 14/09/2026")
        if day.weekday() > 4:
            return None, ("Date", f"Date {day.isoformat()} is a {day:%A}, not a weekday")
        if not any(start <= day <= end for start, end in self.terms):
            return None, ("Date", f"Date {day.isoformat()} is outside the authority's term dates")
        if day > self.today:
            return None, ("Date", f"Date {day.isoformat()} is in the future")
        monday = self.mondays.setdefault(week_start(day), week_start(day))  # one object a week: compared by identity
        return (monday, day.weekday() * 2), None

    def _learn_session(self, raw: str) -> tuple[int | None, tuple[str, str] | None]:
        session = raw.strip().upper()
        if session in ("AM", "PM"):
            return ("AM", "PM").index(session), None
        if not session:
            return None, ("Session", "Session is missing")
        return None, ("Session", f"Session '{raw.strip()}' must be AM or PM")

    def _learn_code(self, raw: str) -> tuple[int | None, tuple[str, str] | None]:
        code = code_for(raw)
        if code is not None:
            return ord(code.symbol), None
        if not raw.strip():
            return None, ("Code", "Code is missing")
        return None, ("Code", f"Code '{raw.strip()}' is not an attendance code")

    def _learn_dob(self, raw: str) -> tuple[date | None, tuple[str, str] | None]:
        if not raw.strip():
            return None, ("DOB", "DOB is missing")
        born = _date_of(raw)
        if born is None:
            return None, ("DOB", f"DOB '{raw.strip()}' is not a date: write it like 2015-03-27 or 27/03/2015")
        if born > self.today:
            return None, ("DOB", f"DOB {born.isoformat()} is in the future")
        return born, None
