"""What every kind of item in the CME team's intake queue gives the queue: its rows, each with the same columns,
and the one item a triage page shows. Each kind is a module of this package (referrals.py, notices.py, alerts.py)
making one `QueueKind`; the package lists them in `KINDS`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Date, Integer, Select, String, false, literal
from sqlalchemy.orm import Session

from shared.domain.vocab import Labelled


class Item(Protocol):
    """What every kind of item has: a reference, a status, and what triage decided about it."""

    id: int
    reference: str
    status: str
    child_id: int | None
    case_id: int | None
    triaged_by_id: int | None
    triaged_at: datetime | None
    closed_reason: str | None


class Option(NamedTuple):
    """One choice of the queue's filters: the value in the address, and what the checkbox says."""

    value: str
    label: str


@dataclass(frozen=True)
class QueueRow:
    """One item waiting for a decision, whatever its kind."""

    kind: str  # its QueueKind's name
    reference: str
    source: str  # one of its kind's sources' values
    detail: str | None  # a referral's nothing; a notice's kind (NoticeKind code)
    from_name: str | None  # the school that sent a notice, or whose marks raised an alert
    first_name: str | None
    last_name: str | None
    date_of_birth: date | None
    received_at: datetime
    urgent: bool
    status: str  # one of its kind's waiting statuses
    run_start: date | None = None  # an alert's run of unexplained absence: its first day
    run_sessions: int | None = None  # ... and its length in sessions when the alert was raised


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int  # items matching the filters, on every page
    page: int
    pages: int


@dataclass(frozen=True)
class QueueKind:
    """One kind of item in the queue."""

    name: str  # the rows' kind: "referral"
    noun: str  # what people call one: "school notice"
    model: Any  # the model it is kept in (with its reference and status)
    prefix: str  # its references begin so: "RF"
    waiting: tuple[Labelled, ...]  # the statuses of one still waiting for a decision
    sources: tuple[Option, ...]  # where one comes from, as the queue's filter offers it
    # The queue's rows of this kind with one of these waiting statuses, from one of these sources (None: any).
    rows: Callable[[Sequence[str], Sequence[str] | None], Select]
    # The item with this reference, with what its triage page shows, or None (also one the team never had).
    for_triage: Callable[[Session, str], Any]
    received: Any  # the column of when one arrived
    from_school: Any  # the column of the school that sent one, or None for a kind that has none
    # About long absence from school: left out of the queue where the authority does not count that as missing
    # education (it stays on the attendance pages for the attendance team).
    long_absence: bool = False


_NOTHING = {
    "detail": literal(None, String),
    "from_name": literal(None, String),
    "urgent": false(),
    "run_start": literal(None, Date),
    "run_sessions": literal(None, Integer),
}
_COLUMNS = tuple(QueueRow.__dataclass_fields__)


def queue_columns(kind: str, **columns) -> list:
    """A kind's columns for the queue, labelled and in QueueRow's order (a UNION matches them by place): a column
    the kind does not give is NULL of its type (not urgent)."""
    given = {"kind": literal(kind, String), **columns}
    missing = set(_COLUMNS) - given.keys() - _NOTHING.keys()
    if missing or given.keys() - set(_COLUMNS):
        raise TypeError(f"the queue's columns are {', '.join(_COLUMNS)}")
    return [(given[name] if name in given else _NOTHING[name]).label(name) for name in _COLUMNS]
