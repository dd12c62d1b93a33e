"""`cme import attendance FILE [--skip-bad-lines]`: an operator imports a file of attendance marks from the command
line, checked and imported exactly as the web upload does."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from shared.models import AttendanceAlert, AttendancePupil, AttendanceWeek
from tests.shared.test_attendance_import import AMIRA, MONDAY, OLIVER, csv_file, lines

GOOD = csv_file(lines(AMIRA, MONDAY, " ".join(["N"] * 20)), lines(OLIVER, MONDAY, "/ \\ / \\"))
BAD_LINE = "990101,C999210126002,Price,Oliver,2014-11-14,2026-09-09,AM,ZZ"


def import_attendance(app, path, *options: str):
    return app.test_cli_runner().invoke(args=["import", "attendance", str(path), *options])


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


@pytest.fixture
def attendance_file(tmp_path):
    def write(data: bytes):
        path = tmp_path / "attendance.csv"
        path.write_bytes(data)
        return path

    return write


def test_an_operator_imports_a_file_and_sees_what_was_imported(app, db, school, attendance_file):
    result = import_attendance(app, attendance_file(GOOD))

    assert result.exit_code == 0, result.output
    assert result.output == (
        "Checking the file\n"  # the progress bars, which show only their labels when not on a terminal
        "Importing the marks\n"
        "Imported 24 marks for 2 pupils at 1 school, from 7 September 2026 to 18 September 2026.\n"
        "Marks replaced: 0\n"
        "Lines skipped: 0\n"
        "Alerts raised: 1\n"
    )
    assert (count(db, AttendancePupil), count(db, AttendanceWeek), count(db, AttendanceAlert)) == (2, 3, 1)

    again = import_attendance(app, attendance_file(GOOD))
    assert again.exit_code == 0, again.output
    assert "Marks replaced: 24\n" in again.output and "Alerts raised: 0\n" in again.output
    assert (count(db, AttendancePupil), count(db, AttendanceWeek), count(db, AttendanceAlert)) == (2, 3, 1)


def test_with_problems_nothing_is_imported_unless_bad_lines_are_skipped(app, db, school, attendance_file):
    path = attendance_file(csv_file(lines(AMIRA, MONDAY, "/ \\"), BAD_LINE))

    refused = import_attendance(app, path)

    assert refused.exit_code == 1
    assert refused.output == (
        "Checking the file\n"
        "Line 4: Code 'ZZ' is not an attendance code\n"
        "Error: 1 line has problems: fix them and import the file again, or use --skip-bad-lines to import the "
        "other lines. Nothing was imported.\n"
    )
    assert count(db, AttendanceWeek) == 0

    skipped = import_attendance(app, path, "--skip-bad-lines")

    assert skipped.exit_code == 0, skipped.output
    assert skipped.output == (
        "Checking the file\n"
        "Line 4: Code 'ZZ' is not an attendance code\n"
        "Importing the marks\n"
        "Imported 2 marks for 1 pupil at 1 school, from 7 September 2026 to 7 September 2026.\n"
        "Marks replaced: 0\n"
        "Lines skipped: 1\n"
        "Alerts raised: 0\n"
    )
    assert count(db, AttendanceWeek) == 1


def test_only_the_first_fifty_problems_are_listed(app, db, school, attendance_file):
    bad = [f"990101,C999210126002,Price,Oliver,2014-11-14,2026-09-07,AM,Z{n}" for n in range(53)]

    result = import_attendance(app, attendance_file(csv_file(*bad)))

    assert result.exit_code == 1
    shown = result.output.splitlines()
    assert shown[1] == "Line 2: Code 'Z0' is not an attendance code"
    assert shown[50] == "Line 51: Code 'Z49' is not an attendance code"
    assert shown[51:] == [
        "... and 3 more problems",
        "Error: 53 lines have problems: fix them and import the file again, or use --skip-bad-lines to import the "
        "other lines. Nothing was imported.",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Error: The file is empty. Nothing was imported.\n"),
        (
            csv_file(lines(AMIRA, MONDAY, "/")) + b"990101,N999210126001,Khan",
            "Error: The file looks cut short: its last line has 3 of the 8 values the header names (line 3), so "
            "nothing was imported. Save or export the whole file again and upload it\n",
        ),
    ],
)
def test_a_file_that_cannot_be_imported_is_refused_with_its_reason(app, db, school, attendance_file, data, message):
    result = import_attendance(app, attendance_file(data))

    assert result.exit_code == 1
    assert result.output.endswith(message)
    assert count(db, AttendanceWeek) == 0


def test_a_file_where_every_line_has_a_problem_imports_nothing_even_skipping(app, db, school, attendance_file):
    result = import_attendance(app, attendance_file(csv_file(BAD_LINE)), "--skip-bad-lines")

    assert result.exit_code == 1
    assert result.output.endswith(
        "Error: No line of the file can be imported: every line has a problem. Nothing was imported.\n"
    )


def test_a_pupils_run_is_recorded_for_the_command_line_as_for_the_web(app, db, school, attendance_file):
    import_attendance(app, attendance_file(GOOD))

    db.expire_all()
    amira = db.scalar(select(AttendancePupil).where(AttendancePupil.upn == AMIRA[0]))
    assert (amira.current_run_start, amira.current_run_sessions) == (MONDAY, 20)
    assert amira.last_marked_on == date(2026, 9, 18)
