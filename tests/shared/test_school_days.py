from datetime import date

import pytest

from shared.domain.school_days import Period, SchoolCalendar, TermDatesError, parse_term_dates

TERMS = """kind,start,end,description
term,2026-09-02,2026-10-23,Autumn first half
term,2026-11-02,2026-12-18,Autumn second half
term,2027-01-04,2027-02-12,Spring first half
closure,2027-01-04,2027-01-04,Staff training day
"""


@pytest.fixture
def calendar():
    return SchoolCalendar(parse_term_dates(TERMS))


def test_weekends_half_term_and_holidays_are_not_school_days(calendar):
    assert calendar.is_school_day(date(2026, 10, 23))  # Friday, last day of the half term
    assert not calendar.is_school_day(date(2026, 10, 24))  # Saturday
    assert not calendar.is_school_day(date(2026, 10, 26))  # half-term week
    assert calendar.is_school_day(date(2026, 11, 2))
    assert not calendar.is_school_day(date(2026, 12, 21))  # Christmas holiday
    assert not calendar.is_school_day(date(2027, 1, 4))  # training day closure


def test_adding_school_days_skips_half_term(calendar):
    # Thursday 22 October + 2 school days: Friday 23, then Monday 2 November after half term.
    assert calendar.add_school_days(date(2026, 10, 22), 2) == date(2026, 11, 2)


def test_adding_school_days_across_christmas_and_the_training_day(calendar):
    # Friday 18 December + 1: not the training day (4 January) but Tuesday 5 January.
    assert calendar.add_school_days(date(2026, 12, 18), 1) == date(2027, 1, 5)


def test_counting_back(calendar):
    assert calendar.add_school_days(date(2026, 11, 2), -1) == date(2026, 10, 23)


def test_counting_school_days_between_two_dates(calendar):
    assert calendar.school_days_between(date(2026, 10, 19), date(2026, 11, 6)) == 4 + 5
    assert calendar.school_days_between(date(2026, 11, 6), date(2026, 10, 19)) == -9
    assert calendar.school_days_between(date(2026, 11, 6), date(2026, 11, 6)) == 0


def test_outside_the_term_dates_working_days_are_counted_and_bank_holidays_skipped(calendar):
    # 2027-05-03 is the early May bank holiday; the term dates stop in February 2027.
    assert not calendar.is_covered(date(2027, 5, 3))
    assert not calendar.is_school_day(date(2027, 5, 3))
    assert calendar.add_school_days(date(2027, 4, 30), 1) == date(2027, 5, 4)


def test_bank_holidays_are_england_s(calendar):
    assert calendar.is_bank_holiday(date(2026, 12, 28))  # Boxing Day (substitute day)
    assert not calendar.is_bank_holiday(date(2026, 3, 17))  # St Patrick's Day is Northern Ireland's


def test_working_days(calendar):
    assert calendar.add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    assert calendar.working_days_between(date(2026, 12, 24), date(2026, 12, 31)) == 3


def test_an_empty_calendar_counts_working_days():
    assert SchoolCalendar().add_school_days(date(2026, 11, 20), 1) == date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "start,end\n2026-09-01,2026-10-01\n",
            "The term dates file must have the columns kind, start, end, description",
        ),
        ("kind,start,end,description\nholiday,2026-09-01,2026-10-01,x\n", "Line 2: kind must be 'term' or 'closure'"),
        ("kind,start,end,description\nterm,1/9/2026,2026-10-01,x\n", "Line 2: dates must be written like 2026-09-03"),
        ("kind,start,end,description\nterm,2026-10-01,2026-09-01,x\n", "Line 2: the end date is before the start date"),
        (
            "kind,start,end,description\nterm,2026-09-01,2026-10-01,A\nterm,2026-09-20,2026-11-01,B\n",
            "Terms overlap: A and B",
        ),
    ],
)
def test_bad_term_dates_files_say_which_line_is_wrong(text, message):
    with pytest.raises(TermDatesError) as error:
        parse_term_dates(text)
    assert str(error.value) == message


def test_a_byte_order_mark_is_accepted():
    assert parse_term_dates("\ufeff" + TERMS)[0] == Period(
        "term", date(2026, 9, 2), date(2026, 10, 23), "Autumn first half"
    )
