from datetime import date

import pytest

from shared.domain.school_age import (
    compulsory_school_age_ends,
    compulsory_school_age_starts,
    is_compulsory_school_age,
    last_friday_in_june,
    national_curriculum_year,
    year_group_label,
)


@pytest.mark.parametrize(
    ("born", "starts"),
    [
        (date(2019, 2, 10), date(2024, 3, 31)),  # DOMAIN.md's example: 5 on 10 Feb 2024
        (date(2019, 1, 1), date(2024, 3, 31)),
        (date(2019, 3, 31), date(2024, 3, 31)),  # fifth birthday on a prescribed day starts that day
        (date(2019, 4, 1), date(2024, 8, 31)),
        (date(2019, 8, 31), date(2024, 8, 31)),
        (date(2019, 9, 1), date(2024, 12, 31)),
        (date(2019, 12, 31), date(2024, 12, 31)),
        (date(2020, 2, 29), date(2025, 3, 31)),  # a leap-day birthday falls on 1 March in 2025
    ],
)
def test_compulsory_school_age_starts_on_the_prescribed_day_on_or_after_the_fifth_birthday(born, starts):
    assert compulsory_school_age_starts(born) == starts


@pytest.mark.parametrize(
    ("born", "ends"),
    [
        (date(2007, 9, 23), date(2024, 6, 28)),  # DOMAIN.md's example
        (date(2008, 8, 31), date(2024, 6, 28)),  # youngest in the year: turns 16 on the last day of it
        (date(2008, 9, 1), date(2025, 6, 27)),  # oldest in the next year
        (date(2010, 1, 15), date(2026, 6, 26)),
    ],
)
def test_compulsory_school_age_ends_on_the_last_friday_in_june_of_the_year_they_turn_16(born, ends):
    assert compulsory_school_age_ends(born) == ends


def test_last_friday_in_june():
    assert [last_friday_in_june(y) for y in (2024, 2025, 2026, 2027)] == [
        date(2024, 6, 28),
        date(2025, 6, 27),
        date(2026, 6, 26),
        date(2027, 6, 25),
    ]


def test_compulsory_school_age_includes_both_ends():
    born = date(2019, 2, 10)
    assert not is_compulsory_school_age(born, date(2024, 3, 30))
    assert is_compulsory_school_age(born, date(2024, 3, 31))
    assert is_compulsory_school_age(born, date(2035, 6, 29))
    assert not is_compulsory_school_age(born, date(2035, 6, 30))


@pytest.mark.parametrize(
    ("born", "on", "year"),
    [
        (date(2019, 9, 1), date(2026, 11, 23), 2),  # oldest in the year
        (date(2019, 8, 31), date(2026, 11, 23), 3),  # a day older: a year above
        (date(2022, 8, 31), date(2026, 9, 1), 0),  # Reception
        (date(2022, 9, 1), date(2026, 9, 1), -1),  # nursery age
        (date(2011, 3, 5), date(2026, 11, 23), 11),
        (date(2011, 3, 5), date(2026, 7, 20), 10),  # before 1 September the old school year still runs
    ],
)
def test_national_curriculum_year_is_age_on_31_august_minus_4(born, on, year):
    assert national_curriculum_year(born, on) == year


def test_year_group_labels():
    assert [year_group_label(n) for n in (-1, 0, 1, 11, 13, 14)] == [
        "Not yet of school age",
        "Reception",
        "Year 1",
        "Year 11",
        "Year 13",
        "Beyond Year 13",
    ]
