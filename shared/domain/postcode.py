"""UK postcode validation and normalisation."""

from __future__ import annotations

import re

_POSTCODE = re.compile(
    r"^(?:(?P<outward>[A-PR-UWYZ][0-9][0-9A-HJKSTUW]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9ABEHMNPRVWXY]?)"
    r"(?P<inward>[0-9][ABD-HJLNP-UW-Z]{2})|GIR0AA)$"
)


class InvalidPostcode(ValueError):
    pass


def normalise_postcode(value: str) -> str:
    """Upper case with one space before the inward code; raises InvalidPostcode if it is not a UK postcode."""
    compact = re.sub(r"\s+", "", value or "").upper()
    if not _POSTCODE.match(compact):
        raise InvalidPostcode("Enter a real postcode, like BA1 1JG")
    return f"{compact[:-3]} {compact[-3:]}"


def is_valid_postcode(value: str) -> bool:
    try:
        normalise_postcode(value)
    except InvalidPostcode:
        return False
    return True
