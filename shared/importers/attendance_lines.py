"""The lines of an attendance file, after its header: each value checked once per distinct string and remembered,
the marks written straight into the checked file's pupil-weeks, and anything wrong with a line reported as a
`MarkProblem` naming the line, the field and what is wrong (the line's marks are left out)."""

from __future__ import annotations

import csv
import itertools
from array import array
from collections.abc import Callable
from datetime import date, timedelta
from operator import itemgetter
from typing import TypeVar

from shared.domain.attendance import NO_MARK, SESSIONS_PER_WEEK, code_for, week_start
from shared.domain.notices import parse_date
from shared.domain.problems import required
from shared.domain.school_days import SchoolCalendar
from shared.domain.upn import CHECK_LETTERS, InvalidUPN, normalise_upn, validate_upn
from shared.importers.attendance_checked import MAX_PROBLEMS, CheckedFile, FileRejected, MarkProblem, SchoolLookup
from shared.importers.attendance_layout import LABELS, blank, cut_short, header_columns, unreadable

PROGRESS_EVERY = 50_000  # lines between calls of the progress callback
MAX_NAME = 100  # the longest surname or forename the service stores

_BLANK_WEEK = NO_MARK.encode() * SESSIONS_PER_WEEK
_NO_LINES = array("I", bytes(4 * SESSIONS_PER_WEEK))
_DOT = ord(NO_MARK)

R = TypeVar("R")
T = TypeVar("T")
Fault = tuple[str, str]  # what is wrong with one field of a line, (its label, the message), before it is a MarkProblem
Mark = tuple[date, int, int]  # (Monday, the session's place in the week, the mark's symbol)
Pupil = tuple[int, str, tuple[str, str, date]]  # (school id, UPN, (surname, forename, date of birth))


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


class LineReader:
    """One reading of one file: the checks remembered per distinct value, and what has been read so far."""

    def __init__(
        self, schools: SchoolLookup, calendar: SchoolCalendar, today: date, allowed: set[int] | frozenset[int] | None
    ):
        self.schools, self.today, self.allowed = schools, today, allowed
        self.terms = [(term.start, term.end) for term in calendar.terms]
        self.checked = CheckedFile()
        self.mondays: dict[date, date] = {}
        self.known_marks: dict[tuple[str, str, str], Mark] = {}  # (date, session, code) as written
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
                if not all(map(blank, record)):
                    break
            else:
                raise FileRejected("The file is empty")
        except csv.Error as error:
            raise unreadable(error, end + 1, reader.line_num) from None
        self.columns = header_columns(record, start)
        self.needed = max(self.columns.values()) + 1
        self.width = max(len(record) - len(list(itertools.takewhile(blank, reversed(record)))), self.needed)
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
        pupil_raw: tuple[str, ...] | None = None
        week_monday: date | None = None
        details: tuple[str, str, date] | None = None
        school: int  # the pupil's school, UPN and week's offset in the marks: set before a mark is written
        upn: str
        offset: int
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
                    known = weeks.get(key)
                    if known is None:
                        known = weeks[key] = len(marks)
                        marks += _BLANK_WEEK
                        first_lines += _NO_LINES
                    offset, week_monday = known, monday
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
                if line >= next_progress and progress is not None:
                    progress(line)
                    next_progress = line + PROGRESS_EVERY
        except csv.Error as error:
            raise unreadable(error, line + 1, reader.line_num) from None
        if short is not None:
            raise cut_short(short[0], f"its last line has {len(short[1])} of the {width} values the header names")
        if needed <= len(record) < width and narrow < len(marks):
            # A file whose lines all stop short of the header's last columns was written that way; one whose last
            # line alone does was cut off.
            raise cut_short(line, f"its last line has {len(record)} of the {width} values the header names")
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
            checked.problems.append(MarkProblem(line, name, message))

    def _short(self, line: int, record: list[str]) -> None:
        self._problem(line, None, f"This line has {len(record)} values but the header row names {self.width}")

    def _long(self, line: int, record: list[str]) -> None:
        self._problem(
            line,
            None,
            f"This line has {len(record)} values but the header row names {self.width}: check for a stray comma, "
            "and put values that have commas in them in double quotes",
        )

    def _check(self, line: int, record: list[str], same_pupil: bool) -> tuple[Mark, Pupil] | None:
        """The slow path, for a line with a value not seen before or a bad one: each value checked (and
        remembered), each problem reported. None if the line has a problem, else its mark, (Monday, session's place
        in the week, symbol), and the pupil, (school id, UPN, (surname, forename, date of birth))."""
        columns = self.columns
        if not any(map(str.strip, record)):
            return None  # a row of empty cells
        problems: list[Fault] = []
        at_school = tuple(record[columns[name]] for name in ("urn", "laestab") if name in columns)
        school = self._value("school", at_school if len(at_school) == 2 else at_school[0], self._learn_school, problems)
        upn = self._value("upn", record[columns["upn"]], self._learn_upn, problems)
        day = self._value("date", record[columns["date"]], self._learn_date, problems)
        session = self._value("session", record[columns["session"]], self._learn_session, problems)
        code = self._value("code", record[columns["code"]], self._learn_code, problems)
        born = self._value("dob", record[columns["dob"]], self._learn_dob, problems)
        surname = self._name("surname", record[columns["surname"]], problems)
        forename = self._name("forename", record[columns["forename"]], problems)
        if problems:
            for index, (name, message) in enumerate(problems):
                self._problem(line, name, message, counted=index == 0)
            return None
        # With no problem, every value was found.
        monday, first_slot = required(day)
        mark = (monday, first_slot + required(session), required(code))
        self.known_marks[(record[columns["date"]], record[columns["session"]], record[columns["code"]])] = mark
        pupil = (required(school), required(upn), (surname, forename, required(born)))
        return mark, pupil

    def _value(
        self, name: str, raw: R, learn: Callable[[R], tuple[T | None, Fault | None]], problems: list[Fault]
    ) -> T | None:
        """A column's value checked, from what was learnt before or by learning it now; its problem, if any, added
        to the line's."""
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
        return value

    @staticmethod
    def _name(name: str, raw: str, problems: list[Fault]) -> str:
        value = raw.strip()
        if not value:
            problems.append((LABELS[name], f"{LABELS[name]} is missing"))
        elif len(value) > MAX_NAME:
            problems.append((LABELS[name], f"{LABELS[name]} is longer than {MAX_NAME} characters"))
        return value

    def _learn_school(self, raw: str | tuple[str, ...]) -> tuple[int | None, Fault | None]:
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
        school = by_urn if by_urn is not None else by_laestab
        if school is None:
            name = "URN" if "urn" in self.columns else "LAESTAB"
            return None, (name, "The school's URN or LAESTAB is missing")
        if by_urn is not None and by_laestab is not None and by_urn != by_laestab:
            return None, (
                "LAESTAB",
                f"URN {_cell(urn_text)} and LAESTAB {_cell(laestab_text)} are different schools: give one school's",
            )
        if self.allowed is not None and school not in self.allowed:
            name = "URN" if by_urn is not None else "LAESTAB"
            return None, (name, f"You cannot import attendance for {self.schools.names[school]}")
        return school, None

    def _by_urn(self, text: str) -> tuple[int | None, Fault | None]:
        if not (text.isascii() and text.isdigit()) or len(text) > 9:  # int() refuses more than 4,300 digits
            shown = text if len(text) <= 40 else f"{text[:40]}..."
            return None, ("URN", f"URN '{shown}' is not a URN: a URN is a number, like 100001")
        school = self.schools.by_urn.get(int(text))
        if school is None:
            return None, ("URN", f"No school with URN {int(text)} is in the schools register")
        return school, None

    def _by_laestab(self, text: str) -> tuple[int | None, Fault | None]:
        laestab = text.replace("/", "").replace(" ", "")
        if not (len(laestab) == 7 and laestab.isascii() and laestab.isdigit()):
            return None, ("LAESTAB", f"LAESTAB '{text}' is not 7 digits: the LA code, then the establishment number")
        school = self.schools.by_laestab.get(laestab)
        if school is None:
            return None, ("LAESTAB", f"No school with LAESTAB {laestab} is in the schools register")
        return school, None

    def _learn_upn(self, raw: str) -> tuple[str | None, Fault | None]:
        if not raw.strip():
            return None, ("UPN", "UPN is missing")
        try:
            return validate_upn(_cell(raw)), None
        except InvalidUPN:
            return None, ("UPN", _upn_problem(raw))

    def _learn_date(self, raw: str) -> tuple[tuple[date, int] | None, Fault | None]:
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

    def _learn_session(self, raw: str) -> tuple[int | None, Fault | None]:
        session = raw.strip().upper()
        if session in ("AM", "PM"):
            return ("AM", "PM").index(session), None
        if not session:
            return None, ("Session", "Session is missing")
        return None, ("Session", f"Session '{raw.strip()}' must be AM or PM")

    def _learn_code(self, raw: str) -> tuple[int | None, Fault | None]:
        code = code_for(raw)
        if code is not None:
            return ord(code.symbol), None
        if not raw.strip():
            return None, ("Code", "Code is missing")
        return None, ("Code", f"Code '{raw.strip()}' is not an attendance code")

    def _learn_dob(self, raw: str) -> tuple[date | None, Fault | None]:
        if not raw.strip():
            return None, ("DOB", "DOB is missing")
        born = _date_of(raw)
        if born is None:
            return None, ("DOB", f"DOB '{raw.strip()}' is not a date: write it like 2015-03-27 or 27/03/2015")
        if born > self.today:
            return None, ("DOB", f"DOB {born.isoformat()} is in the future")
        return born, None
