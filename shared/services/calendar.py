"""The school-day calendar from the authority's term dates held in the database (`term_periods`).

Reading the periods is one small query (a few dozen rows); building the calendar around them (England's bank
holidays) costs more, and nearly every page needs it. So each process keeps the calendars it has built, keyed by
the periods themselves: an edit made by any server process or the command line changes what the query returns,
and every process then builds the new calendar on its next request. Nothing depends on clocks agreeing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy import select
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


def school_calendar(session: Session) -> SchoolCalendar:
    """The calendar of the authority's term dates as the database holds them now."""
    periods = term_periods(session)
    key = (session.get_bind().engine.url.render_as_string(hide_password=True), tuple(periods))
    with _lock:
        calendar = _built.get(key)
        if calendar is not None:
            _built.move_to_end(key)
            return calendar
    calendar = SchoolCalendar(periods)
    with _lock:
        _built[key] = calendar
        while len(_built) > KEPT:
            _built.popitem(last=False)
    return calendar
