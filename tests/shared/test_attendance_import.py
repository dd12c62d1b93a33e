"""Attendance files: read and checked as a stream (a whole file refused with one message, a bad line named with its
field), then imported in one transaction that replaces a school's marks on the file's dates, keeps the weekly
rollups and each pupil's runs of unexplained absence, and raises one alert per long run."""

from __future__ import annotations

import codecs
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from shared.domain.attendance import Run
from shared.domain.school_days import SchoolCalendar, parse_term_dates
from shared.importers import attendance_lines
from shared.importers.attendance_checked import CheckedFile, FileRejected, MarkProblem, SchoolLookup
from shared.importers.attendance_csv import read_attendance
from shared.models import (
    AttendanceAlert,
    AttendanceImport,
    AttendancePupil,
    AttendanceSchoolWeek,
    AttendanceWeek,
    AuditEvent,
    Child,
    School,
)
from shared.services import attendance as service
from tests.conftest import calendar_of

TERM_DATES = Path(__file__).resolve().parents[2] / "shared" / "data" / "term_dates.csv"
CALENDAR = SchoolCalendar(parse_term_dates(TERM_DATES.read_text(encoding="utf-8-sig")))
TODAY = date(2026, 12, 3)
HEADER = "URN,UPN,Surname,Forename,DOB,Date,Session,Code"
MONDAY = date(2026, 9, 7)  # a whole week in the autumn term 2026
NEXT_MONDAY = date(2026, 9, 14)
SCHOOLS = SchoolLookup(
    by_urn={990101: 1, 990102: 2},
    by_laestab={"9992101": 1, "9992102": 2},
    names={1: "Millfield Primary School (URN 990101)", 2: "Riverside Junior School (URN 990102)"},
)

AMIRA = ("N999210126001", "Khan", "Amira", "2015-03-27")
OLIVER = ("C999210126002", "Price", "Oliver", "2014-11-14")
LILY = ("R999210126003", "Evans", "Lily", "2016-06-02")


def lines(pupil: tuple[str, str, str, str], start: date, codes: str, urn: int = 990101) -> list[str]:
    """A line per session from the morning of `start`, weekends skipped; `codes` separated by spaces."""
    upn, surname, forename, born = pupil
    out, day = [], start
    for index, code in enumerate(codes.split()):
        if index and index % 2 == 0:
            day += timedelta(days=3 if day.weekday() == 4 else 1)
        out.append(
            f"{urn},{upn},{surname},{forename},{born},{day.isoformat()},{'AM' if index % 2 == 0 else 'PM'},{code}"
        )
    return out


def csv_file(*rows: str | list[str], header: str = HEADER) -> bytes:
    flat = [row for group in rows for row in ([group] if isinstance(group, str) else group)]
    return ("\r\n".join([header, *flat]) + "\r\n").encode()


def read(data: bytes, **options) -> CheckedFile:
    return read_attendance(data, schools=SCHOOLS, calendar=CALENDAR, today=TODAY, **options)


def problems(checked) -> list[tuple[int, str | None, str]]:
    return [(problem.line, problem.field, problem.message) for problem in checked.problems]


PRESENT_WEEK = "/ \\ / \\ / \\ / \\ / \\"


# Reading and checking ---------------------------------------------------------------------------------------------


def test_a_file_is_read_into_pupil_weeks_whatever_excel_did_to_it():
    text = (
        "\ufeff urn ,UPN,surname,Forename, dob ,DATE,session,code,,\r\n"
        "990101,N999210126001,Khan,Amira,27/03/2015,07/09/2026,am,/,,\r\n"
        "990101,N999210126001,Khan,Amira,27/03/2015,07/09/2026,pm,\\,,\r\n"
        ",,,,,,,,,\r\n"
        "\r\n"
        '990101,="C999210126002",Price,Oliver,2014-11-14 00:00,2026-09-11,PM,n,,\r\n'
        "990101,'C999210126002,Price,Oliver,2014-11-14,2026-09-14,AM,y1,,\r\n"
    )

    checked = read(text.encode("utf-8"))

    assert problems(checked) == []
    assert list(checked.week_marks()) == [
        (1, "N999210126001", MONDAY, "/\\........"),
        (1, "C999210126002", MONDAY, ".........N"),
        (1, "C999210126002", NEXT_MONDAY, "a........."),
    ]
    assert checked.pupils == {
        "N999210126001": ("Khan", "Amira", date(2015, 3, 27)),
        "C999210126002": ("Price", "Oliver", date(2014, 11, 14)),
    }
    assert checked.spans == {1: (MONDAY, NEXT_MONDAY)}
    assert (checked.lines, checked.rows, checked.mark_count, checked.problem_count) == (7, 4, 4, 0)
    assert (checked.first_date, checked.last_date) == (MONDAY, NEXT_MONDAY)


def test_windows_1252_names_columns_in_any_order_and_laestab_for_the_school():
    data = csv_file(
        "M,AM,2026-09-07,2015-03-27,Zoë,Khan,N999210126001,999/2101",
        header="Code,Session,Date,DOB,Forename,Surname,UPN,LAESTAB",
    )

    checked = read(data.decode().encode("cp1252"))

    assert problems(checked) == []
    assert list(checked.week_marks()) == [(1, "N999210126001", MONDAY, "M.........")]
    assert checked.pupils["N999210126001"] == ("Khan", "Zoë", date(2015, 3, 27))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"\r\n  \r\n", "The file is empty"),
        (
            b"PK\x03\x04 a workbook",
            "The file is an Excel workbook, not a CSV file: in Excel, use Save As and choose CSV UTF-8",
        ),
        (
            codecs.BOM_UTF16_LE + HEADER.encode("utf-16-le"),
            "The file is UTF-16 text (Excel calls it Unicode Text), not UTF-8 or Windows-1252: save it as CSV UTF-8",
        ),
        (
            csv_file("990101,N999210126001,Kh\x81an,Amira,2015-03-27,2026-09-07,AM,/").replace(b"\xc2\x81", b"\x81"),
            "The file is not UTF-8 or Windows-1252 text (line 2 has a character that is neither): save it as CSV UTF-8",
        ),
        (
            csv_file("990101;N999210126001;Khan;Amira;2015-03-27;2026-09-07;AM;/", header=HEADER.replace(",", ";")),
            "The file uses semicolons between values: save it as comma-separated (CSV)",
        ),
        (
            csv_file(
                "990101\tN999210126001\tKhan\tAmira\t2015-03-27\t2026-09-07\tAM\t/", header=HEADER.replace(",", "\t")
            ),
            "The file uses tabs between values: save it as comma-separated (CSV)",
        ),
        (
            csv_file(
                "990101,N999210126001,Khan,Amira,2015-03-27,2026-09-07", header="URN,UPN,Surname,Forename,DOB,Date"
            ),
            "The header row (line 1) is missing the columns Session and Code",
        ),
        (
            csv_file(
                "N999210126001,Khan,Amira,2015-03-27,2026-09-07,AM,/",
                header="UPN,Surname,Forename,DOB,Date,Session,Code",
            ),
            "The header row (line 1) is missing the column URN or LAESTAB",
        ),
        (
            csv_file("1,2", header="Name,Value"),
            "The first line of the file (line 1) must name the columns: URN or LAESTAB, UPN, Surname, Forename, DOB, "
            "Date, Session and Code",
        ),
        (csv_file(header=HEADER + ",UPN"), "The header row (line 1) has the column UPN twice"),
        (csv_file(), "The file has a header row but no attendance marks below it"),
        (
            csv_file(lines(AMIRA, MONDAY, "/")) + b"990101,N999210126001,Khan,Amira,2015-03",
            "The file looks cut short: its last line has 5 of the 8 values the header names (line 3), so nothing was "
            "imported. Save or export the whole file again and upload it",
        ),
        (
            csv_file(lines(AMIRA, MONDAY, "/"), '990101,N999210126001,"Khan,Amira'),
            "The file looks cut short: it ends in the middle of a value in double quotes (line 3), so nothing was "
            "imported. Save or export the whole file again and upload it",
        ),
        (
            csv_file('990101,N999210126001,"Khan"x,Amira,2015-03-27,2026-09-07,AM,/'),
            "Line 2 cannot be read as CSV (a double quote inside a value in double quotes must be written twice), so "
            "nothing was imported",
        ),
    ],
)
def test_a_file_that_cannot_be_imported_is_refused_with_one_message(data, message):
    with pytest.raises(FileRejected) as refused:
        read(data)
    assert str(refused.value) == message


def test_every_problem_on_a_line_is_named_with_its_line_and_field():
    data = csv_file(
        "990101,N999210126001,Khan,Amira,2015-03-27,2026-09-07,AM,ZZ",
        "990101,A999210126001,Khan,Amira,2015-03-27,2026-09-07,AM,/",
        "990101,N99921012600,Khan,Amira,2015-03-27,2026-09-07,AM,/",
        "990101,N999210126001,Khan,Amira,2015-03-27,31/02/2026,AM,/",
        "990101,N999210126001,Khan,Amira,2015-03-27,2026-09-12,AM,/",
        "990101,N999210126001,Khan,Amira,2015-03-27,2026-08-10,AM,/",
        "990101,N999210126001,Khan,Amira,2015-03-27,2026-09-07,EV,/",
        "123456,N999210126001,Khan,Amira,2015-03-27,2026-09-07,AM,/",
        "990101,C999210126002,Price,Oliver,2030-01-01,2026-09-07,AM,/",
        "990101,C999210126002,Price,Oliver,someday,2026-09-07,AM,/",
        "990101,R999210126003,,,2016-06-02,2026-09-07,AM,/",
        "990101,R999210126003,Evans,Lily,2016-06-02,2026-09-07,AM,",
        ",R999210126003,Evans,Lily,2016-06-02,2026-09-07,PM,/",
        "990101,R999210126003,Evans,Lily,2016-06-02,2026-09-08,AM,/,extra",
        "990101,R999210126003,Evans,Lily",
        "990101,R999210126003,Evans,Lily,2016-06-02,2026-09-08,PM,\\",
    )

    checked = read(data)

    assert problems(checked) == [
        (2, "Code", "Code 'ZZ' is not an attendance code"),
        (3, "UPN", "UPN 'A999210126001' is not valid: its check letter is wrong: check it has been copied correctly"),
        (4, "UPN", "UPN 'N99921012600' is not valid: a UPN is 13 characters"),
        (5, "Date", "Date '31/02/2026' is not a date: write it like 2026-09-14 or 14/09/2026"),
        (6, "Date", "Date 2026-09-12 is a Saturday, not a weekday"),
        (7, "Date", "Date 2026-08-10 is outside the authority's term dates"),
        (8, "Session", "Session 'EV' must be AM or PM"),
        (9, "URN", "No school with URN 123456 is in the schools register"),
        (10, "DOB", "DOB 2030-01-01 is in the future"),
        (11, "DOB", "DOB 'someday' is not a date: write it like 2015-03-27 or 27/03/2015"),
        (12, "Surname", "Surname is missing"),
        (12, "Forename", "Forename is missing"),
        (13, "Code", "Code is missing"),
        (14, "URN", "The school's URN or LAESTAB is missing"),
        (
            15,
            None,
            "This line has 9 values but the header row names 8: check for a stray comma, and put values that have "
            "commas in them in double quotes",
        ),
        (16, None, "This line has 4 values but the header row names 8"),
    ]
    assert str(checked.problems[0]) == "Line 2: Code 'ZZ' is not an attendance code"
    assert (checked.problem_count, checked.bad_lines, checked.mark_count, checked.rows) == (16, 15, 1, 16)
    assert list(checked.week_marks()) == [(1, "R999210126003", MONDAY, "...\\......")]


def test_a_repeated_session_is_a_problem_whether_its_code_is_the_same_or_not():
    data = csv_file(
        "990101,N999210126001,Khan,Amira,2015-03-27,2026-09-07,AM,/",
        "990101,N999210126001,Khan,Amira,2015-03-27,2026-09-07,AM,/",
        "990101,N999210126001,Khan,Amira,2015-03-27,07/09/2026,am,N",
        "990102,N999210126001,Khan,Amira,2015-03-27,2026-09-07,AM,D",  # the other school of a dual registration
    )

    checked = read(data)

    same = "the same school, UPN, date and session"
    assert problems(checked) == [
        (3, None, f"This line duplicates line 2: {same}"),
        (4, None, f"This line duplicates line 2: {same}"),
    ]
    assert list(checked.week_marks()) == [
        (1, "N999210126001", MONDAY, "/........."),
        (2, "N999210126001", MONDAY, "D........."),
    ]


def test_a_pupil_named_differently_on_two_lines_takes_the_last_lines_details():
    data = csv_file(
        "990101,N999210126001,Khan,Amira,2015-03-27,2026-09-07,AM,/",
        "990101,C999210126002,Price,Oliver,2014-11-14,2026-09-07,AM,/",
        "990101,N999210126001,Khan-Ali,Amira,2015-03-28,2026-09-07,PM,\\",
    )

    checked = read(data)

    assert problems(checked) == []
    assert checked.pupils["N999210126001"] == ("Khan-Ali", "Amira", date(2015, 3, 28))


def test_lines_for_a_school_the_uploader_may_not_import_are_refused():
    data = csv_file(lines(AMIRA, MONDAY, "/"), lines(OLIVER, MONDAY, "/", urn=990102))

    checked = read(data, allowed_school_ids={1})

    assert problems(checked) == [(3, "URN", "You cannot import attendance for Riverside Junior School (URN 990102)")]


def test_urn_and_laestab_that_name_two_schools_are_a_problem():
    data = csv_file(
        "990101,9992102,N999210126001,Khan,Amira,2015-03-27,2026-09-07,AM,/",
        "990101,9992101,N999210126001,Khan,Amira,2015-03-27,2026-09-07,PM,\\",
        header="URN,LAESTAB,UPN,Surname,Forename,DOB,Date,Session,Code",
    )

    checked = read(data)

    assert problems(checked) == [
        (2, "LAESTAB", "URN 990101 and LAESTAB 9992102 are different schools: give one school's")
    ]


def test_every_problem_is_counted_but_only_the_first_thousand_are_kept():
    data = csv_file([f"990101,N999210126001,Khan,Amira,2015-03-27,2026-09-07,AM,Z{n}" for n in range(1005)])

    checked = read(data)

    assert (len(checked.problems), checked.problem_count, checked.bad_lines) == (1000, 1005, 1005)
    assert checked.problems[-1] == MarkProblem(1001, "Code", "Code 'Z999' is not an attendance code")


def test_progress_is_reported_as_lines_are_read(monkeypatch):
    monkeypatch.setattr(attendance_lines, "PROGRESS_EVERY", 2)
    seen = []

    read(csv_file(lines(AMIRA, MONDAY, "/ \\ / \\ /")), progress=seen.append)

    assert seen == [2, 4, 6, 6]


# Importing --------------------------------------------------------------------------------------------------------


@pytest.fixture
def calendar(app):
    return calendar_of(app)


@pytest.fixture
def riverside(db, school):
    return db.scalar(select(School).where(School.urn == 990102))


def check(db, calendar, data: bytes, today: date = TODAY):
    return service.check_file(db, data, calendar=calendar, today=today)


def import_file(db, calendar, data: bytes, *, skip_bad_lines=False, today: date = TODAY, **options):
    checked = check(db, calendar, data, today)
    return service.import_marks(
        db,
        checked,
        actor=None,
        actor_label="test",
        skip_bad_lines=skip_bad_lines,
        today=TODAY,
        calendar=calendar,
        **options,
    )


def weeks(db) -> list[tuple]:
    db.expire_all()
    rows = db.execute(
        select(
            AttendancePupil.upn,
            AttendanceWeek.week_start,
            AttendanceWeek.school_id,
            AttendanceWeek.marks,
            AttendanceWeek.possible,
            AttendanceWeek.present,
            AttendanceWeek.authorised,
            AttendanceWeek.unauthorised,
            AttendanceWeek.unexplained,
        )
        .join(AttendancePupil, AttendancePupil.id == AttendanceWeek.pupil_id)
        .order_by(AttendancePupil.upn, AttendanceWeek.week_start, AttendanceWeek.school_id)
    )
    return [tuple(row) for row in rows]


def school_weeks(db) -> list[tuple]:
    db.expire_all()
    rows = db.execute(
        select(
            AttendanceSchoolWeek.school_id,
            AttendanceSchoolWeek.week_start,
            AttendanceSchoolWeek.pupils,
            AttendanceSchoolWeek.possible,
            AttendanceSchoolWeek.present,
            AttendanceSchoolWeek.authorised,
            AttendanceSchoolWeek.unauthorised,
            AttendanceSchoolWeek.unexplained,
            AttendanceSchoolWeek.term_pupils,
            AttendanceSchoolWeek.term_persistent,
            AttendanceSchoolWeek.term_severe,
        ).order_by(AttendanceSchoolWeek.school_id, AttendanceSchoolWeek.week_start)
    )
    return [tuple(row) for row in rows]


def pupil(db, upn: str) -> AttendancePupil:
    db.expire_all()
    return db.scalar(select(AttendancePupil).where(AttendancePupil.upn == upn))


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


FIRST_FILE = csv_file(
    lines(AMIRA, MONDAY, "/ \\ / \\ I I / \\ N N"),
    lines(OLIVER, MONDAY, "/ \\ L \\"),
)


def test_a_file_is_imported_as_pupil_weeks_with_their_counts_the_schools_week_and_the_pupils_runs(db, calendar, school):
    summary = import_file(db, calendar, FIRST_FILE)

    assert summary == service.ImportSummary(
        schools=1,
        pupils=2,
        marks=14,
        weeks=2,
        first_date=MONDAY,
        last_date=date(2026, 9, 11),
        marks_replaced=0,
        alerts=0,
        lines_skipped=0,
    )
    assert weeks(db) == [
        ("C999210126002", MONDAY, school.id, "/\\L\\......", 4, 4, 0, 0, 0),
        ("N999210126001", MONDAY, school.id, "/\\/\\II/\\NN", 10, 6, 2, 2, 2),
    ]
    # Amira missed 4 of 10 sessions over the term so far: persistently absent, not severely
    assert school_weeks(db) == [(school.id, MONDAY, 2, 14, 10, 2, 2, 2, 2, 1, 0)]
    amira = pupil(db, "N999210126001")
    assert (amira.first_name, amira.last_name, amira.date_of_birth, amira.school_id, amira.child_id) == (
        "Amira",
        "Khan",
        date(2015, 3, 27),
        school.id,
        None,
    )
    assert (amira.last_marked_on, amira.current_run_start, amira.current_run_sessions) == (
        date(2026, 9, 11),
        date(2026, 9, 11),
        2,
    )
    assert (amira.longest_run_start, amira.longest_run_sessions) == (date(2026, 9, 11), 2)
    oliver = pupil(db, "C999210126002")
    assert (oliver.last_marked_on, oliver.current_run_start, oliver.current_run_sessions) == (date(2026, 9, 8), None, 0)
    [event] = db.scalars(select(AuditEvent)).all()
    assert (event.action, event.object_type, event.object_id, event.actor_label) == (
        "import",
        "attendance_import",
        None,
        "test",
    )
    assert event.after == {**service.summary_dict(summary), "imported_on": "2026-12-03"}


def test_importing_the_same_file_again_replaces_its_marks_never_doubles_them(db, calendar, school):
    import_file(db, calendar, FIRST_FILE)
    before = (weeks(db), school_weeks(db))

    again = import_file(db, calendar, FIRST_FILE)

    assert (again.marks, again.weeks, again.marks_replaced) == (14, 2, 14)
    assert (weeks(db), school_weeks(db)) == before
    assert count(db, AttendancePupil) == 2


def test_a_file_for_fewer_dates_replaces_only_those_and_a_pupil_it_leaves_out_loses_only_those(db, calendar, school):
    import_file(
        db,
        calendar,
        csv_file(
            lines(AMIRA, MONDAY, PRESENT_WEEK + " " + PRESENT_WEEK),
            lines(OLIVER, MONDAY, PRESENT_WEEK + " " + PRESENT_WEEK),
        ),
    )

    # Wednesday to Friday of the second week, for Amira alone
    summary = import_file(db, calendar, csv_file(lines(AMIRA, date(2026, 9, 16), "N N N N N N")))

    assert (summary.marks, summary.weeks, summary.marks_replaced, summary.first_date, summary.last_date) == (
        6,
        2,
        12,
        date(2026, 9, 16),
        date(2026, 9, 18),
    )
    assert [(upn, monday, marks) for upn, monday, _school, marks, *_ in weeks(db)] == [
        ("C999210126002", MONDAY, "/\\/\\/\\/\\/\\"),
        ("C999210126002", NEXT_MONDAY, "/\\/\\......"),
        ("N999210126001", MONDAY, "/\\/\\/\\/\\/\\"),
        ("N999210126001", NEXT_MONDAY, "/\\/\\NNNNNN"),
    ]
    assert pupil(db, "C999210126002").last_marked_on == date(2026, 9, 15)
    assert pupil(db, "N999210126001").current_run_sessions == 6
    # The whole term's weeks are recomputed: Amira has missed 6 of her 20 sessions so far
    assert school_weeks(db) == [
        (school.id, MONDAY, 2, 20, 20, 0, 0, 0, 2, 0, 0),
        (school.id, NEXT_MONDAY, 2, 14, 8, 0, 6, 6, 2, 1, 0),
    ]


def test_a_file_that_starts_or_ends_at_midday_replaces_only_the_half_days_it_has(db, calendar, school):
    import_file(db, calendar, csv_file(lines(AMIRA, MONDAY, PRESENT_WEEK), lines(OLIVER, MONDAY, PRESENT_WEEK)))

    # Exported at midday: Tuesday afternoon to Thursday morning, for Amira alone.
    afternoon = "990101,N999210126001,Khan,Amira,2015-03-27,2026-09-08,PM,N"
    summary = import_file(db, calendar, csv_file(afternoon, lines(AMIRA, date(2026, 9, 9), "N N N")))

    assert summary.marks_replaced == 8  # four sessions each, Tuesday afternoon to Thursday morning
    assert [(upn, marks) for upn, _monday, _school, marks, *_ in weeks(db)] == [
        ("C999210126002", "/\\/....\\/\\"),
        ("N999210126001", "/\\/NNNN\\/\\"),
    ]


def test_a_mark_dated_after_today_is_a_problem(db, calendar, school):
    checked = check(db, calendar, csv_file(lines(AMIRA, date(2026, 12, 7), "/")))

    assert [str(problem) for problem in checked.problems] == ["Line 2: Date 2026-12-07 is in the future"]


def test_a_schools_weeks_count_each_pupils_term_so_far_at_the_exact_edges(db, calendar, school):
    data = csv_file(
        lines(AMIRA, MONDAY, "/ \\ / \\ / \\ / \\ / I"),  # 1 of 10 missed: exactly 10%
        lines(AMIRA, NEXT_MONDAY, PRESENT_WEEK),  # then 1 of 20: 5%
        lines(OLIVER, MONDAY, "N N N N N / \\ / \\ /"),  # 5 of 10: exactly 50%, and no marks the second week
        lines(LILY, MONDAY, "# # # # # # # # # #"),  # a closure: no possible sessions
        lines(LILY, NEXT_MONDAY, PRESENT_WEEK),
    )

    import_file(db, calendar, data)

    assert school_weeks(db) == [
        # school, week, pupils, possible, present, authorised, unauthorised, unexplained, term: pupils, PA, SA
        (school.id, MONDAY, 2, 20, 14, 1, 5, 5, 2, 2, 1),
        (school.id, NEXT_MONDAY, 2, 20, 20, 0, 0, 0, 3, 1, 1),
    ]


def test_runs_go_across_weekends_and_closures_and_the_longest_is_kept(db, calendar, school):
    data = csv_file(
        lines(AMIRA, MONDAY, "/ \\ / \\ / \\ / N N N"),  # from Thursday afternoon
        lines(AMIRA, NEXT_MONDAY, "# # N N / \\ O O N N"),  # closed Monday, back on Wednesday, away again Thursday
    )

    import_file(db, calendar, data)

    amira = pupil(db, "N999210126001")
    assert Run(amira.current_run_start, amira.current_run_sessions) == Run(date(2026, 9, 17), 4)
    assert Run(amira.longest_run_start, amira.longest_run_sessions) == Run(date(2026, 9, 10), 5)
    assert amira.last_marked_on == date(2026, 9, 18)


def alerts(db) -> list[tuple]:
    db.expire_all()
    rows = db.scalars(select(AttendanceAlert).order_by(AttendanceAlert.run_start))
    return [
        (
            alert.pupil.upn,
            alert.school_id,
            alert.run_start,
            alert.sessions,
            alert.status,
            alert.upn,
            alert.pupil_first_name,
            alert.pupil_last_name,
            alert.pupil_date_of_birth,
            alert.child_id,
            alert.import_id,
        )
        for alert in rows
    ]


def test_a_run_of_ten_school_days_raises_one_alert_never_again_on_reimport_and_a_new_run_raises_another(
    db, calendar, school, riverside
):
    # Two weeks of unexplained absence: the first at Millfield, the second at Riverside (Millfield marking D)
    first = csv_file(
        lines(AMIRA, MONDAY, "N N N N N N N N N N"),
        lines(AMIRA, NEXT_MONDAY, "D D D D D D D D D D"),
        lines(AMIRA, NEXT_MONDAY, "O O O O O O O O O O", urn=990102),
        lines(OLIVER, MONDAY, "N N N N N N N N N /"),  # 9 days, then present: no alert
    )

    assert import_file(db, calendar, first).alerts == 1
    raised = (
        "N999210126001",
        riverside.id,  # the school of the run's latest marks
        MONDAY,
        20,
        "new",
        "N999210126001",
        "Amira",
        "Khan",
        date(2015, 3, 27),
        None,
        None,
    )
    assert alerts(db) == [raised]
    [alert] = db.scalars(select(AttendanceAlert)).all()
    assert alert.reference.startswith("AA-") and len(alert.reference) == 12

    assert import_file(db, calendar, first).alerts == 0
    assert alerts(db) == [raised]

    # Back at Riverside for a week, then away for two more
    later = csv_file(
        lines(AMIRA, date(2026, 9, 21), PRESENT_WEEK, urn=990102),
        lines(AMIRA, date(2026, 9, 28), " ".join(["N"] * 20), urn=990102),
    )
    assert import_file(db, calendar, later).alerts == 1
    assert alerts(db) == [raised, (*raised[:2], date(2026, 9, 28), 20, *raised[4:])]


def test_pupils_are_linked_to_the_child_with_their_upn_or_else_their_exact_name_and_date_of_birth(db, calendar, school):
    by_upn = Child(upn="N999210126001", first_name="Amira", last_name="Khan")
    by_name = Child(first_name="OLIVER", last_name="price", date_of_birth=date(2014, 11, 14))
    twins = [Child(first_name="Lily", last_name="Evans", date_of_birth=date(2016, 6, 2)) for _ in range(2)]
    # The same name and date of birth, but another UPN on record: another child, not linked.
    namesake = Child(upn="U999210126099", first_name="Sam", last_name="Hughes", date_of_birth=date(2015, 1, 9))
    db.add_all([by_upn, by_name, *twins, namesake])
    db.commit()
    sam = ("F999210126004", "Hughes", "Sam", "2015-01-09")

    import_file(
        db,
        calendar,
        csv_file(
            lines(AMIRA, MONDAY, "/"), lines(OLIVER, MONDAY, "/"), lines(LILY, MONDAY, "/"), lines(sam, MONDAY, "/")
        ),
    )

    assert [pupil(db, upn).child_id for upn in (AMIRA[0], OLIVER[0], LILY[0], sam[0])] == [
        by_upn.id,
        by_name.id,
        None,
        None,
    ]


def test_with_a_bad_line_and_no_skipping_nothing_is_written(db, calendar, school):
    data = csv_file(lines(AMIRA, MONDAY, "/ \\"), "990101,C999210126002,Price,Oliver,2014-11-14,2026-09-07,AM,ZZ")

    with pytest.raises(service.LinesHaveProblems) as refused:
        import_file(db, calendar, data)

    assert str(refused.value) == "1 line has problems: fix them, or import the file without them"
    assert [(problem.line, problem.message) for problem in refused.value.problems] == [
        (4, "Code 'ZZ' is not an attendance code")
    ]
    assert [count(db, model) for model in (AttendancePupil, AttendanceWeek, AttendanceSchoolWeek, AuditEvent)] == [
        0,
        0,
        0,
        0,
    ]


def test_skipping_bad_lines_imports_the_others(db, calendar, school):
    data = csv_file(lines(AMIRA, MONDAY, "/ \\"), "990101,C999210126002,Price,Oliver,2014-11-14,2026-09-07,AM,ZZ")

    summary = import_file(db, calendar, data, skip_bad_lines=True)

    assert (summary.pupils, summary.marks, summary.lines_skipped) == (1, 2, 1)
    assert [row[:4] for row in weeks(db)] == [("N999210126001", MONDAY, school.id, "/\\........")]


def test_a_file_where_every_line_is_bad_has_nothing_to_import(db, calendar, school):
    data = csv_file("990101,C999210126002,Price,Oliver,2014-11-14,2026-09-07,AM,ZZ")

    with pytest.raises(service.NothingToImport, match="No line of the file can be imported"):
        import_file(db, calendar, data, skip_bad_lines=True)


def test_a_failure_part_way_through_leaves_the_marks_as_they_were(db, calendar, school, monkeypatch):
    import_file(db, calendar, FIRST_FILE)
    before = (weeks(db), school_weeks(db), count(db, AttendancePupil), count(db, AuditEvent))

    def fail(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(service, "raise_alerts", fail)
    changed = csv_file(lines(AMIRA, MONDAY, "O O O O O O O O O O"), lines(LILY, MONDAY, "/"))
    with pytest.raises(RuntimeError, match="the database went away"):
        import_file(db, calendar, changed)

    assert (weeks(db), school_weeks(db), count(db, AttendancePupil), count(db, AuditEvent)) == before


def test_an_uploaded_files_record_is_marked_imported_with_it(db, calendar, school, users):
    record = AttendanceImport(
        reference="AI-0000-0001",
        uploaded_by_id=users["officer"].id,
        file_name="autumn.csv",
        content=b"the file",
        size=8,
        status="importing",
    )
    db.add(record)
    db.commit()
    data = csv_file(lines(AMIRA, MONDAY, " ".join(["N"] * 20)))

    summary = service.import_marks(
        db,
        check(db, calendar, data),
        actor=users["officer"],
        import_record=record,
        skip_bad_lines=False,
        today=TODAY,
        calendar=calendar,
    )

    db.expire_all()
    assert (record.status, record.content, record.summary) == ("imported", None, service.summary_dict(summary))
    assert record.finished_at is not None
    assert [alert[-1] for alert in alerts(db)] == [record.id]
    [event] = db.scalars(select(AuditEvent).where(AuditEvent.object_type == "attendance_import")).all()
    assert (event.object_id, event.actor_id, event.actor_label) == (
        record.id,
        users["officer"].id,
        "officer@northbridge.example",
    )


def test_progress_rises_to_the_files_lines_while_importing(db, calendar, school):
    checked = check(db, calendar, FIRST_FILE)
    seen = []

    service.import_marks(
        db, checked, actor=None, skip_bad_lines=False, today=TODAY, calendar=calendar, progress=seen.append
    )

    assert seen == sorted(seen) and seen[-1] == checked.lines == 15


def test_each_term_a_file_touches_is_rolled_up_on_its_own(db, calendar, school):
    data = csv_file(
        lines(AMIRA, date(2026, 12, 14), "I I I I I I I I I I"),  # the last week of the autumn term
        lines(AMIRA, date(2027, 1, 11), PRESENT_WEEK),  # the spring term's second week
    )

    import_file(db, calendar, data, today=date(2027, 1, 15))

    assert school_weeks(db) == [
        (school.id, date(2026, 12, 14), 1, 10, 0, 10, 0, 0, 1, 1, 1),
        (school.id, date(2027, 1, 11), 1, 10, 10, 0, 0, 0, 1, 0, 0),
    ]


def test_a_checked_file_is_described_for_the_page_that_asks_whether_to_import_it(db, calendar, school):
    data = csv_file(lines(AMIRA, MONDAY, "/ \\ / \\"), "990101,C999210126002,Price,Oliver,2014-11-14,2026-09-09,AM,ZZ")

    assert service.describe(check(db, calendar, data)) == {
        "schools": 1,
        "pupils": 1,
        "marks": 4,
        "first_date": "2026-09-07",
        "last_date": "2026-09-08",
        "lines": 6,
        "problem_count": 1,
        "bad_lines": 1,
    }
