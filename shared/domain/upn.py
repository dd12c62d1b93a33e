"""Unique Pupil Number structure and check letter (DfE UPN guidance)."""

from __future__ import annotations

import re

# Index = value in the check-letter calculation; I, O and S are never used.
CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"

_SHAPE = re.compile(r"^[A-Z]\d{11}[0-9A-Z]$")


class InvalidUPN(ValueError):
    """A UPN that is not 13 characters of the right shape or whose check letter is wrong."""


def normalise_upn(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def check_letter(body: str) -> str:
    """The check letter for characters 2-13 of a UPN (12 characters)."""
    if len(body) != 12:
        raise InvalidUPN("A UPN has 12 characters after its check letter")
    total = 0
    for weight, char in enumerate(body, start=2):
        if char.isdigit():
            value = int(char)
        elif char in CHECK_LETTERS:
            value = CHECK_LETTERS.index(char)
        else:
            raise InvalidUPN(f"'{char}' cannot appear in a UPN")
        total += value * weight
    return CHECK_LETTERS[total % 23]


def is_temporary(upn: str) -> bool:
    return normalise_upn(upn)[-1:].isalpha()


def validate_upn(value: str) -> str:
    """Return the normalised UPN, or raise InvalidUPN with a message a school user can act on."""
    upn = normalise_upn(value)
    if len(upn) != 13:
        raise InvalidUPN("UPN must be 13 characters")
    if not _SHAPE.match(upn):
        raise InvalidUPN("UPN must be a letter, 11 numbers, then a number or a letter")
    if upn[-1].isalpha() and upn[-1] not in CHECK_LETTERS:
        raise InvalidUPN("The last character of a temporary UPN cannot be I, O or S")
    if check_letter(upn[1:]) != upn[0]:
        raise InvalidUPN("UPN check letter is wrong: check the UPN has been copied correctly")
    return upn
