"""The service's one clock: the moment now (UTC) and today's date in England, whatever time zone the server runs
in. Every part of the service asks this module what time it is; nothing else reads the system clock. Tests set the
clock for the whole process in one line (the `clock` fixture, built on time-machine), never by patching the places
that import these functions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    """The moment now, as an aware UTC datetime: what the service stores."""
    return datetime.now(UTC)


def uk_now() -> datetime:
    """The moment now, on the clocks in England (GMT or BST)."""
    return utcnow().astimezone(UK)


def uk_today() -> date:
    """Today's date in England: the date school days, deadlines and ages are counted from."""
    return uk_now().date()


def long_date(value: date | datetime | None) -> str:
    """A date as GOV.UK writes it, "23 November 2026"; a datetime is shown as its date in England."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(UK).date()
    return f"{value.day} {value:%B %Y}"
