"""Which term a date falls in, and when that term's return of part-time timetables is due."""

from datetime import date

import pytest

from shared.domain.school_days import SchoolCalendar, parse_term_dates
from shared.domain.terms import Term, authority_terms, return_schedule, term_label, term_of

# Northbridge's dates for 2026-27, in half terms, with a training day closing the first day of spring.
TERM_DATES = """kind,start,end,description
term,2026-09-02,2026-10-23,Autumn 2026 first half
term,2026-11-02,2026-12-18,Autumn 2026 second half
term,2027-01-04,2027-02-12,Spring 2027 first half
term,2027-02-22,2027-03-26,Spring 2027 second half
term,2027-04-12,2027-05-28,Summer 2027 first half
term,2027-06-07,2027-07-21,Summer 2027 second half
closure,2027-01-04,2027-01-04,Staff training day
"""
CALENDAR = SchoolCalendar(parse_term_dates(TERM_DATES))


def test_the_half_terms_of_the_authority_make_three_terms():
    assert authority_terms(CALENDAR) == [
        Term("autumn", 2026, date(2026, 9, 2), date(2026, 12, 18)),
        Term("spring", 2027, date(2027, 1, 4), date(2027, 3, 26)),
        Term("summer", 2027, date(2027, 4, 12), date(2027, 7, 21)),
    ]


@pytest.mark.parametrize(
    ("day", "key", "label"),
    [
        (date(2026, 9, 2), "2026-autumn", "Autumn term 2026"),
        (date(2026, 10, 28), "2026-autumn", "Autumn term 2026"),  # half-term holiday
        (date(2026, 12, 31), "2026-autumn", "Autumn term 2026"),  # the Christmas holiday is autumn's
        (date(2027, 1, 2), "2026-autumn", "Autumn term 2026"),
        (date(2027, 1, 4), "2027-spring", "Spring term 2027"),  # a training day still starts the term
        (date(2027, 4, 1), "2027-spring", "Spring term 2027"),  # Easter holiday
        (date(2027, 4, 12), "2027-summer", "Summer term 2027"),
        (date(2027, 8, 20), "2027-summer", "Summer term 2027"),  # past the dates entered, still summer's holiday
    ],
)
def test_the_term_a_date_falls_in(day, key, label):
    term = term_of(day, CALENDAR)
    assert (term.key, term.label) == (key, label)


def test_the_return_is_due_by_the_last_school_day_and_reminders_start_ten_school_days_before():
    autumn = return_schedule(date(2026, 11, 23), CALENDAR)
    assert (autumn.term.key, autumn.due_on, autumn.reminders_from) == (
        "2026-autumn",
        date(2026, 12, 18),
        date(2026, 12, 4),
    )
    summer = return_schedule(date(2027, 5, 3), CALENDAR)
    assert (summer.due_on, summer.reminders_from) == (date(2027, 7, 21), date(2027, 7, 7))


def test_a_term_ending_on_good_friday_is_due_the_day_before():
    spring = return_schedule(date(2027, 2, 1), CALENDAR)
    # 26 March 2027 is Good Friday; the reminders count back over school days only.
    assert (spring.term.end, spring.due_on, spring.reminders_from) == (
        date(2027, 3, 26),
        date(2027, 3, 25),
        date(2027, 3, 11),
    )


def test_the_reminder_lead_time_is_a_setting():
    autumn = return_schedule(date(2026, 11, 23), CALENDAR, reminder_school_days=5)
    assert autumn.reminders_from == date(2026, 12, 11)


@pytest.mark.parametrize(
    ("day", "key", "start", "end", "due"),
    [
        (date(2029, 10, 10), "2029-autumn", date(2029, 9, 1), date(2029, 12, 31), date(2029, 12, 31)),
        # 31 March 2029 is a Saturday and 30 March Good Friday
        (date(2029, 2, 10), "2029-spring", date(2029, 1, 1), date(2029, 3, 31), date(2029, 3, 29)),
        (date(2030, 5, 5), "2030-summer", date(2030, 4, 1), date(2030, 7, 31), date(2030, 7, 31)),
        (date(2029, 8, 15), "2029-summer", date(2029, 4, 1), date(2029, 7, 31), date(2029, 7, 31)),
        (date(2026, 8, 1), "2026-summer", date(2026, 4, 1), date(2026, 7, 31), date(2026, 7, 31)),
    ],
)
def test_without_the_authoritys_dates_the_usual_english_pattern_stands_in(day, key, start, end, due):
    schedule = return_schedule(day, CALENDAR)
    assert (schedule.term.key, schedule.term.start, schedule.term.end, schedule.due_on) == (key, start, end, due)


def test_the_usual_pattern_counts_working_days_for_reminders():
    # Christmas Day and Boxing Day 2029 are not counted
    assert return_schedule(date(2029, 10, 10), CALENDAR).reminders_from == date(2029, 12, 13)


def test_a_calendar_with_no_term_dates_uses_the_usual_pattern():
    term = term_of(date(2026, 11, 23), SchoolCalendar())
    assert term == Term("autumn", 2026, date(2026, 9, 1), date(2026, 12, 31))


def test_term_dates_that_do_not_name_the_season_are_placed_by_month():
    calendar = SchoolCalendar(
        parse_term_dates(
            "kind,start,end,description\n"
            "term,2026-09-02,2026-12-18,Term 1\n"
            "term,2027-01-04,2027-03-26,Term 2\n"
            "term,2027-04-12,2027-07-21,Term 3\n"
        )
    )
    assert [term.key for term in authority_terms(calendar)] == ["2026-autumn", "2027-spring", "2027-summer"]


@pytest.mark.parametrize(
    ("key", "label"),
    [("2026-autumn", "Autumn term 2026"), ("2027-spring", "Spring term 2027"), ("2027-summer", "Summer term 2027")],
)
def test_a_terms_label_from_its_key(key, label):
    assert term_label(key) == label
