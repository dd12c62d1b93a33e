"""Referrals over time: how many the team received each week or month, by source, on the outcomes page."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.domain.attendance import week_start
from shared.domain.vocab import ReferralSource
from shared.models import Case, Referral
from shared.queries.dashboard.days import during, uk_date
from shared.queries.dashboard.scope import Filters, case_bounds, school_of_case

Bucket = Literal["week", "month"]


@dataclass(frozen=True)
class SourcePoint:
    period_start: date  # the Monday of the week, or the first of the month
    source: str
    label: str
    count: int


def period_start(day: date, bucket: Bucket) -> date:
    return week_start(day) if bucket == "week" else day.replace(day=1)


def periods(start: date, end: date, bucket: Bucket) -> list[date]:
    """Every period from the one holding `start` to the one holding `end`."""
    found, current = [], period_start(start, bucket)
    while current <= end:
        found.append(current)
        current = (
            current + timedelta(days=7)
            if bucket == "week"
            else date(current.year + current.month // 12, current.month % 12 + 1, 1)
        )
    return found


def referrals_over_time(session: Session, filters: Filters, bucket: Bucket) -> list[SourcePoint]:
    """Referrals received in the dates per week or month and source, every period of the dates listed for every
    source (zeros included), by period then source. A period at either end counts only the days inside the dates.
    One query: counted per day and source in the database, then summed into periods."""
    if bucket not in ("week", "month"):
        raise ValueError("bucket must be week or month")
    day = uk_date(session, Referral.received_at, filters.start.year, filters.end.year)
    query = select(day.label("day"), Referral.source.label("source")).where(
        during(Referral.received_at, filters.start, filters.end)
    )
    if filters.bounds_cases:
        query = query.join(Case, Case.id == Referral.case_id).where(*case_bounds(filters, school_of_case()))
    received = query.subquery("received")
    counts: Counter = Counter()
    for received_on, source, number in session.execute(
        select(received.c.day, received.c.source, func.count()).group_by(received.c.day, received.c.source)
    ):
        counts[period_start(received_on, bucket), source] += number
    labels = {source.value: source.label for source in ReferralSource}
    for _, source in counts:
        labels.setdefault(source, source)  # a source since taken off the list still counts, under its code
    return [
        SourcePoint(start, source, label, counts[start, source])
        for start in periods(filters.start, filters.end, bucket)
        for source, label in labels.items()
    ]
