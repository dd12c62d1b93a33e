"""The attendance file generator: the same seed gives the same file, every mark is on a school day in the national
set for a pupil with a valid UPN of their school, and a medium-sized run looks like an authority's attendance."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date
from statistics import median

import pytest
from sqlalchemy import func, select

from shared.demo import marks as generator
from shared.demo import seeding
from shared.demo.marks import GeneratorError, PupilSpec, school_days_from, school_spec
from shared.domain import attendance as marks
from shared.domain.school_age import national_curriculum_year
from shared.domain.school_days import SchoolCalendar, parse_term_dates
from shared.domain.upn import validate_upn
from shared.models import AttendanceAlert, AttendancePupil, AttendanceWeek, Case
from tests.conftest import PASSWORD

ROLES = ("admin", "lead", "officer", "officer2", "manager", "school")

PRIMARY = school_spec(990101, "999", "2101", 4, 11, "Community school")
SECONDARY = school_spec(990201, "999", "4201", 11, 18, "Academy converter")
SPECIAL = school_spec(990301, "999", "7001", 3, 19, "Community special school")


@pytest.fixture(scope="module")
def calendar():
    from config import ROOT

    return SchoolCalendar(parse_term_dates((ROOT / "shared" / "data" / "term_dates.csv").read_text(encoding="utf-8")))


def generated(schools, days, pupils, seed=7, extra=()) -> tuple[str, generator.Written]:
    out = io.StringIO(newline="")
    written = generator.write_attendance(out, schools=schools, days=days, pupils=pupils, seed=seed, extra=extra)
    return out.getvalue(), written


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def weeks_by_pupil(rows) -> dict[str, list[tuple[date, str]]]:
    """Each pupil's weeks of marks, their schools' marks for a week combined, as the measures read them."""
    by_school: dict[tuple[str, str, date], list[str]] = defaultdict(lambda: [""] * marks.SESSIONS_PER_WEEK)
    for row in rows:
        day = date.fromisoformat(row["Date"])
        by_school[row["UPN"], row["URN"], marks.week_start(day)][marks.slot(day, row["Session"])] = row["Code"]
    weeks: dict[str, dict[date, str]] = defaultdict(dict)
    for (upn, _, monday), codes in sorted(by_school.items()):
        week = marks.encode(codes)
        weeks[upn][monday] = marks.combine(weeks[upn][monday], week) if monday in weeks[upn] else week
    return {upn: sorted(found.items()) for upn, found in weeks.items()}


# Days -------------------------------------------------------------------------------------------------------------


def test_school_days_skip_weekends_holidays_bank_holidays_and_closures(calendar):
    assert school_days_from(calendar, date(2026, 12, 14), 10) == [
        date(2026, 12, 14),
        date(2026, 12, 15),
        date(2026, 12, 16),
        date(2026, 12, 17),
        date(2026, 12, 18),
        # the Christmas holiday; 4 January 2027 is a staff training day
        date(2027, 1, 5),
        date(2027, 1, 6),
        date(2027, 1, 7),
        date(2027, 1, 8),
        date(2027, 1, 11),
    ]
    assert date(2026, 5, 4) not in school_days_from(calendar, date(2026, 4, 27), 10)  # the May bank holiday


def test_the_default_start_is_the_latest_term_whose_days_have_all_passed(calendar):
    # 3 December 2026: the autumn term (from 2 September) has had 61 school days; the summer term has 66.
    assert generator.latest_term_start(calendar, 61, date(2026, 12, 3)) == date(2026, 9, 2)
    assert generator.latest_term_start(calendar, 65, date(2026, 12, 3)) == date(2026, 4, 13)
    with pytest.raises(GeneratorError, match="No term in the term dates has 65 school days before 2024-10-01"):
        generator.latest_term_start(calendar, 65, date(2024, 10, 1))


def test_days_past_the_last_term_dates_are_refused(calendar):
    with pytest.raises(GeneratorError) as refused:
        school_days_from(calendar, date(2028, 6, 1), 80)
    assert str(refused.value) == (
        "The term dates have only 35 school days from 2028-06-01 (they end 2028-07-21): "
        "choose an earlier start or fewer days"
    )


# A tiny file ------------------------------------------------------------------------------------------------------


def test_a_tiny_seeded_file_is_exactly_the_same_every_time(calendar):
    days = school_days_from(calendar, date(2026, 11, 2), 2)
    text, written = generated([PRIMARY, SECONDARY], days, 3, seed=3)
    assert text == (
        "URN,UPN,Surname,Forename,DOB,Date,Session,Code\n"
        "990101,D999210122400,Ali,Harry,2017-11-06,2026-11-02,AM,/\n"
        "990101,D999210122400,Ali,Harry,2017-11-06,2026-11-02,PM,\\\n"
        "990101,D999210122400,Ali,Harry,2017-11-06,2026-11-03,AM,/\n"
        "990101,D999210122400,Ali,Harry,2017-11-06,2026-11-03,PM,\\\n"
        "990201,G999420123400,Davies,Kai,2012-07-24,2026-11-02,AM,/\n"
        "990201,G999420123400,Davies,Kai,2012-07-24,2026-11-02,PM,\\\n"
        "990201,G999420123400,Davies,Kai,2012-07-24,2026-11-03,AM,/\n"
        "990201,G999420123400,Davies,Kai,2012-07-24,2026-11-03,PM,\\\n"
        "990201,P999420126400,Baker-Hill,Jacob,2015-01-16,2026-11-02,AM,/\n"
        "990201,P999420126400,Baker-Hill,Jacob,2015-01-16,2026-11-02,PM,\\\n"
        "990201,P999420126400,Baker-Hill,Jacob,2015-01-16,2026-11-03,AM,/\n"
        "990201,P999420126400,Baker-Hill,Jacob,2015-01-16,2026-11-03,PM,\\\n"
    )
    assert (written.rows, written.pupils, written.schools, written.first_day, written.last_day) == (
        12,
        3,
        2,
        date(2026, 11, 2),
        date(2026, 11, 3),
    )
    again, _ = generated([PRIMARY, SECONDARY], days, 3, seed=3)
    assert again == text
    other, _ = generated([PRIMARY, SECONDARY], days, 3, seed=4)
    assert other != text


def test_pupils_asked_for_are_in_the_file_with_their_details_and_pattern(calendar):
    days = school_days_from(calendar, date(2026, 11, 2), 15)
    ellie = PupilSpec(
        990101,
        "stopped",
        upn="B801200005001",
        first_name="Ellie",
        last_name="Whitcombe",
        date_of_birth=date(2015, 10, 1),
    )
    text, written = generated([PRIMARY], days, 0, extra=[ellie, PupilSpec(990101, "severe")])
    rows = rows_of(text)
    assert written.pupils == 2 and written.rows == 60 and len(rows) == 60
    assert {(r["URN"], r["UPN"], r["Surname"], r["Forename"], r["DOB"]) for r in rows[:30]} == {
        ("990101", "B801200005001", "Whitcombe", "Ellie", "2015-10-01")
    }
    found = marks.runs(weeks_by_pupil(rows)["B801200005001"])
    assert found.current is not None and found.current.sessions >= marks.ALERT_SESSIONS
    assert written.ongoing_runs == 1
    severe = weeks_by_pupil(rows)[rows[30]["UPN"]]
    assert sum((marks.count(week) for _, week in severe), marks.Counts()).severe

    with pytest.raises(GeneratorError, match="No school with URN 123456 is among the schools given"):
        generated([PRIMARY], days, 0, extra=[PupilSpec(123456)])
    with pytest.raises(GeneratorError, match="Unknown pattern truant: use one of ordinary, persistent, severe"):
        generated([PRIMARY], days, 0, extra=[PupilSpec(990101, "truant")])
    with pytest.raises(GeneratorError, match="There are no schools to generate pupils for"):
        generated([], days, 1)


# A medium file ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def term(calendar):
    """2,000 pupils over a primary, a secondary and a special school for the 65 days of the summer term 2026."""
    days = school_days_from(calendar, date(2026, 4, 13), 65)
    text, written = generated([PRIMARY, SECONDARY, SPECIAL], days, 2000, seed=11)
    return days, rows_of(text), written


def test_every_row_is_a_school_day_session_with_a_national_code(calendar, term):
    days, rows, written = term
    assert len(rows) == written.rows
    assert {row["Date"] for row in rows} == {day.isoformat() for day in days}
    assert all(calendar.is_school_day(day) for day in days)
    assert {row["Session"] for row in rows} == {"AM", "PM"}
    assert {row["Code"] for row in rows} <= set(marks.CODES)
    assert {"/", "\\", "I", "M", "L", "O", "N", "G", "C2", "#", "D"} <= {row["Code"] for row in rows}
    per_pupil_school = defaultdict(int)
    for row in rows:
        per_pupil_school[row["URN"], row["UPN"]] += 1
    assert set(per_pupil_school.values()) == {130}  # one row a session, no more, no fewer


def test_pupils_have_valid_upns_of_their_school_and_ages_that_fit_it(term):
    days, rows, written = term
    first_school = {}
    for row in rows:
        first_school.setdefault(row["UPN"], row)
    assert len(first_school) == written.pupils == 2000
    ages = {"990101": (0, 6), "990201": (7, 11), "990301": (0, 11)}  # year groups
    laestab = {"990101": "9992101", "990201": "9994201", "990301": "9997001"}
    for upn, row in first_school.items():
        assert validate_upn(upn) == upn
        assert upn[1:8] == laestab[row["URN"]]
        low, high = ages[row["URN"]]
        assert low <= national_curriculum_year(date.fromisoformat(row["DOB"]), days[0]) <= high
        assert row["Surname"] and row["Forename"]
    by_school = defaultdict(int)
    for row in first_school.values():
        by_school[row["URN"]] += 1
    assert by_school["990201"] > by_school["990101"] > by_school["990301"]  # by size


def test_a_term_looks_like_an_authority_s_attendance(term):
    _, rows, written = term
    counts = {
        upn: sum((marks.count(week) for _, week in weeks), marks.Counts())
        for upn, weeks in weeks_by_pupil(rows).items()
    }
    pupils = len(counts)
    persistent = sum(found.persistent for found in counts.values()) / pupils
    severe = sum(found.severe for found in counts.values()) / pupils
    rates = [found.attendance_rate for found in counts.values()]
    assert 0.15 <= persistent <= 0.20
    assert 0.01 <= severe <= 0.02
    assert 0.95 <= median(rates) <= 0.975
    assert 0.90 <= sum((found for found in counts.values()), marks.Counts()).attendance_rate <= 0.94

    longest = [marks.runs(weeks).longest for weeks in weeks_by_pupil(rows).values()]
    long_runs = sum(1 for run in longest if run and run.sessions >= marks.ALERT_SESSIONS)
    assert 2 <= long_runs <= 20  # a few in a thousand have stopped coming
    current = [marks.runs(weeks).current for weeks in weeks_by_pupil(rows).values()]
    # The pupils who stopped coming, and perhaps a severely absent pupil or two whose absence ran on by chance.
    assert written.ongoing_runs > 0
    assert 0 <= sum(1 for run in current if run and run.sessions >= marks.ALERT_SESSIONS) - written.ongoing_runs <= 3
    holidays = {row["UPN"] for row in rows if row["Code"] == "G"}
    dual = {row["UPN"] for row in rows if row["Code"] == "D"}
    assert 20 <= len(holidays) <= 200
    assert len(dual) == written.dual_registered > 0


# The command ------------------------------------------------------------------------------------------------------


def test_cme_demo_attendance_writes_a_file_for_the_schools_in_the_register(app, school, tmp_path):
    out = tmp_path / "marks.csv"
    args = ["demo", "attendance", "--pupils", "20", "--days", "5", "--start", "2026-11-02", "--out", str(out)]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert result.output == (f"Wrote 200 marks for 20 pupils at 2 schools, 2026-11-02 to 2026-11-06, to {out}.\n")
    rows = rows_of(out.read_text(encoding="utf-8"))
    assert len(rows) == 200
    assert {row["URN"] for row in rows} == {"990101", "990102"}
    assert rows == rows_of(app.test_cli_runner().invoke(args=args[:-2], catch_exceptions=False).stdout)

    past_the_dates = app.test_cli_runner().invoke(args=[*args[:6], "--start", "2028-07-20", "--out", str(out)])
    assert (past_the_dates.exit_code, past_the_dates.output) == (
        1,
        "Error: The term dates have only 2 school days from 2028-07-20 (they end 2028-07-21): "
        "choose an earlier start or fewer days\n",
    )


def test_cme_demo_attendance_import_writes_the_marks_through_the_importer(app, db, school):
    args = ["demo", "attendance", "--pupils", "20", "--days", "5", "--start", "2026-11-02", "--import"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Wrote 200 marks for 20 pupils at 2 schools, 2026-11-02 to 2026-11-06.\n")
    assert "Imported 200 marks for 20 pupils at 2 schools" in result.output
    assert db.scalar(select(func.count()).select_from(AttendancePupil)) == 20
    assert db.scalar(select(func.sum(AttendanceWeek.possible))) > 150


# The demo data ----------------------------------------------------------------------------------------------------


def test_the_term_so_far_is_its_school_days_before_today(calendar):
    days = seeding.term_so_far(calendar, date(2026, 12, 3))
    assert (days[0], days[-1], len(days)) == (date(2026, 9, 2), date(2026, 12, 2), 61)
    on_the_first_day = seeding.term_so_far(calendar, date(2026, 9, 2))
    assert (on_the_first_day[0], on_the_first_day[-1], len(on_the_first_day)) == (
        date(2026, 4, 13),
        date(2026, 7, 21),
        66,
    )
    assert seeding.term_so_far(calendar, date(2024, 9, 1)) == []


def test_the_demo_has_the_term_so_far_with_alerts_for_children_on_record_and_placed_children_s_marks(
    db, calendar, tmp_path
):
    today = date(2026, 12, 3)
    seeding.seed(db, la_code="999", today=today, calendar=calendar, passwords=dict.fromkeys(ROLES, PASSWORD))
    folder = tmp_path / "demo"
    folder.mkdir()
    summary = seeding.seed_demo_attendance(db, calendar, today, folder)
    placed = list(db.scalars(select(Case.child_id).where(Case.status == "monitoring")))
    assert (summary.first_date, summary.last_date, summary.schools) == (date(2026, 9, 2), date(2026, 12, 2), 18)
    assert summary.pupils == seeding.DEMO_PUPILS + len(placed) + 2 * seeding.DEMO_STOPPED
    linked = set(db.scalars(select(AttendancePupil.child_id).where(AttendancePupil.child_id.is_not(None))))
    assert set(placed) <= linked
    alerts = list(db.scalars(select(AttendanceAlert)))
    assert len([alert for alert in alerts if alert.child_id is not None]) == seeding.DEMO_STOPPED
    assert len(alerts) >= 2 * seeding.DEMO_STOPPED
    assert {alert.status for alert in alerts} == {"new"}
    assert list(folder.iterdir()) == []  # the file is gone once imported
