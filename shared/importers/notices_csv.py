"""A CSV file of school notices, read and checked whole into a preview: nothing here touches the database.

Schools fill the file in Excel, so its quirks are expected: "CSV UTF-8" (with a byte order mark) or plain "CSV"
(Windows-1252), header names in any case, trailing empty columns, rows of empty cells, a leading apostrophe or
="..." that forced a cell to text, phone numbers that lost their leading zero and dates with a midnight time.
Every row is held to `check_notice`, the rule the forms use, and each problem names its line in the file (the
header is line 1; a quoted value may span lines) and the field's label.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from shared.domain.notices import (
    DESTINATION_OUT_OF_SCOPE,
    DESTINATION_UNKNOWN,
    EVENT_DATE_LABEL,
    FIELD_LABELS,
    GROUNDS,
    REQUIRED_BY_KIND,
    REQUIRED_FOR_EVERY_NOTICE,
    CheckedNotice,
    check_notice,
)
from shared.domain.problems import FILE, LineProblem
from shared.domain.vocab import NoticeKind

MAX_ROWS = 20_000  # notices in one file: the preview lists them all, and they are stored in one transaction

CSV_COLUMNS: tuple[str, ...] = tuple(FIELD_LABELS)
REQUIRED_COLUMNS: tuple[str, ...] = ("kind", *REQUIRED_FOR_EVERY_NOTICE)
_DATE_COLUMNS = ("date_of_birth", "event_date", "review_date")


@dataclass
class Preview:
    """The notices a file would create, with their lines, and every problem found. `notices` is empty when the
    file could not be read through (a problem with the file as a whole, or a line that is not CSV)."""

    notices: list[tuple[int, CheckedNotice]] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)
    source_laestab: str | None = None  # a Common Transfer File's sending school, for the caller to check

    @property
    def file_problems(self) -> list[LineProblem]:
        return [problem for problem in self.problems if problem.line == FILE]


def check_rows(rows: Iterable[tuple[int, Mapping[str, str]]], today: date) -> Preview:
    """Check each (line, answers) pair with `check_notice`, and refuse a notice that repeats an earlier one (same
    type, pupil and date): the one rule shared by the CSV and the Common Transfer File."""
    preview = Preview()
    first_seen: dict[tuple, int] = {}
    for line, raw in rows:
        notice, problems = check_notice(raw, today)
        if problems or notice is None:
            kind = _kind(raw.get("kind", ""))
            preview.problems.extend(
                LineProblem(line, _label(problem.field, kind), problem.message) for problem in problems
            )
            continue
        pupil = notice.upn or (notice.first_name.casefold(), notice.last_name.casefold(), notice.date_of_birth)
        key = (notice.kind, pupil, notice.event_date)
        if key in first_seen:
            preview.problems.append(LineProblem(line, None, f"This notice repeats the one on line {first_seen[key]}"))
            continue
        first_seen[key] = line
        preview.notices.append((line, notice))
    return preview


def parse_notices_csv(data: bytes, today: date) -> Preview:
    """Read a whole CSV file of notices and check every row: the notices it would create and every problem."""
    text, problem = _decode(data)
    if problem:
        return Preview(problems=[problem])
    # strict: a quoted value that is never closed is an error, not the rest of the file swallowed into one cell
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    records = _Records(reader)
    try:
        return _read(records, today)
    except csv.Error as error:
        reason = str(error)
        for known, meaning in _CSV_ERRORS.items():
            if reason.startswith(known):
                reason = meaning
        message = f"This line cannot be read as CSV ({reason}), so nothing in the file can be imported"
        return Preview(problems=[LineProblem(records.line, None, message)])


_CSV_ERRORS = {
    "unexpected end of data": "a value that starts with a double quote is never closed",
    "',' expected after '\"'": "a double quote in a value in double quotes must be written twice",
    "field larger than field limit": f"a value is longer than {csv.field_size_limit():,} characters",
}


class _Records:
    """Each record with the line it starts on (a quoted value may span lines); `line` is where reading is."""

    def __init__(self, reader):
        self._reader = reader
        self.line = 1

    def __iter__(self):
        end_of_previous = 0
        while True:
            self.line = end_of_previous + 1
            record = next(self._reader, None)
            if record is None:
                return
            end_of_previous = self._reader.line_num
            yield self.line, record


def _read(records: _Records, today: date) -> Preview:
    lines = iter(records)
    header_line, header = next(((line, record) for line, record in lines if any(map(str.strip, record))), (0, None))
    if header is None:
        return Preview(problems=[LineProblem(FILE, None, "The file has no notices in it")])
    names = [_column_name(cell) for cell in header]
    problems = _header_problems(names, header_line)
    if problems:
        return Preview(problems=problems)
    positions = {name: index for index, name in enumerate(names) if name}

    rows: list[tuple[int, dict[str, str]]] = []
    shape_problems: list[LineProblem] = []
    for line, record in lines:
        if not any(cell.strip() for cell in record):
            continue  # a blank line, or a row of empty cells a spreadsheet left behind
        if len(rows) + len(shape_problems) == MAX_ROWS:
            message = f"The file has more than {MAX_ROWS:,} notices: split it into smaller files"
            return Preview(problems=[LineProblem(FILE, None, message)])
        if len(record) > len(names):
            # A spreadsheet pads every row, the header too, to the same width: a longer row has been shifted
            message = (
                f"This row has {len(record)} cells but the header row has {len(names)}: check for a stray comma, "
                "and put text that has commas in it in double quotes"
            )
            shape_problems.append(LineProblem(line, None, message))
            continue
        unnamed = next((index for index, cell in enumerate(record) if cell.strip() and not names[index]), None)
        if unnamed is not None:
            message = f"Column {unnamed + 1} has no name in the header row, but this row has a value in it"
            shape_problems.append(LineProblem(line, None, message))
            continue
        rows.append((line, _answers(record, positions)))
    if not rows and not shape_problems:
        return Preview(problems=[LineProblem(FILE, None, "The file has no notices in it")])
    preview = check_rows(rows, today)
    preview.problems = sorted([*preview.problems, *shape_problems], key=lambda problem: problem.line)
    return preview


def _decode(data: bytes) -> tuple[str, LineProblem | None]:
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        message = "The file is an Excel workbook, not a CSV file: in Excel, use Save As and choose CSV UTF-8"
        return "", LineProblem(FILE, None, message)
    # Excel's "Unicode Text"; else its "CSV UTF-8", then its plain "CSV"
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    encodings = ("utf-16",) if utf16 else ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as error:
            bad_line = data[: error.start].count(b"\n") + 1
            continue
        if "\x00" in text:
            return "", LineProblem(FILE, None, "The file is not a CSV file: save it from Excel as CSV UTF-8")
        return text, None
    message = f"The file is not UTF-8 or Windows-1252 text (see line {bad_line}): save it from Excel as CSV UTF-8"
    return "", LineProblem(FILE, None, message)


def _delimiter(text: str) -> str:
    """Comma, unless the header row plainly uses semicolons (Excel in some locales) or tabs."""
    first = next((line for line in io.StringIO(text) if line.strip()), "")

    def known(delimiter: str) -> int:
        return sum(_column_name(cell) in FIELD_LABELS for cell in first.split(delimiter))

    return max((",", ";", "\t"), key=known)  # ties go to the comma, first


def _column_name(cell: str) -> str:
    return re.sub(r"[\s-]+", "_", cell.strip().lstrip("\ufeff").strip().lower())


def _header_problems(names: list[str], line: int) -> list[LineProblem]:
    problems = []
    header = f"The header row (line {line})"
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        problems.append(LineProblem(FILE, None, f"{header} is missing {_columns(missing)}: {', '.join(missing)}"))
    unknown = [name for name in dict.fromkeys(names) if name and name not in FIELD_LABELS]
    if unknown:
        described = []
        for name in unknown:
            close = difflib.get_close_matches(name, CSV_COLUMNS, n=1)
            described.append(f"{name} (did you mean {close[0]}?)" if close else name)
        problems.append(
            LineProblem(
                FILE,
                None,
                f"{header} has {'a column' if len(unknown) == 1 else 'columns'} this service does not know: "
                f"{', '.join(described)}. Use the column names in the template",
            )
        )
    repeated = [name for name in dict.fromkeys(names) if name and names.count(name) > 1]
    if repeated:
        problems.append(LineProblem(FILE, None, f"{header} repeats {_columns(repeated)}: {', '.join(repeated)}"))
    return problems


def _columns(names: list[str]) -> str:
    return "the column" if len(names) == 1 else "the columns"


def _answers(record: list[str], positions: dict[str, int]) -> dict[str, str]:
    answers = {name: _cell(record[index]) if index < len(record) else "" for name, index in positions.items()}
    if "kind" in answers:
        answers["kind"] = re.sub(r"[\s-]+", "_", answers["kind"].lower())  # "Part time" and "part-time" too
    phone = answers.get("parent_phone", "")
    if re.fullmatch(r"[1-9]\d{9}", phone):
        answers["parent_phone"] = "0" + phone  # Excel read 07700900123 as a number and dropped the zero
    for name in _DATE_COLUMNS:
        if name in answers:
            answers[name] = re.sub(r"[ T]00:00(:00)?$", "", answers[name])  # a date a spreadsheet saved with a time
    return answers


def _cell(value: str) -> str:
    value = value.strip()
    if value.startswith('="') and value.endswith('"') and len(value) >= 3:
        return value[2:-1].strip()  # Excel's way of keeping 0123 as text
    if value.startswith("'") and not value[1:2].isalpha():
        return value[1:].strip()  # typed '0123 to keep it as text; a name like 't Hooft keeps its apostrophe
    return value


def _kind(value: str) -> NoticeKind | None:
    try:
        return NoticeKind(value.strip().lower())
    except ValueError:
        return None


def _label(name: str, kind: NoticeKind | None) -> str:
    if name == "event_date" and kind:
        return EVENT_DATE_LABEL[kind]
    return FIELD_LABELS.get(name, name)


# The template and its guide -------------------------------------------------------------------------------------

_EXAMPLES = (
    {
        "kind": "joiner",
        "upn": "B801200005001",
        "first_name": "Amira",
        "last_name": "Khan",
        "date_of_birth": "27/03/2015",
        "sex": "F",
        "event_date": "03/09/2025",
        "address": "12 Orchard Street, Bath",
        "postcode": "BA1 1JG",
        "parent_name": "Sara Khan",
        "parent_phone": "07700 900123",
        "previous_school": "St Mary's Primary School, Leeds",
    },
    {
        "kind": "leaver",
        "upn": "Q801200005002",
        "first_name": "Oliver",
        "last_name": "Price",
        "date_of_birth": "14/11/2012",
        "sex": "M",
        "event_date": "17/10/2025",
        "deletion_ground": "a",
        "destination_laestab": "8014001",
        "destination_school": "Oak Hill Academy",
    },
    {
        "kind": "part_time",
        "upn": "",
        "first_name": "Lily",
        "last_name": "Evans",
        "date_of_birth": "02/06/2016",
        "sex": "F",
        "event_date": "06/10/2025",
        "hours_per_week": "15",
        "reason": "Phased return after a long illness",
        "review_date": "01/12/2025",
        "agreed_with_parents": "yes",
    },
    {
        "kind": "absence",
        "first_name": "Noah",
        "last_name": "Williams",
        "date_of_birth": "30/01/2013",
        "sex": "M",
        "event_date": "03/11/2025",
        "address": "4 Mill Lane, Keynsham",
        "postcode": "BS31 1AA",
        "contact_attempted": "Phoned both parents on 4 and 5 November; letter sent; home visit on 6 November",
        "concerns": "Younger sibling also absent",
    },
    {
        "kind": "independent_admission",
        "first_name": "Freya",
        "last_name": "Jones",
        "date_of_birth": "09/09/2011",
        "sex": "F",
        "event_date": "08/09/2025",
        "address": "The Old Rectory, Church Road, Bath",
        "postcode": "BA2 6AA",
        "parent_name": "Tom Jones",
        "parent_phone": "07700 900456",
    },
)


def template_csv() -> str:
    """The header row and one example row for each notice type, every one valid. Serve it encoded as
    'utf-8-sig' so that Excel opens it as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for example in _EXAMPLES:
        writer.writerow([example.get(name, "") for name in CSV_COLUMNS])
    return out.getvalue()


_HINTS = {
    "kind": "One of: " + ", ".join(f"{kind.value} ({kind.label})" for kind in NoticeKind) + ".",
    "upn": "13 characters: the check letter, then 11 numbers, then a number or a letter. Give it if the pupil has one.",
    "date_of_birth": "A date, like 27/03/2015 or 2015-03-27.",
    "sex": "F (female), M (male) or U (not known). Female and male are accepted too. Leave it empty if not known.",
    "year_group": "R (Reception) or a number, like 7. It must match the date of birth.",
    "event_date": "A date, like 03/09/2025. Its meaning depends on the notice type: "
    + "; ".join(f"{kind.value}: {label.lower()}" for kind, label in EVENT_DATE_LABEL.items())
    + ". It cannot be in the future, except the start of a part-time timetable.",
    "postcode": "A UK postcode, like BA1 1JG.",
    "parent_phone": "A phone number. A number Excel stripped of its leading 0 is put right.",
    "deletion_ground": "The ground for removal under regulation 9(1) of the 2024 regulations, a letter from a to o:",
    "destination_laestab": "The next school's LAESTAB: 7 digits, the LA code and then the establishment number, "
    f"like 8014001. {DESTINATION_UNKNOWN} if the next school is not known, {DESTINATION_OUT_OF_SCOPE} if the pupil "
    "has left for the independent sector, abroad or elsewhere outside England's maintained schools. Needed for "
    "grounds a and d.",
    "new_address": "Needed for ground g.",
    "enquiries_made": "The reasonable enquiries the school and the authority made. Needed for grounds h and i.",
    "hours_per_week": "A number more than 0 and less than 32.5, like 15 or 12.5.",
    "review_date": "A date after the start date, like 01/12/2025.",
    "agreed_with_parents": "yes or no.",
}


def _guide() -> str:
    lines = [
        "Notices CSV: how to fill it in",
        "",
        "One notice a row. The first row names the columns, as in the template: any order, any case. Columns you",
        "do not need may be left out, except kind, first_name, last_name, date_of_birth and event_date.",
        "In Excel, save the file as CSV UTF-8 (Comma delimited); plain CSV works too.",
        "Dates may be written 03/09/2025 (day first) or 2025-09-03.",
        f"Up to {MAX_ROWS:,} notices a file. Nothing is stored until you have checked the preview and confirmed.",
        "",
        "Columns:",
    ]
    for name, label in FIELD_LABELS.items():
        if name in REQUIRED_COLUMNS:
            needed = "required for every notice"
        else:
            kinds = [kind.value for kind, names in REQUIRED_BY_KIND.items() if name in names]
            needed = f"required for {', '.join(kinds)}" if kinds else "optional"
        lines.append(f"  {name} ({label}): {needed}.")
        if name in _HINTS:
            lines.append(
                textwrap.fill(
                    _HINTS[name], 110, initial_indent="    ", subsequent_indent="    ", break_on_hyphens=False
                )
            )
        if name == "deletion_ground":
            for ground in GROUNDS.values():
                needs = f" (needs {', '.join(ground.needs)})" if ground.needs else ""
                lines.append(f"      {ground.code}  {ground.label}{needs}")
    return "\n".join(lines) + "\n"


CSV_GUIDE = _guide()
