"""What the dashboard's reads share: several grouped counts in one statement, and how a name or a code is shown."""

from __future__ import annotations

from sqlalchemy import Date, Integer, Select, String, cast, func, literal, select, union_all
from sqlalchemy.orm import Session


def tally(name: str, source, *where, number=None, text=None, day=None, adding=None) -> Select:
    """One grouped count for `tallies`: the rows of `source` meeting `where` (or the sum of `adding` over them),
    by up to one number, one text and one date."""
    keys = [key for key in (number, text, day) if key is not None]
    statement = select(
        literal(name, String),
        literal(None, Integer) if number is None else number,
        literal(None, String) if text is None else text,
        literal(None, Date) if day is None else day,
        func.count() if adding is None else cast(func.coalesce(func.sum(adding), 0), Integer),
    )
    statement = statement.select_from(source).where(*where)
    return statement.group_by(*keys) if keys else statement


def tallies(session: Session, *counts: Select) -> dict[str, dict[tuple, int]]:
    """Several grouped counts in one statement, so rows they share (a CTE) are found once: for each tally's name,
    its counts by (number, text, day)."""
    found: dict[str, dict[tuple, int]] = {}
    for name, number, text, day, count in session.execute(union_all(*counts)):
        found.setdefault(name, {})[number, text, day] = count
    return found


def total(counts: dict[str, dict[tuple, int]], name: str) -> int:
    return sum(counts.get(name, {}).values())


def child_name(first: str | None, last: str | None) -> str:
    return " ".join(part for part in (first, last) if part) or "Name not known"
