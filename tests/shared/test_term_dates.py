"""The authority's term dates kept in the database: the rules for a set of them, reading a file of them, the warning
that the coming term has no dates, and the school-day calendar built from the table (and rebuilt when it changes,
whichever process changed it)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from shared.db import make_engine
from shared.domain.school_days import Period
from shared.domain.term_dates import (
    check_periods,
    coming_term_warning,
    date_range,
    read_term_dates,
    write_term_dates,
)
from shared.models import AuditEvent, TermPeriod
from shared.services import term_dates as service
from shared.services.calendar import school_calendar
from tests.conftest import calendar_of

FIRST_HALF = Period("term", date(2027, 9, 2), date(2027, 10, 22), "Autumn 2027 first half")
SECOND_HALF = Period("term", date(2027, 11, 1), date(2027, 12, 17), "Autumn 2027 second half")


def test_date_ranges_are_written_as_gov_uk_writes_them():
    assert date_range(date(2027, 10, 2), date(2027, 10, 22)) == "2 to 22 October 2027"
    assert date_range(date(2027, 9, 28), date(2027, 10, 3)) == "28 September to 3 October 2027"
    assert date_range(date(2027, 12, 20), date(2028, 1, 4)) == "20 December 2027 to 4 January 2028"
    assert date_range(date(2026, 1, 5), date(2026, 1, 5)) == "5 January 2026"


def test_a_usable_set_has_no_problems():
    closure = Period("closure", date(2027, 11, 1), date(2027, 11, 1), "Staff training day")
    assert check_periods([FIRST_HALF, SECOND_HALF, closure]) == []


def test_a_period_that_ends_before_it_starts_is_refused():
    backwards = Period("term", date(2027, 10, 22), date(2027, 9, 2), "Autumn 2027 first half")
    [problem] = check_periods([backwards])
    assert (problem.message, problem.periods, problem.field) == (
        "The end date must be the same as or after the start date",
        (0,),
        "end",
    )


def test_overlapping_terms_are_named_with_the_days_they_share():
    second = Period("term", date(2027, 10, 2), date(2027, 12, 17), "Autumn 2027 second half")
    [problem] = check_periods([second, FIRST_HALF])
    assert problem.message == "Autumn 2027 first half overlaps Autumn 2027 second half (2 to 22 October 2027)"
    assert problem.periods == (1, 0)


def test_a_term_inside_another_overlaps_it_even_with_one_between():
    whole = Period("term", date(2027, 9, 1), date(2027, 12, 31), "Autumn 2027")
    [first, second] = check_periods([FIRST_HALF, SECOND_HALF, whole])
    assert first.message == "Autumn 2027 overlaps Autumn 2027 first half (2 September to 22 October 2027)"
    assert second.message == "Autumn 2027 overlaps Autumn 2027 second half (1 November to 17 December 2027)"


def test_a_closure_must_lie_within_one_term():
    in_holiday = Period("closure", date(2027, 10, 25), date(2027, 10, 25), "Staff training day")
    across = Period("closure", date(2027, 10, 22), date(2027, 11, 1), "")
    problems = [p.message for p in check_periods([FIRST_HALF, SECOND_HALF, in_holiday, across])]
    assert problems == [
        "Staff training day (25 October 2027) is not within a term: a closure must fall within the dates of one term",
        "The closure of 22 October to 1 November 2027 (22 October to 1 November 2027) is not within a term: a closure "
        "must fall within the dates of one term",
    ]


def test_a_description_is_at_most_100_characters():
    assert check_periods([Period("term", date(2027, 9, 2), date(2027, 10, 22), "A" * 100)]) == []
    [problem] = check_periods([Period("term", date(2027, 9, 2), date(2027, 10, 22), "A" * 101)])
    assert (problem.message, problem.field) == ("The description must be 100 characters or fewer", "description")


def test_a_file_is_read_whole_and_every_problem_listed_by_line():
    read = read_term_dates(
        "kind,start,end,description\n"
        "term,2027-09-02,2027-10-22,Autumn 2027 first half\n"
        "holiday,2027-10-25,2027-10-29,Half term\n"
        "term,2027-10-02,2027-12-17,Autumn 2027 second half\n"
        "term,2028-01-04,2027-02-11,Spring 2028 first half\n"
        "closure,2027-13-01,02/09/2027,Training day\n"
        "term,2028-02-21\n"
    )
    assert read.problems == [
        "Lines 2 and 4: Autumn 2027 first half overlaps Autumn 2027 second half (2 to 22 October 2027)",
        "Line 3: the kind must be term or closure",
        "Line 5: the end date must be the same as or after the start date",
        "Line 6: the start date must be a real date written like 2027-09-02",
        "Line 6: the end date must be a real date written like 2027-09-02",
        "Line 7: it has 2 values, not 4",
    ]


def test_a_file_without_the_columns_is_refused_at_line_1():
    assert read_term_dates("type,from,to\nterm,2027-09-02,2027-10-22\n").problems == [
        "Line 1: the file must have the columns kind, start, end, description"
    ]


def test_a_file_written_is_read_back_the_same():
    closure = Period("closure", date(2027, 11, 1), date(2027, 11, 1), "Staff training day, with a comma")
    text = write_term_dates([SECOND_HALF, closure, FIRST_HALF])
    assert text.splitlines() == [
        "kind,start,end,description",
        "term,2027-09-02,2027-10-22,Autumn 2027 first half",
        "term,2027-11-01,2027-12-17,Autumn 2027 second half",
        'closure,2027-11-01,2027-11-01,"Staff training day, with a comma"',
    ]
    read = read_term_dates(text)
    assert (read.problems, read.periods, read.years) == ([], [FIRST_HALF, SECOND_HALF, closure], [2027])


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2027, 10, 21), None),  # 8 weeks and a day before the last term ends
        (
            date(2027, 10, 22),
            "The last term in the service ends on 17 December 2027 and the term after it has no dates. Add the next "
            "term's dates: until then school days after it are counted as every weekday that is not a bank "
            "holiday, holidays included.",
        ),
        (
            date(2028, 1, 4),
            "The last term in the service ended on 17 December 2027 and the term after it has no dates. Add the next "
            "term's dates: until then school days after it are counted as every weekday that is not a bank "
            "holiday, holidays included.",
        ),
    ],
)
def test_the_coming_term_without_dates_is_warned_of_8_weeks_ahead(today, expected):
    closure = Period("closure", date(2099, 1, 1), date(2099, 1, 1), "Closures do not count")
    assert coming_term_warning([FIRST_HALF, SECOND_HALF, closure], today) == expected


def test_no_term_dates_at_all_is_warned_of():
    assert coming_term_warning([], date(2027, 1, 1)).startswith("There are no term dates in the service.")


# The calendar from the database -----------------------------------------------------------------------------------


def test_the_calendar_is_the_database_s_and_sees_an_edit(app, db, users):
    before = calendar_of(app)
    # Autumn 2027's half term: the first half ends on Friday 22 October, the second starts on Monday 1 November.
    assert before.school_days_between(date(2027, 10, 22), date(2027, 11, 1)) == 1
    assert calendar_of(app) is before  # nothing changed: the calendar built is used again
    first_half = db.scalar(select(TermPeriod).where(TermPeriod.description == "Autumn 2027 first half"))
    service.change_period(
        db, users["admin"], first_half.id, Period("term", date(2027, 9, 2), date(2027, 10, 29), first_half.description)
    )
    after = calendar_of(app)
    assert after.school_days_between(date(2027, 10, 22), date(2027, 11, 1)) == 6
    assert after.add_school_days(date(2027, 10, 22), 1) == date(2027, 10, 25)


def test_an_edit_by_another_process_is_seen(app, database_url):
    assert calendar_of(app).is_school_day(date(2027, 1, 4)) is False  # the shipped dates' training day
    other = make_engine(database_url)  # another server process: its own connections, nothing shared in memory
    try:
        with other.begin() as connection:
            connection.execute(
                update(TermPeriod)
                .where(TermPeriod.kind == "closure", TermPeriod.starts_on == date(2027, 1, 4))
                # Its clock behind this one's: the change's time is older than the latest, and is still seen.
                .values(
                    starts_on=date(2027, 1, 5), ends_on=date(2027, 1, 5), updated_at=datetime(2000, 1, 1, tzinfo=UTC)
                )
            )
    finally:
        other.dispose()
    calendar = calendar_of(app)
    assert (calendar.is_school_day(date(2027, 1, 4)), calendar.is_school_day(date(2027, 1, 5))) == (True, False)


def test_a_change_that_overlaps_is_refused_and_nothing_saved(app, db, users):
    second_half = db.scalar(select(TermPeriod).where(TermPeriod.description == "Autumn 2027 second half"))
    rows_before = [(p.kind, p.starts_on, p.ends_on, p.description) for p in service.all_periods(db)]
    with pytest.raises(service.TermDatesRefused) as refused:
        service.change_period(
            db,
            users["admin"],
            second_half.id,
            Period("term", date(2027, 10, 2), date(2027, 12, 17), "Autumn 2027 second half"),
        )
    db.rollback()
    assert refused.value.problems == [
        (None, "Autumn 2027 first half overlaps Autumn 2027 second half (2 to 22 October 2027)")
    ]
    assert [(p.kind, p.starts_on, p.ends_on, p.description) for p in service.all_periods(db)] == rows_before
    assert db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("term_dates.%"))).all() == []


def test_a_term_with_closures_in_it_is_not_removed(db, users):
    spring = db.scalar(select(TermPeriod).where(TermPeriod.description == "Spring 2027 first half"))
    with pytest.raises(service.TermDatesRefused) as refused:
        service.remove_period(db, users["admin"], spring.id)
    assert str(refused.value) == (
        "Remove or change the closures within Spring 2027 first half first: Staff training day (4 January 2027)"
    )


def test_the_calendar_of_an_empty_table_counts_working_days(db):
    db.execute(TermPeriod.__table__.delete())
    db.commit()
    calendar = school_calendar(db)
    assert calendar.terms == ()
    assert calendar.school_days_between(date(2027, 12, 24), date(2027, 12, 31)) == 3  # 27 and 28 are bank holidays


def test_a_change_that_leaves_a_closure_outside_every_term_is_refused(db, users):
    spring = db.scalar(select(TermPeriod).where(TermPeriod.description == "Spring 2027 first half"))
    with pytest.raises(service.TermDatesRefused) as refused:
        service.change_period(
            db, users["admin"], spring.id, Period("term", date(2027, 1, 5), spring.ends_on, spring.description)
        )
    db.rollback()
    assert refused.value.problems == [
        (
            None,
            "Staff training day (4 January 2027) is not within a term: "
            "a closure must fall within the dates of one term",
        )
    ]
    db.refresh(spring)
    assert spring.starts_on == date(2027, 1, 4)


def test_a_period_removed_by_someone_else_meanwhile_is_said_so(db, users):
    first_half = db.scalar(select(TermPeriod).where(TermPeriod.description == "Autumn 2027 first half"))
    service.remove_period(db, users["admin"], first_half.id)
    for attempt in (
        lambda: service.change_period(db, users["admin"], first_half.id, FIRST_HALF),
        lambda: service.remove_period(db, users["admin"], first_half.id),
    ):
        with pytest.raises(service.TermDatesRefused) as refused:
            attempt()
        db.rollback()
        assert refused.value.problems == [(None, service.GONE)]


def test_a_file_saved_on_a_mac_with_odd_characters_is_read_as_meant():
    # Lines ended by a carriage return alone; a description with a line break and a NUL (PostgreSQL refuses NUL).
    read = read_term_dates('kind,start,end,description\rterm,2027-09-02,2027-10-22,"Autumn 2027\r first\x00 half"\r')
    assert (read.periods, read.lines, read.problems) == ([FIRST_HALF], [3], [])


def test_a_line_past_what_csv_can_read_is_a_problem_not_a_failure():
    read = read_term_dates('kind,start,end,description\nterm,2027-09-02,2027-10-22,"' + "x" * 200_000 + '"\n')
    assert (read.periods, read.problems) == ([], ["Line 2: this line cannot be read as CSV"])


def test_while_a_change_is_checked_no_other_can_be_written(db, database_url):
    """The rows a change is checked against cannot change before it is saved: the second writer waits."""
    service._lock(db)
    other = make_engine(database_url)
    try:
        with other.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SET lock_timeout = '100ms'")
            else:
                connection.exec_driver_sql("PRAGMA busy_timeout = 100")
            with pytest.raises(OperationalError):
                connection.execute(update(TermPeriod).values(description=TermPeriod.description))
    finally:
        other.dispose()
        db.rollback()
