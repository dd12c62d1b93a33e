"""The standard reasonable enquiries a case starts with, and how many school days each is given by default."""

from __future__ import annotations

from shared.domain.vocab import CheckType

DEFAULT_DUE_SCHOOL_DAYS: dict[CheckType, int] = {
    CheckType.HEALTH: 5,
    CheckType.SOCIAL_CARE: 2,
    CheckType.POLICE: 5,
    CheckType.HOUSING: 5,
    CheckType.COUNCIL_TAX: 5,
    CheckType.BENEFITS: 10,
    CheckType.PREVIOUS_LA: 10,
    CheckType.DESTINATION_LA: 10,
    CheckType.LOST_PUPIL_DATABASE: 5,
    CheckType.CEAS: 10,
    CheckType.CUSTODIAL: 10,
    CheckType.PHONE: 2,
    CheckType.LETTER: 5,
    CheckType.HOME_VISIT: 10,
}

STANDARD_CHECKS: tuple[CheckType, ...] = tuple(DEFAULT_DUE_SCHOOL_DAYS)

# The fewest and most school days a check may be given: a check that needs longer than a term (about 60 school
# days) is not a reasonable enquiry but a wait, which the case's other states are for.
DUE_SCHOOL_DAYS_LEAST, DUE_SCHOOL_DAYS_MOST = 1, 60


def parse_due_days(text: str) -> dict[CheckType, int]:
    """School days each standard check is given: the defaults above, with overrides written like
    "health=3, police=10" (the setting CME_CHECK_DUE_SCHOOL_DAYS). Raises ValueError naming what is wrong."""
    days = dict(DEFAULT_DUE_SCHOOL_DAYS)
    for part in (text or "").replace(";", ",").split(","):
        if not part.strip():
            continue
        name, _, value = part.partition("=")
        try:
            check = CheckType(name.strip().lower())
        except ValueError:
            known = ", ".join(CheckType)
            raise ValueError(f"'{name.strip()}' is not a kind of check: use one of {known}") from None
        if not value.strip().isdigit() or not DUE_SCHOOL_DAYS_LEAST <= int(value) <= DUE_SCHOOL_DAYS_MOST:
            raise ValueError(
                f"The school days for '{check}' must be a whole number from {DUE_SCHOOL_DAYS_LEAST} to "
                f"{DUE_SCHOOL_DAYS_MOST}"
            )
        days[check] = int(value)
    return days


def due_school_days(check: str, days: dict[CheckType, int], fallback: int = 5) -> int:
    """School days a check of this kind is given (an added "other" check gets the fallback)."""
    try:
        return days.get(CheckType(check), fallback)
    except ValueError:
        return fallback
