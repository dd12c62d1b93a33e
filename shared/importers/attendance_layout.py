"""An attendance file as a whole, before its lines: its encoding, its header row (which columns are where), and the
one message for a file that cannot be read through (not CSV, another delimiter, cut short)."""

from __future__ import annotations

import codecs
import csv
from typing import BinaryIO

from shared.importers.attendance_checked import FileRejected

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

_CHUNK = 1 << 20


def detect_encoding(stream: BinaryIO) -> str:
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


def unreadable(error: csv.Error, line: int, reached: int) -> FileRejected:
    """A line the csv module cannot read: a file cut short in a quoted value, or one that is not CSV there."""
    reason = str(error)
    if reason.startswith("unexpected end of data"):
        return cut_short(line, "it ends in the middle of a value in double quotes")
    for known, meaning in _CSV_ERRORS.items():
        if reason.startswith(known):
            reason = meaning
    return FileRejected(f"Line {reached:,} cannot be read as CSV ({reason}), so nothing was imported")


_CSV_ERRORS = {
    "',' expected after '\"'": "a double quote inside a value in double quotes must be written twice",
    "field larger than field limit": "a value is far too long",
}


def cut_short(line: int, how: str) -> FileRejected:
    return FileRejected(
        f"The file looks cut short: {how} (line {line:,}), so nothing was imported. Save or export the whole file "
        "again and upload it"
    )


def blank(cell: str) -> bool:
    return not cell.strip()


def _column(cell: str) -> str:
    return "".join(cell.lstrip("\ufeff").split()).lower()


def header_columns(cells: list[str], line: int) -> dict[str, int]:
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
