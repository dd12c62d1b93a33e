"""The service's sense of "today": the date in England, whatever time zone the server runs in."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def uk_today() -> date:
    return datetime.now(UK).date()
