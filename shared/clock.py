"""The service's sense of "today": the date in England, whatever time zone the server runs in."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def uk_today() -> date:
    return datetime.now(UK).date()


def long_date(value: date | datetime | None) -> str:
    """A date as GOV.UK writes it, "23 November 2026"; a datetime is shown as its date in England."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(UK).date()
    return f"{value.day} {value:%B %Y}"
