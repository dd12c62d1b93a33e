"""The establishment CSV from Get Information About Schools (GIAS), read as a stream of validated rows.

The national file has about 139 columns and 51,000 rows; only the columns the schools register keeps are read.
It is Windows-1252 in practice, so UTF-8 (with or without a byte order mark) is tried first and Windows-1252 is
the fallback."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, BinaryIO

from shared.domain.postcode import InvalidPostcode, normalise_postcode
from shared.domain.problems import LineProblem

MAX_PROBLEMS = 20  # after this many bad rows the file is plainly not usable: stop reading
_CHUNK = 1 << 20
_DATE = re.compile(r"^(\d{2})[-/](\d{2})[-/](\d{4})$")  # Excel re-saves dd-mm-yyyy as dd/mm/yyyy


@dataclass(frozen=True, slots=True)
class Establishment:
    """One row of the file, in the School model's terms (the field names are the model's)."""

    urn: int
    la_code: str
    establishment_number: str | None
    name: str
    establishment_type: str
    type_group: str
    status: str
    phase: str
    statutory_low_age: int | None
    statutory_high_age: int | None
    street: str | None
    town: str | None
    postcode: str | None
    open_date: date | None
    close_date: date | None


FIELDS = tuple(field.name for field in fields(Establishment))


class GiasError(ValueError):
    """A file that cannot be imported. The message names every problem found (up to MAX_PROBLEMS)."""

    def __init__(self, summary: str, problems: list[LineProblem] | None = None):
        self.summary = summary
        self.problems = problems or []
        super().__init__("\n".join([summary, *(str(problem) for problem in self.problems)]))


class _Bad(ValueError):
    pass


def _shown(value: str) -> str:
    return f"'{value}'" if len(value) <= 40 else f"'{value[:40]}...'"


def _text(max_length: int, required: bool) -> Callable[[str], str | None]:
    def parse(value: str) -> str | None:
        if not value:
            if required:
                raise _Bad("is empty")
            return None
        if len(value) > max_length:
            raise _Bad(f"is longer than {max_length} characters")
        return value

    return parse


def _urn(value: str) -> int:
    if not re.fullmatch(r"\d{1,8}", value) or int(value) == 0:
        raise _Bad(f"must be a number, like 100000, not {_shown(value)}" if value else "is empty")
    return int(value)


def _la_code(value: str) -> str:
    if not re.fullmatch(r"\d{3}", value):
        raise _Bad(f"must be 3 digits, like 201, not {_shown(value)}" if value else "is empty")
    return value


def _establishment_number(value: str) -> str | None:
    if not value:
        return None
    if not re.fullmatch(r"\d{1,4}", value):
        raise _Bad(f"must be up to 4 digits, like 2101, not {_shown(value)}")
    return value.zfill(4)  # a spreadsheet may have dropped the leading zeros


def _age(value: str) -> int | None:
    if not value:
        return None
    if not re.fullmatch(r"\d{1,2}", value):
        raise _Bad(f"must be an age in whole years, like 11, not {_shown(value)}")
    return int(value)


def _date(value: str) -> date | None:
    if not value:
        return None
    match = _DATE.match(value)
    try:
        if not match:
            raise ValueError
        day, month, year = (int(part) for part in match.groups())
        return date(year, month, day)
    except ValueError:
        raise _Bad(f"must be a date written dd-mm-yyyy, like 01-09-2015, not {_shown(value)}") from None


def _postcode(value: str) -> str | None:
    if not value:
        return None
    try:
        return normalise_postcode(value)
    except InvalidPostcode:
        # British schools overseas have foreign postal codes: kept as written when the register has room.
        return value.upper() if len(value) <= 8 else None


# The School field each column fills, and how its text is read. Every one is required in the header: a file
# without, say, Postcode would otherwise blank every school's postcode on update.
COLUMNS: dict[str, tuple[str, Callable[[str], object]]] = {
    "URN": ("urn", _urn),
    "LA (code)": ("la_code", _la_code),
    "EstablishmentNumber": ("establishment_number", _establishment_number),
    "EstablishmentName": ("name", _text(200, required=True)),
    "TypeOfEstablishment (name)": ("establishment_type", _text(100, required=True)),
    "EstablishmentTypeGroup (name)": ("type_group", _text(100, required=True)),
    "EstablishmentStatus (name)": ("status", _text(60, required=True)),
    "OpenDate": ("open_date", _date),
    "CloseDate": ("close_date", _date),
    "PhaseOfEducation (name)": ("phase", _text(60, required=True)),
    "StatutoryLowAge": ("statutory_low_age", _age),
    "StatutoryHighAge": ("statutory_high_age", _age),
    "Street": ("street", _text(200, required=False)),
    "Town": ("town", _text(100, required=False)),
    "Postcode": ("postcode", _postcode),
}


def detect_encoding(stream: BinaryIO) -> str:
    """'utf-8-sig' if the whole stream is UTF-8 (a byte order mark is allowed), else 'cp1252'. Reads the
    stream through in chunks and leaves it at the start."""
    start = stream.read(4)
    if start.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # .xlsx, .xls
        raise GiasError("The file is an Excel workbook, not a CSV file: download the CSV from GIAS again")
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise GiasError("The file is UTF-16 text: save it as CSV UTF-8, or download the CSV from GIAS again")
    stream.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        stream.seek(0)
        _check_cp1252(stream)
        encoding = "cp1252"
    stream.seek(0)
    return encoding


def _check_cp1252(stream: BinaryIO) -> None:
    # Five bytes mean nothing in Windows-1252: a file holding one is in some other encoding, or is not text.
    lines_before = 0
    while chunk := stream.read(_CHUNK):
        try:
            chunk.decode("cp1252")
        except UnicodeDecodeError as error:
            line = lines_before + chunk.count(b"\n", 0, error.start) + 1
            raise GiasError(
                f"Line {line}: the file is not UTF-8 or Windows-1252 text (it has the byte "
                f"0x{chunk[error.start]:02X}): download the CSV from GIAS again"
            ) from None
        lines_before += chunk.count(b"\n")


def _header_positions(header: list[str]) -> dict[str, int]:
    names = [name.strip() for name in header]
    missing = [column for column in COLUMNS if column not in names]
    if missing:
        raise GiasError(
            "The file is not a GIAS establishment CSV: it has no "
            + ("column " if len(missing) == 1 else "columns ")
            + ", ".join(f"'{column}'" for column in missing)
        )
    return {column: names.index(column) for column in COLUMNS}


def read_establishments(stream: BinaryIO) -> Iterator[Establishment]:
    """Each establishment in a seekable binary stream of the GIAS CSV, in file order.

    Raises GiasError for a file that is not the establishment CSV (before any row), and, once the file has been
    read through, for bad rows: no row is yielded after the first bad one, so a caller that stores the rows in
    one transaction and lets the error roll it back stores nothing from a bad file."""
    encoding = detect_encoding(stream)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    reader = csv.reader(text)
    problems: list[LineProblem] = []
    try:
        header = next(reader, None)
        if header is None:
            raise GiasError("The file is empty")
        positions = _header_positions(header)
        width = len(header)
        first_line: dict[int, int] = {}
        end_of_previous = reader.line_num
        for record in reader:
            line = end_of_previous + 1  # where the record starts: a quoted value may span lines
            end_of_previous = reader.line_num
            if not any(value.strip() for value in record):
                continue  # blank lines, or a row of empty cells a spreadsheet left behind
            row, row_problems = _establishment(record, line, width, positions)
            if row is not None and row.urn in first_line:
                row_problems.append(LineProblem(line, "URN", f"{row.urn} is already on line {first_line[row.urn]}"))
            if row_problems or row is None:
                problems.extend(row_problems)
                if len(problems) >= MAX_PROBLEMS:
                    break
                continue
            first_line[row.urn] = line
            if not problems:
                yield row
    except UnicodeDecodeError:  # only if the file changed after its encoding was checked
        raise GiasError("The file is not readable as UTF-8 or Windows-1252 text") from None
    except csv.Error as error:
        raise GiasError(f"Line {reader.line_num}: the file is not a readable CSV file ({error})") from None
    finally:
        text.detach()  # the caller owns the stream: do not close it
    if problems:
        shown = problems[:MAX_PROBLEMS]
        count = f"{len(shown)} problem" + ("s" if len(shown) > 1 else "")
        if len(problems) >= MAX_PROBLEMS:
            raise GiasError(f"The file has {count} or more (reading stopped there):", shown)
        raise GiasError(f"The file has {count}:", shown)


def _establishment(
    record: list[str], line: int, width: int, positions: dict[str, int]
) -> tuple[Establishment | None, list[LineProblem]]:
    if len(record) != width:
        return None, [LineProblem(line, None, f"has {len(record)} values but the header has {width} columns")]
    values: dict[str, Any] = {}
    problems = []
    for column, (field, parse) in COLUMNS.items():
        value = record[positions[column]].strip()
        try:
            if "\x00" in value:
                raise _Bad("has a NUL character in it")  # PostgreSQL cannot store one
            values[field] = parse(value)
        except _Bad as bad:
            problems.append(LineProblem(line, column, str(bad)))
    if problems:
        return None, problems
    return Establishment(**values), []
