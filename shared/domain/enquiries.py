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
