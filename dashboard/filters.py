"""The dashboard's filters as they live in the URL, so a view can be shared and bookmarked:

    /dashboard/caseloads?from=2026-09-01&to=2026-12-03&school=100001&school=100002&phase=Primary&officer=12

`from` and `to` are the date range (both inclusive), `school` a school's URN (any number of them), `phase` a school
phase, `officer` a user's id. Pages may add their own (the overdue table's `sort`, `order` and `q`; the return's
`census`). Reading them never fails: what cannot be used becomes a problem the page shows in place of its figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import parse_qs, urlencode

from sqlalchemy.orm import Session

from shared.clock import long_date
from shared.domain.problems import Problem
from shared.queries.dashboard.choices import is_officer, phases, school_ids_by_urn
from shared.queries.dashboard.scope import Filters

FILTER_KEYS = ("from", "to", "school", "phase", "officer")
MAX_SCHOOLS = 50
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class Chosen:
    """The filters read from a URL: what to query with, what to show in the controls, and what was wrong."""

    filters: Filters
    school_urns: tuple[int, ...] = ()
    problems: tuple[Problem, ...] = ()  # why a filter cannot be used: shown instead of figures
    notes: tuple[str, ...] = ()
    params: dict[str, list[str]] = field(default_factory=dict)

    @property
    def usable(self) -> bool:
        return not self.problems

    def param(self, key: str, default: str = "") -> str:
        values = self.params.get(key) or [default]
        return values[0]


def school_year_start(today: date) -> date:
    """1 September of the school year `today` is in: the default start of the date range."""
    return date(today.year if today.month >= 9 else today.year - 1, 9, 1)


MAX_FIELDS = 200


def parse_query(search: str | None) -> dict[str, list[str]]:
    """The query string's parameters; past MAX_FIELDS of them, none (read_filters says why)."""
    try:
        return parse_qs((search or "").lstrip("?"), keep_blank_values=False, max_num_fields=MAX_FIELDS)
    except ValueError:
        return {}


def _too_many(search: str | None) -> bool:
    return (search or "").count("&") + 1 > MAX_FIELDS


def _number(value: str, digits: int) -> int | None:
    """A whole number written in 1 to `digits` ASCII digits, else None (so "²" or "١٢" are not numbers here)."""
    value = value.strip()
    return int(value) if re.fullmatch(rf"[0-9]{{1,{digits}}}", value) else None


def _date(params: dict[str, list[str]], key: str, name: str, problems: list[Problem]) -> date | None:
    value = (params.get(key) or [""])[0].strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(Problem(key, f"The {name} must be a real date, like {date(2026, 9, 1).isoformat()}"))
        return None


def read_filters(session: Session, search: str | None, today: date, alerts_in_queue: bool = True) -> Chosen:
    """The filters in a query string, checked against the data: unknown schools or officers, dates that are not
    dates, a range that runs backwards or lies wholly in the future are problems, never errors. `alerts_in_queue`
    is the authority's setting (long absence counted as CME), not the address's."""
    params = parse_query(search)
    problems: list[Problem] = []
    notes: list[str] = []
    if _too_many(search):
        problems.append(Problem("from", f"The address has too many filters: use {MAX_FIELDS} or fewer"))

    start = _date(params, "from", "start date", problems)
    end = _date(params, "to", "end date", problems)
    default_start = school_year_start(today)
    if start is None and end is not None and EARLIEST <= end < default_start:
        start = school_year_start(end)
    start = start or default_start
    end = end or today
    if start < EARLIEST or end < EARLIEST:
        problems.append(Problem("from", f"The dates must be on or after {long_date(EARLIEST)}"))
    elif start > end:
        problems.append(Problem("from", "The start date must be on or before the end date"))
    elif start > today:
        problems.append(
            Problem("from", f"The dates are in the future: there are no figures after today, {long_date(today)}")
        )
    elif end > today:
        notes.append(f"The figures run to today, {long_date(today)}: there are none after it.")
        end = today

    school_ids, urns = _schools(session, params.get("school", []), problems)
    phase = (params.get("phase") or [""])[0].strip() or None
    if phase is not None and phase not in phases(session):
        problems.append(Problem("phase", f"No school in the register has the phase “{phase[:60]}”"))
    officer_id = _officer(session, (params.get("officer") or [""])[0].strip(), problems)

    filters = Filters(
        start=start,
        end=end,
        school_ids=school_ids,
        phase=phase,
        officer_id=officer_id,
        alerts_in_queue=alerts_in_queue,
    )
    return Chosen(filters, urns, tuple(problems), tuple(notes), params)


def _schools(session: Session, values: list[str], problems: list[Problem]) -> tuple[frozenset[int] | None, tuple]:
    if not values:
        return None, ()
    if len(values) > MAX_SCHOOLS:
        problems.append(Problem("school", f"Choose {MAX_SCHOOLS} schools or fewer"))
        return None, ()
    urns: list[int] = []
    for value in values:
        urn = _number(value, 7)
        if urn is None:
            problems.append(Problem("school", f"“{value[:20]}” is not a school's URN: a URN is 6 digits"))
            continue
        urns.append(urn)
    found = school_ids_by_urn(session, urns)
    for urn in urns:
        if urn not in found:
            problems.append(Problem("school", f"No school with URN {urn} is in the schools register"))
    return frozenset(found.values()), tuple(sorted(found))


def _officer(session: Session, value: str, problems: list[Problem]) -> int | None:
    if not value:
        return None
    number = _number(value, 9)
    if number is None or not is_officer(session, number):
        problems.append(Problem("officer", "The officer chosen is not a CME officer or lead in this service"))
        return None
    return number


def query_string(params: dict[str, list[str]], **changes: str | list[str] | None) -> str:
    """The query string with some parameters changed (None or "" removes one), keys in a stable order."""
    merged = {key: list(values) for key, values in params.items()}
    for key, value in changes.items():
        if value is None or value == "" or value == []:
            merged.pop(key, None)
        else:
            merged[key] = value if isinstance(value, list) else [value]
    ordered = sorted(merged.items(), key=lambda item: (item[0] not in FILTER_KEYS, item[0]))
    text = urlencode([(key, value) for key, values in ordered for value in values])
    return f"?{text}" if text else ""


def filter_params(params: dict[str, list[str]]) -> dict[str, list[str]]:
    """Only the shared filters: what links to other pages carry."""
    return {key: values for key, values in params.items() if key in FILTER_KEYS}
