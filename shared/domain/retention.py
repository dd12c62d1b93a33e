"""How long the service keeps personal data, and what is left of a record once its time is up (UK GDPR art. 5(1)(c)
and (e): data minimisation and storage limitation). Dates in, dates and values out; docs/retention.md says why each
period and each choice.

The defaults, each a setting admins change at /admin/settings (the CME_RETENTION_* variables give the starting
values):
- a child whose cases are all closed: 6 years after the last closure. Six years is the Limitation Act 1980's period
  for most claims, and the "closure + 6" rule councils' children's services retention schedules use for casework
  (Derbyshire's CASE+6, for one). A council whose schedule keeps records about minors until the child is 25 (the
  limitation period only starts at 18) also keeps records until the child is 25: then both must have passed.
- reports, school notices and attendance alerts that never became a case: 2 years after the team's decision.
- pupil-level attendance marks: 3 years after the week (schools keep their registers 6 years, SI 2024/208; the
  service needs recent weeks for alerts and trends, and keeps the schools' weekly totals, which name nobody).
- uploaded files' bytes: 365 days after upload (what the file said is in the notices and marks made from it).
- email left in the outbox (refused by the mail server, given up on): 90 days after it was written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import overload

ANONYMISED_NAME = "Anonymised"
# What a note's, a check's or a timeline line's text becomes.
REMOVED_TEXT = "Removed at the end of the retention period"

DEFAULTS = {
    "closed_case_years": 6,
    "keep_until_age": 0,
    "no_case_years": 2,
    "attendance_years": 3,
    "file_days": 365,
    "outbox_days": 90,
}


@dataclass(frozen=True)
class RetentionPeriods:
    closed_case_years: int = DEFAULTS["closed_case_years"]
    keep_until_age: int = DEFAULTS["keep_until_age"]  # 0: no age rule
    no_case_years: int = DEFAULTS["no_case_years"]
    attendance_years: int = DEFAULTS["attendance_years"]
    file_days: int = DEFAULTS["file_days"]
    outbox_days: int = DEFAULTS["outbox_days"]


@dataclass(frozen=True)
class Cutoffs:
    """Records from on or before these moments are past their time."""

    case_closed_by: datetime
    born_by: date | None  # children born after this are kept, whatever their cases (the age rule)
    decided_by: datetime
    week_started_by: date
    uploaded_by: datetime
    written_by: datetime


def years_before(moment, years: int):
    """The same day and time `years` earlier (29 February gives 28 February in a year that has none)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def cutoffs(periods: RetentionPeriods, now: datetime, today: date) -> Cutoffs:
    """The moments that separate what is kept from what goes, for a run at `now` (`today` is the UK date)."""
    return Cutoffs(
        case_closed_by=years_before(now, periods.closed_case_years),
        born_by=years_before(today, periods.keep_until_age) if periods.keep_until_age else None,
        decided_by=years_before(now, periods.no_case_years),
        week_started_by=years_before(today, periods.attendance_years),
        uploaded_by=now - timedelta(days=periods.file_days),
        written_by=now - timedelta(days=periods.outbox_days),
    )


def child_is_past(last_closed: datetime, date_of_birth: date | None, limits: Cutoffs) -> bool:
    """Whether a child whose cases are all closed, the last at `last_closed`, is past the retention period. With
    the age rule, a child whose date of birth is not known is kept on the closure rule alone."""
    if last_closed > limits.case_closed_by:
        return False
    return limits.born_by is None or date_of_birth is None or date_of_birth <= limits.born_by


@overload
def school_year_of_birth(date_of_birth: date) -> date: ...
@overload
def school_year_of_birth(date_of_birth: None) -> None: ...
def school_year_of_birth(date_of_birth: date | None) -> date | None:
    """The first day (1 September) of the school year a child was born in: what is kept of a date of birth. Every
    child born in one school year is in the same year group, so counts by year group are unchanged."""
    if date_of_birth is None:
        return None
    return date(date_of_birth.year if date_of_birth.month >= 9 else date_of_birth.year - 1, 9, 1)


_OUTWARD = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)\s*[0-9][A-Z]{2}$")


def postcode_district(postcode: str | None) -> str | None:
    """The outward code ("NB1" of "NB1 1AA"): an area of several thousand addresses, what is kept of a postcode.
    Anything that is not a full postcode is dropped."""
    if not postcode:
        return None
    found = _OUTWARD.match(postcode.strip().upper())
    return found.group(1) if found else None


def anonymised_upn(row_id: int) -> str:
    """A stand-in for a UPN a column needs to be unique and present: never a real UPN's shape (lower case and a
    hyphen), so it never matches a pupil's."""
    return f"anon-{row_id}"[:13]


def parse_whole_number(value: str, unit: str, least: int, most: int, *, named: str = "", note: str = "") -> int:
    """A setting's whole number of `unit` (or what `named` says it is) from `least` to `most`, or ValueError saying
    what it must be, with `note` after the range. Every numeric setting of the service is read with it (config.py)."""
    text = value.strip()
    if not text.isdigit() or not least <= int(text) <= most:
        what = named or f"a whole number of {unit}"
        raise ValueError(f"'{value}' must be {what} from {least} to {most}{note}")
    return int(text)
