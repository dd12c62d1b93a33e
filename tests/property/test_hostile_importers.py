"""The importers, fed random and hostile files: each either reads the rows or reports what is wrong with them, in
words; none raises anything but its own refusal; and a refused file leaves the database as it was."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from shared.clock import utcnow
from shared.importers import attendance_csv, gias
from shared.importers.attendance_checked import FileRejected
from shared.importers.ctf import parse_ctf
from shared.importers.notices_csv import Preview, parse_notices_csv
from shared.models import AttendancePupil, AttendanceWeek, AuditEvent, NoticeUpload, School, SchoolNotice
from shared.services import attendance as attendance_service
from shared.services import schools as school_service
from shared.services import uploads as upload_service
from tests.property.strategies import cheap, date_text, hostile_text
from tests.shared.test_attendance_import import AMIRA, CALENDAR, HEADER, MONDAY, PRESENT_WEEK, SCHOOLS, lines

FIXTURES = Path(__file__).parent.parent / "fixtures"
TODAY = date(2026, 12, 3)


def mangle(data, header: list[str], rows: list[list[str]], dates: tuple[str, ...] = ()) -> list[list[str]]:
    """Rows with some cells swapped for hostile values (dates for malformed dates), some rows cut or stretched."""
    out = []
    for row in rows:
        row = [
            (data.draw(date_text()) if name in dates else data.draw(hostile_text()))
            if data.draw(st.integers(0, 3)) == 0
            else cell
            for name, cell in zip(header, row, strict=False)
        ]
        cut = data.draw(st.integers(-2, 1))
        out.append(row[:cut] if cut < 0 else row + ["extra"] * cut)
    return out


def as_csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


RAW = st.one_of(
    st.binary(max_size=3000),
    st.sampled_from(
        [
            b"",
            b"\xef\xbb\xbf",
            b"\xff\xfe" + "a,b\r\n".encode("utf-16-le"),
            b"PK\x03\x04" + b"\x00" * 100,
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # an old Excel workbook
            b'"unclosed,quote\r\nmore',
            b"\x00" * 1000,
            b"a;b;c\r\n1;2;3",
            b"a\tb\tc\r\n1\t2\t3",
            b"\r\n" * 500,
        ]
    ),
)


def encoded(data, text: str) -> bytes:
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "cp1252", "utf-16"]), label="encoding")
    return text.encode(encoding, "replace")


def has_messages(problems) -> None:
    for problem in problems:
        assert str(problem.message).strip(), f"a problem without words: {problem!r}"


# The notices CSV --------------------------------------------------------------------------------------------------

NOTICES = list(csv.reader(io.StringIO((FIXTURES / "notices_sample.csv").read_text("utf-8-sig"), newline="")))
NOTICE_DATES = ("date_of_birth", "event_date", "review_date")


def hostile_notices_csv(data) -> bytes:
    if data.draw(st.integers(0, 4)) == 0:
        return data.draw(RAW)
    header, *rows = NOTICES
    if data.draw(st.integers(0, 4)) == 0:
        header = [data.draw(hostile_text(huge=False)) if data.draw(st.booleans()) else name for name in header]
    return encoded(data, as_csv([header, *mangle(data, header, rows, NOTICE_DATES)]))


@given(data=st.data())
@cheap(40)
def test_a_hostile_csv_of_notices_is_read_into_notices_and_problems_in_words(data):
    preview = parse_notices_csv(hostile_notices_csv(data), TODAY)
    assert isinstance(preview, Preview)
    has_messages(preview.problems)


# The Common Transfer File -----------------------------------------------------------------------------------------

CTF = (FIXTURES / "ctf_leavers.xml").read_text("utf-8")
ATTACKS = [
    (FIXTURES / "ctf_xxe.xml").read_bytes(),
    (FIXTURES / "ctf_bomb.xml").read_bytes(),
    b'<?xml version="1.0"?><!DOCTYPE CTfile SYSTEM "http://example.com/ctf.dtd"><CTfile/>',
    b'<?xml version="1.0"?><!DOCTYPE CTfile [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><CTfile/>',
    b'<?xml version="1.0"?><!DOCTYPE CTfile [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    b"<CTfile><Header>&b;</Header></CTfile>",
    b'<?xml version="1.0"?><?xml-stylesheet href="javascript:alert(1)"?><CTfile/>',
    b'<?xml version="1.0" encoding="UTF-7"?><CTfile/>',
    b"<CTfile>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</CTfile>",
    b"<CTfile " + b" ".join(b'a%d="x"' % n for n in range(2000)) + b"/>",
    b'<x:CTfile xmlns:x="urn:evil"><x:Header/></x:CTfile>',
    b"<CTfile><![CDATA[<script>alert(1)</script>]]></CTfile>",
    b"<html><script>alert(1)</script></html>",
]


def hostile_ctf(data) -> bytes:
    shape = data.draw(st.sampled_from(["text", "text", "raw text", "attack", "bytes"]), label="shape")
    if shape == "attack":
        return data.draw(st.sampled_from(ATTACKS))
    if shape == "bytes":
        return data.draw(RAW)
    pieces = CTF.split(">")
    for index in range(len(pieces)):
        text, close, rest = pieces[index].partition("</")
        if close and text and data.draw(st.integers(0, 3)) == 0:
            value = data.draw(date_text() if "Date" in rest else hostile_text())
            pieces[index] = (escape(value) if shape == "text" else value) + close + rest
    return ">".join(pieces).encode("utf-8", "surrogatepass")


@given(data=st.data())
@cheap(40)
def test_a_hostile_common_transfer_file_is_read_into_notices_and_problems_in_words(data):
    ground = data.draw(st.sampled_from(["", "h", "i", "k"]) | hostile_text(huge=False))
    preview = parse_ctf(hostile_ctf(data), TODAY, ground, {"enquiries_made": data.draw(hostile_text(huge=False))})
    assert isinstance(preview, Preview)
    has_messages(preview.problems)


def test_files_that_declare_entities_are_refused_unread():
    for attack in ATTACKS[:5]:
        [problem] = parse_ctf(attack, TODAY).problems
        assert "entities" in problem.message or "not read" in problem.message or "Common Transfer" in problem.message


@given(data=st.data())
@cheap(25)
def test_a_refused_upload_of_notices_keeps_nothing(app, db, users, school, data):
    user = users["school"]
    before = [db.scalar(select(func.count()).select_from(model)) for model in (NoticeUpload, SchoolNotice, AuditEvent)]
    body = hostile_notices_csv(data) if data.draw(st.booleans()) else hostile_ctf(data)
    name = data.draw(st.sampled_from(["notices.csv", "leavers.xml", "x.xlsx", ""]) | hostile_text(huge=False))
    try:
        upload = upload_service.store_upload(db, school, user, name, body, utcnow(), TODAY, {"ground": "h"})
    except upload_service.UploadRefused as refused:
        db.rollback()
        assert refused.messages and all(str(message).strip() for message in refused.messages)
        after = [
            db.scalar(select(func.count()).select_from(model)) for model in (NoticeUpload, SchoolNotice, AuditEvent)
        ]
        assert after == before, "a refused file leaves nothing behind"
    else:
        assert upload.reference and upload.size == len(body)
        preview = upload_service.preview_upload(db, upload, TODAY)
        has_messages(preview.problems)


# The GIAS register of schools -------------------------------------------------------------------------------------

GIAS = list(csv.reader(io.StringIO((FIXTURES / "gias_sample.csv").read_bytes().decode("cp1252"), newline="")))


def hostile_gias(data) -> bytes:
    if data.draw(st.integers(0, 4)) == 0:
        return data.draw(RAW)
    header, *rows = GIAS
    dates = tuple(name for name in header if name.endswith("Date"))
    return encoded(data, as_csv([header, *mangle(data, header, rows[:4], dates)]))


@given(data=st.data())
@cheap(25)
def test_a_hostile_register_of_schools_is_stored_whole_or_refused_in_words_leaving_the_register_as_it_was(db, data):
    body = hostile_gias(data)
    before = list(db.execute(select(School.urn, School.name, School.postcode).order_by(School.urn)))
    events = db.scalar(select(func.count()).select_from(AuditEvent))
    try:
        school_service.import_schools(db, gias.read_establishments(io.BytesIO(body)), actor_label="property test")
    except gias.GiasError as error:
        assert str(error).strip()
        for problem in error.problems:
            assert str(problem).strip()
        assert list(db.execute(select(School.urn, School.name, School.postcode).order_by(School.urn))) == before
        assert db.scalar(select(func.count()).select_from(AuditEvent)) == events
    else:
        assert db.scalar(select(func.count()).select_from(AuditEvent)) == events + 1


# Attendance marks -------------------------------------------------------------------------------------------------

ATTENDANCE = [HEADER.split(","), *(line.split(",") for line in lines(AMIRA, MONDAY, PRESENT_WEEK))]


def hostile_attendance(data) -> bytes:
    if data.draw(st.integers(0, 4)) == 0:
        return data.draw(RAW)
    header, *rows = ATTENDANCE
    if data.draw(st.integers(0, 5)) == 0:
        header = [data.draw(hostile_text(huge=False)) if data.draw(st.booleans()) else name for name in header]
    return encoded(data, as_csv([header, *mangle(data, header, rows, ("DOB", "Date"))]))


@given(data=st.data())
@cheap(60)
def test_a_hostile_attendance_file_is_read_or_refused_in_words(data):
    try:
        checked = attendance_csv.read_attendance(
            hostile_attendance(data), schools=SCHOOLS, calendar=CALENDAR, today=TODAY
        )
    except FileRejected as refused:
        assert str(refused).strip()
    else:
        has_messages(checked.problems)
        assert checked.problem_count >= len(checked.problems)


@given(data=st.data())
@cheap(25)
def test_a_refused_attendance_import_writes_no_mark(db, school, data):
    counts = [
        db.scalar(select(func.count()).select_from(model)) for model in (AttendancePupil, AttendanceWeek, AuditEvent)
    ]
    try:
        checked = attendance_service.check_file(db, hostile_attendance(data), calendar=CALENDAR, today=TODAY)
        attendance_service.import_marks(
            db, checked, actor=None, actor_label="property test", skip_bad_lines=False, today=TODAY, calendar=CALENDAR
        )
    except FileRejected as refused:
        assert str(refused).strip()
    except attendance_service.ImportRefused:
        pass
    else:
        return  # a file that was good enough: imported whole
    db.rollback()
    after = [
        db.scalar(select(func.count()).select_from(model)) for model in (AttendancePupil, AttendanceWeek, AuditEvent)
    ]
    assert after == counts, "a refused file writes nothing"
