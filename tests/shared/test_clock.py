"""The service's one clock: the moment now in UTC, and today's date as it is in England."""

from datetime import UTC, date, datetime, timedelta

import pytest

from shared.clock import UK, date_and_time, long_date, uk_now, uk_today, utcnow


def test_today_is_the_date_in_england_so_half_past_eleven_utc_in_summer_is_already_tomorrow(clock):
    clock.set(datetime(2026, 7, 1, 23, 30, tzinfo=UTC))
    assert (utcnow().date(), uk_today()) == (date(2026, 7, 1), date(2026, 7, 2))
    assert uk_now() == datetime(2026, 7, 2, 0, 30, tzinfo=UK)


def test_in_winter_england_keeps_utc(clock):
    clock.set(datetime(2026, 12, 1, 23, 30, tzinfo=UTC))
    assert (utcnow().date(), uk_today()) == (date(2026, 12, 1), date(2026, 12, 1))


def test_a_day_set_on_the_clock_is_half_past_ten_that_morning_in_england(clock):
    clock.set(date(2028, 2, 29))
    assert uk_now() == datetime(2028, 2, 29, 10, 30, tzinfo=UK)
    assert utcnow() == datetime(2028, 2, 29, 10, 30, tzinfo=UTC)  # GMT in February


def test_a_set_clock_stands_still_until_it_is_moved_on(clock):
    clock.set(datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC))  # the second before British Summer Time begins
    first = utcnow()
    assert utcnow() == first
    clock.advance(seconds=1)
    assert utcnow() - first == timedelta(seconds=1)
    assert uk_now() == datetime(2026, 3, 29, 2, 0, tzinfo=UK)


def test_a_moment_is_written_as_its_date_in_england():
    assert long_date(datetime(2026, 7, 1, 23, 30, tzinfo=UTC)) == "2 July 2026"
    assert long_date(date(2026, 11, 23)) == "23 November 2026"
    assert long_date(None) == ""


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (datetime(2026, 12, 7, 6, 30, tzinfo=UTC), "7 December 2026 at 6:30am"),
        (datetime(2026, 12, 7, 12, 0, tzinfo=UTC), "7 December 2026 at midday"),
        (datetime(2026, 12, 7, 0, 0, tzinfo=UTC), "7 December 2026 at midnight"),
        (datetime(2026, 12, 7, 21, 5, tzinfo=UTC), "7 December 2026 at 9:05pm"),
        # Shown in England: in summer time, an hour on from UTC, and past midnight the next day.
        (datetime(2027, 6, 30, 23, 15, tzinfo=UTC), "1 July 2027 at 12:15am"),
        (datetime(2027, 6, 30, 11, 0, tzinfo=UTC), "30 June 2027 at midday"),
    ],
)
def test_a_moment_is_shown_as_gov_uk_writes_it_in_england(moment, shown):
    assert date_and_time(moment) == shown
