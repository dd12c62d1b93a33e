"""The service's one clock: the moment now in UTC, and today's date as it is in England."""

from datetime import UTC, date, datetime, timedelta

from shared.clock import UK, long_date, uk_now, uk_today, utcnow


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
