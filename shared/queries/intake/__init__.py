"""Reads for the CME team's intake: everything waiting for a decision in one list, and what triage needs.

Each kind of item (referrals, school notices routed to the team, attendance alerts for a run of unexplained
absence) is a module of this package making one `QueueKind` (base.py): its rows for the queue, each with the same
columns, its statuses and sources, and how its triage page finds one. The queue is a UNION of their rows, so the
database sorts, counts and pages the whole queue: urgent first, then oldest first. Adding a kind of item is
adding its module to `KINDS` (and its triage to shared.services.intake).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from shared.domain.casework import OPEN_STATUSES
from shared.models import Case
from shared.queries.intake import alerts, notices, referrals
from shared.queries.intake.base import Item, Option, QueueKind, QueuePage, QueueRow

KINDS: tuple[QueueKind, ...] = (referrals.KIND, notices.KIND, alerts.KIND)
PER_PAGE = 50


def kinds_in_queue(long_absence_is_cme: bool = True) -> tuple[QueueKind, ...]:
    """The kinds of item the queue holds. Where the authority does not count long absence as missing education,
    the items about it (attendance alerts) are left out: they stay on the attendance pages for the attendance
    team."""
    return tuple(kind for kind in KINDS if long_absence_is_cme or not kind.long_absence)


def source_options(kinds: Sequence[QueueKind] = KINDS) -> list[Option]:
    """Where the items come from, as the queue's filter offers it, kind by kind."""
    return [option for kind in kinds for option in kind.sources]


def status_options(kinds: Sequence[QueueKind] = KINDS) -> list[Option]:
    """The statuses of items waiting for a decision, as the queue's filter offers them (each once)."""
    statuses = dict.fromkeys(status for kind in kinds for status in kind.waiting)
    return [Option(status.value, status.label) for status in statuses]


def _queue(kinds: Sequence[QueueKind], sources: Collection[str], statuses: Collection[str]):
    parts = []
    for kind in kinds:
        wanted_statuses = [status for status in kind.waiting if not statuses or status in statuses]
        wanted_sources = [option.value for option in kind.sources if not sources or option.value in sources]
        if wanted_statuses and wanted_sources:
            parts.append(kind.rows(wanted_statuses, wanted_sources if sources else None))
    if not parts:
        return None
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("queue")


def intake_queue(
    session: Session,
    *,
    sources: Collection[str] = (),
    statuses: Collection[str] = (),
    page: int = 1,
    per_page: int = PER_PAGE,
    kinds: Sequence[QueueKind] = KINDS,
) -> QueuePage:
    """Everything of these kinds waiting for the team's decision, urgent first, then oldest first, a page at a
    time, narrowed to some sources and statuses (none given: all of them). Unknown filter values match nothing of
    their own."""
    queue = _queue(kinds, set(sources), set(statuses))
    if queue is None:
        return QueuePage([], 0, 1, 1)
    total = session.scalar(select(func.count()).select_from(queue)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = session.execute(
        select(queue)
        .order_by(queue.c.urgent.desc(), queue.c.received_at, queue.c.reference)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return QueuePage([QueueRow(**row._mapping) for row in rows], total, page, pages)


def waiting_count(session: Session, kinds: Sequence[QueueKind] = KINDS) -> int:
    """How many items of these kinds wait for a decision (the home page's figure)."""
    queue = _queue(kinds, (), ())
    return session.scalar(select(func.count()).select_from(queue)) or 0


# Triage -----------------------------------------------------------------------------------------------------------


def open_cases_by_child(session: Session, child_ids: Iterable[int]) -> dict[int, list[Case]]:
    """Every open case of each of these children, the oldest opened first."""
    child_ids = sorted(set(child_ids))
    found: dict[int, list[Case]] = {child_id: [] for child_id in child_ids}
    if not child_ids:
        return found
    cases = session.scalars(
        select(Case)
        .where(Case.child_id.in_(child_ids), Case.status.in_(OPEN_STATUSES))
        .order_by(Case.opened_at, Case.id)
    )
    for case in cases:
        found[case.child_id].append(case)
    return found


_BY_PREFIX = {kind.prefix: kind for kind in KINDS}


def item_with_reference(session: Session, reference: str) -> Item | None:
    """The item of any kind with this reference (its prefix says which kind), or None."""
    kind = _BY_PREFIX.get(reference[:2])
    if kind is None:
        return None
    return session.scalar(select(kind.model).where(kind.model.reference == reference))
