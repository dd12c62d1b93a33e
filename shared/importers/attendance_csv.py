"""A CSV file of attendance marks (one row per pupil per session, described in docs/attendance-file.md), read as a
stream and checked: nothing here touches the database.

A medium authority's term is 6.5 million rows, so the reading is built for speed and memory: `csv.reader` with the
columns found by position, every value that needs checking (school, UPN, dates, session, code) checked once per
distinct string and remembered, and the marks written straight into one `bytearray` of ten bytes a pupil-week
(the symbols of `shared.domain.attendance`), found through a dict keyed (school id, UPN, Monday). No dict or
object is made per row.

A file that cannot be read through (empty, not CSV, another delimiter, not UTF-8 or Windows-1252, columns missing,
cut short) raises `FileRejected` with one message (attendance_layout.py). Anything wrong with a line is a `MarkProblem`
naming the line (the header is line 1; a value in double quotes may span lines), the field and what is wrong; the
line's marks are left out (attendance_lines.py). Every problem is counted; the first `MAX_PROBLEMS` are kept
(attendance_checked.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from typing import BinaryIO

from shared.domain.school_days import SchoolCalendar
from shared.importers.attendance_checked import CheckedFile, SchoolLookup
from shared.importers.attendance_layout import detect_encoding
from shared.importers.attendance_lines import LineReader


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
    encoding = detect_encoding(stream)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        reader = LineReader(schools, calendar, today, allowed_school_ids)
        return reader.read(csv.reader(text, strict=True), progress)
    finally:
        text.detach()  # the caller's stream stays open
