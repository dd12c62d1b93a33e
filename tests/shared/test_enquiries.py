from datetime import date

import pytest

from shared.domain.enquiries import DEFAULT_DUE_SCHOOL_DAYS, parse_due_days
from shared.domain.school_days import Period, SchoolCalendar
from shared.domain.vocab import CheckType
from shared.services.cases import CaseSettings


def test_the_defaults_stand_when_nothing_is_overridden():
    assert parse_due_days("") == DEFAULT_DUE_SCHOOL_DAYS
    assert parse_due_days("")[CheckType.SOCIAL_CARE] == 2


def test_an_authority_sets_its_own_school_days_for_some_checks():
    days = parse_due_days(" Health=3; police = 10 ,")
    assert (days[CheckType.HEALTH], days[CheckType.POLICE], days[CheckType.HOUSING]) == (3, 10, 5)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("wizard=3", "'wizard' is not a kind of check: use one of health, social_care, police, housing"),
        ("health=0", "The school days for 'health' must be a whole number from 1 to 60"),
        ("health=two", "The school days for 'health' must be a whole number from 1 to 60"),
        ("health", "The school days for 'health' must be a whole number from 1 to 60"),
        ("police=61", "The school days for 'police' must be a whole number from 1 to 60"),
    ],
)
def test_an_override_the_service_cannot_use_is_refused_with_what_is_wrong(text, message):
    with pytest.raises(ValueError) as error:
        parse_due_days(text)
    assert str(error.value).startswith(message)


def test_a_check_is_due_in_school_days_so_a_half_term_holiday_does_not_count():
    # Autumn half term: 26 to 30 October 2026 is a holiday.
    calendar = SchoolCalendar(
        [Period("term", date(2026, 9, 3), date(2026, 10, 23)), Period("term", date(2026, 11, 2), date(2026, 12, 18))]
    )
    settings = CaseSettings(calendar=calendar, due_days=parse_due_days("health=3"))
    assert settings.due_on(CheckType.HEALTH, date(2026, 10, 22)) == date(2026, 11, 3)
    assert settings.due_on(CheckType.SOCIAL_CARE, date(2026, 10, 22)) == date(2026, 11, 2)
    assert settings.due_on(CheckType.OTHER, date(2026, 10, 22)) == date(2026, 11, 5)
