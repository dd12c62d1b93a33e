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


def clock_time(moment: datetime) -> str:
    """The time of a moment in England as GOV.UK writes it: "6:30am", "3pm", "midday", "midnight"."""
    local = moment.astimezone(UK)
    if (local.hour, local.minute) == (12, 0):
        return "midday"
    if (local.hour, local.minute) == (0, 0):
        return "midnight"
    minutes = f":{local.minute:02d}" if local.minute else ""
    return f"{local.hour % 12 or 12}{minutes}{'am' if local.hour < 12 else 'pm'}"


def date_and_time(value: datetime | None) -> str:
    """A moment as GOV.UK writes it, in England: "7 December 2026 at 6:30am", "1 March 2027 at midday"."""
    if value is None:
        return ""
    return f"{long_date(value)} at {clock_time(value)}"
