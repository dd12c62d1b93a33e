"""The school-day calendar from the authority's term dates held in the database (`term_periods`).

Building it costs a query and a little work; nearly every page needs it. So each process keeps the calendars it
has built, keyed by the database and a fingerprint of the table (how many rows, their ids, the latest change):
an edit made by any server process or the command line changes the fingerprint, and every process then builds
the new calendar on its next request. The fingerprint is one cheap aggregate query.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.domain.school_days import Period, SchoolCalendar
from shared.models import TermPeriod

KEPT = 8  # calendars kept per process: one per database in use, and a few just replaced
_built: OrderedDict[tuple, SchoolCalendar] = OrderedDict()
_lock = threading.Lock()


def term_periods(session: Session) -> list[Period]:
    """The authority's term dates as the domain's periods, earliest first."""
    rows = session.execute(
        select(TermPeriod.kind, TermPeriod.starts_on, TermPeriod.ends_on, TermPeriod.description).order_by(
            TermPeriod.starts_on, TermPeriod.kind.desc(), TermPeriod.id
        )
    )
    return [Period(row.kind, row.starts_on, row.ends_on, row.description) for row in rows]


def fingerprint(session: Session) -> tuple:
    row = session.execute(
        select(
            func.count(TermPeriod.id),
            func.max(TermPeriod.id),
            func.coalesce(func.sum(TermPeriod.id), 0),
            func.max(TermPeriod.updated_at),
        )
    ).one()
    return (session.get_bind().url.render_as_string(hide_password=True), *row)


def school_calendar(session: Session) -> SchoolCalendar:
    """The calendar of the authority's term dates as the database holds them now."""
    key = fingerprint(session)
    with _lock:
        calendar = _built.get(key)
        if calendar is not None:
            _built.move_to_end(key)
            return calendar
    calendar = SchoolCalendar(term_periods(session))
    with _lock:
        _built[key] = calendar
        while len(_built) > KEPT:
            _built.popitem(last=False)
    return calendar
