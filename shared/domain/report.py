"""Rules for reports from the public: how long drafts live, secret phrases, and whether a child is of
compulsory school age as far as the reporter's answers tell."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib.resources import files

from shared.domain.school_age import (
    age_on,
    compulsory_school_age_ends,
    compulsory_school_age_starts,
    national_curriculum_year,
    year_group_label,
)

# A draft nobody saved lives a day after its last change; a saved one 7 days after it was saved (the promise
# the save page makes). A sent report's confirmation can be shown again for an hour.
UNSAVED_DRAFT_LIFETIME = timedelta(days=1)
SAVED_DRAFT_LIFETIME = timedelta(days=7)
RECEIPT_LIFETIME = timedelta(hours=1)

PHRASE_WORDS = 5


@cache
def phrase_words() -> tuple[str, ...]:
    text = files("shared").joinpath("data/phrase_words.txt").read_text(encoding="utf-8")
    return tuple(word for word in text.split() if word)


def new_secret_phrase(choice=secrets.choice) -> str:
    """Five words from a list of 265 (about 40 bits): easy to write down, and only ever checked slowly
    (argon2) and a few times an hour."""
    words = phrase_words()
    return " ".join(choice(words) for _ in range(PHRASE_WORDS))


def normalise_phrase(value: str) -> str:
    return " ".join(re.findall(r"[a-z]+", (value or "").lower()))


@dataclass(frozen=True)
class AgeCheck:
    """What the answers say about the child's age: the year group (from a date of birth) and, for a child
    clearly not of compulsory school age, why the report may not be about a child missing education."""

    year_group: str | None
    warning: str | None


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def age_check(date_of_birth: date | None, approximate_age: int | None, today: date) -> AgeCheck:
    if date_of_birth is not None:
        year_group = year_group_label(national_curriculum_year(date_of_birth, today))
        starts = compulsory_school_age_starts(date_of_birth)
        ends = compulsory_school_age_ends(date_of_birth)
        if today < starts:
            return AgeCheck(
                year_group,
                f"A child born on {_long(date_of_birth)} is not of compulsory school age until {_long(starts)}. "
                "Until then their parents do not have to send them to school, so they are not missing education.",
            )
        if today > ends:
            return AgeCheck(
                year_group,
                f"A young person born on {_long(date_of_birth)} reached the school leaving date on {_long(ends)}. "
                "After that they are not missing education, although they should still be in education or "
                "training until they are 18.",
            )
        return AgeCheck(year_group, None)
    if approximate_age is not None:
        if approximate_age <= 3:
            return AgeCheck(
                None,
                f"A child aged about {approximate_age} is too young to be of compulsory school age, which starts "
                "after a child's 5th birthday. Until then they are not missing education.",
            )
        if approximate_age >= 17:
            return AgeCheck(
                None,
                f"A young person aged about {approximate_age} is past compulsory school age, which ends in the "
                "June of the school year in which they turn 16. They are not missing education, although they "
                "should still be in education or training until they are 18.",
            )
    return AgeCheck(None, None)


def age_in_years(date_of_birth: date, today: date) -> int:
    return age_on(date_of_birth, today)
