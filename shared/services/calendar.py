from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from shared.domain.school_days import SchoolCalendar, parse_term_dates


@lru_cache(maxsize=8)
def _load(path: str, modified: float) -> SchoolCalendar:
    return SchoolCalendar(parse_term_dates(Path(path).read_text(encoding="utf-8-sig")))


def school_calendar(path: str) -> SchoolCalendar:
    """The calendar from a term dates file, re-read when the file changes."""
    return _load(path, Path(path).stat().st_mtime)
