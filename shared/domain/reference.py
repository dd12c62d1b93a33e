"""Public reference numbers: short, random, not sequential, with a check character.

Crockford base 32 (no I, L, O or U, so nothing is misread) and a Luhn mod 32 check character over the
whole reference, which catches any single mistyped character and any swap of two neighbours except
0 with Z (the one pair Luhn mod N cannot see).
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BASE = len(ALPHABET)
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
RANDOM_LENGTH = 7  # 32**7 = 34 billion references per kind


class InvalidReference(ValueError):
    pass


def _check_character(body: str) -> str:
    factor, total = 2, 0
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        total += addend // _BASE + addend % _BASE
        factor = 1 if factor == 2 else 2
    return ALPHABET[(_BASE - total % _BASE) % _BASE]


def new_reference(prefix: str, randbelow=secrets.randbelow) -> str:
    """A reference like `RF-7KQ4-M9X3`: two-letter prefix, seven random characters, one check character."""
    if not re.fullmatch(r"[A-HJKMNP-TV-Z]{2}", prefix):
        raise ValueError("prefix must be two letters from the reference alphabet")
    body = "".join(ALPHABET[randbelow(_BASE)] for _ in range(RANDOM_LENGTH))
    full = body + _check_character(prefix + body)
    return f"{prefix}-{full[:4]}-{full[4:]}"


def normalise_reference(value: str) -> str:
    """The canonical form of a typed reference (any case, spaces or hyphens, O for 0, I or L for 1)."""
    compact = re.sub(r"[\s\-]+", "", value or "").upper().translate(_READ_AS)
    if len(compact) != 2 + RANDOM_LENGTH + 1 or any(c not in ALPHABET for c in compact):
        raise InvalidReference("Enter the reference exactly as it was given to you, like RF-7KQ4-M9X3")
    prefix, body, check = compact[:2], compact[2:-1], compact[-1]
    if _check_character(prefix + body) != check:
        raise InvalidReference("That reference is not right: check it has been copied correctly")
    return f"{prefix}-{compact[2:6]}-{compact[6:]}"


RESUME_CODE_LENGTH = 12  # 60 random bits, in three groups of four


def new_resume_code(randbelow=secrets.randbelow) -> str:
    """A code like `7KQ4-M9X3-2BHT` that brings back a saved report; long enough not to be guessed."""
    body = "".join(ALPHABET[randbelow(_BASE)] for _ in range(RESUME_CODE_LENGTH))
    return "-".join(body[start : start + 4] for start in range(0, RESUME_CODE_LENGTH, 4))


def normalise_resume_code(value: str) -> str:
    compact = re.sub(r"[\s\-]+", "", value or "").upper().translate(_READ_AS)
    if len(compact) != RESUME_CODE_LENGTH or any(c not in ALPHABET for c in compact):
        raise InvalidReference("Enter the resume code exactly as it was given to you, like 7KQ4-M9X3-2BHT")
    return "-".join(compact[start : start + 4] for start in range(0, RESUME_CODE_LENGTH, 4))
