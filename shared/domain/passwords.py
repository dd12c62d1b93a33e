"""What makes a password acceptable (NCSC password guidance; OWASP ASVS 2.1): long enough, not absurdly long,
not one of the passwords people use most, and not made from the person's own name or email address.

No rules about mixing character types: the NCSC advises against them, since they lead to predictable passwords.
"""

from __future__ import annotations

import re
from collections.abc import Container

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200  # the sign-in form accepts no longer
# Parts of a name or email address shorter than this are too common inside ordinary words to refuse.
_SHORTEST_PERSONAL_PART = 3
_ENDS = re.compile(r"^[\W\d_]+|[\W\d_]+$")


def _guessable_forms(password: str) -> set[str]:
    """The password as a guesser would try it: in lower case, without spaces, and without the digits and
    symbols people add at either end ("Monkey2026!" is "monkey")."""
    lower = password.strip().lower()
    forms = {lower, re.sub(r"\s+", "", lower)}
    forms |= {_ENDS.sub("", form) for form in list(forms)}
    return {form for form in forms if len(form) >= 4}


def _personal_parts(email: str, name: str) -> set[str]:
    local = (email or "").strip().lower().partition("@")[0]
    parts = {local, *re.split(r"[^a-z0-9]+", local), *re.split(r"[^\w]+", (name or "").lower())}
    return {part for part in parts if len(part) >= _SHORTEST_PERSONAL_PART}


def password_problem(password: str, *, email: str, name: str, common: Container[str]) -> str | None:
    """Why the password cannot be used, in one plain sentence, or None if it can. `common` holds the commonly
    used passwords, in lower case."""
    if len(password.strip()) < MIN_PASSWORD_LENGTH:
        return f"The password must be at least {MIN_PASSWORD_LENGTH} characters, not counting spaces at either end"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"The password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    if any(form in common for form in _guessable_forms(password)):
        return "The password is one that many people use, so it is easy to guess: choose a different one"
    lower = password.lower()
    if any(part in lower for part in _personal_parts(email, name)):
        return "The password must not contain the person's name or email address"
    return None
