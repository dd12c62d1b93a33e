"""Reads for the CME team's intake: everything waiting for a decision in one list, and what triage needs.

The queue is a union of one SELECT per kind of item (referrals, school notices routed to the team, attendance
alerts for a run of unexplained absence), each giving the same columns, so the database sorts, counts and pages
the whole queue: urgent first, then oldest first. Adding a kind of item is adding one entry to `_KINDS`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, Integer, Select, String, false, func, literal, select, union_all
from sqlalchemy.orm import Session, selectinload

from shared.domain.casework import OPEN_STATUSES
from shared.domain.vocab import NoticeStatus, ReferralSource, ReferralStatus
from shared.models import AttendanceAlert, AttendancePupil, Case, Referral, School, SchoolNotice

PER_PAGE = 50


class ItemKind(StrEnum):
    REFERRAL = "referral"
    NOTICE = "notice"
    ALERT = "alert"


class QueueSource(StrEnum):
    """Where an item came from, as the queue's filter offers it."""

    PUBLIC = ReferralSource.PUBLIC.value
    PROFESSIONAL = ReferralSource.PROFESSIONAL.value
    SCHOOL = ReferralSource.SCHOOL.value
    OTHER_LA = ReferralSource.OTHER_LA.value
    SCHOOL_NOTICE = "school_notice"
    ATTENDANCE_ALERT = "attendance_alert"

    @property
    def label(self) -> str:
        return _SOURCE_LABELS[self]


_SOURCE_LABELS = {
    QueueSource.PUBLIC: "Member of the public",
    QueueSource.PROFESSIONAL: "Professional",
    QueueSource.SCHOOL: "School (a referral)",
    QueueSource.OTHER_LA: "Another local authority",
    QueueSource.SCHOOL_NOTICE: "School notice",
    QueueSource.ATTENDANCE_ALERT: "Attendance alert",
}


class QueueStatus(StrEnum):
    """The statuses of items waiting for a decision, as the queue's filter offers them."""

    NEW = ReferralStatus.NEW.value
    IN_TRIAGE = ReferralStatus.IN_TRIAGE.value
    FOR_CME = NoticeStatus.FOR_CME.value

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    QueueStatus.NEW: "New",
    QueueStatus.IN_TRIAGE: "In triage",
    QueueStatus.FOR_CME: "Sent to the CME team",
}

# The statuses of an item still waiting for a decision, by kind.
REFERRAL_WAITING = (ReferralStatus.NEW, ReferralStatus.IN_TRIAGE)
NOTICE_WAITING = (NoticeStatus.FOR_CME,)
ALERT_WAITING = (ReferralStatus.NEW, ReferralStatus.IN_TRIAGE)  # an alert's statuses are a referral's


@dataclass(frozen=True)
class QueueRow:
    """One item waiting for a decision, whatever its kind."""

    kind: str  # ItemKind
    reference: str
    source: str  # QueueSource
    detail: str | None  # a referral's nothing; a notice's kind (NoticeKind code)
    from_name: str | None  # the school that sent a notice, or whose marks raised an alert
    first_name: str | None
    last_name: str | None
    date_of_birth: date | None
    received_at: datetime
    urgent: bool
    status: str  # QueueStatus
    run_start: date | None = None  # an alert's run of unexplained absence: its first day
    run_sessions: int | None = None  # ... and its length in sessions when the alert was raised


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int  # items matching the filters, on every page
    page: int
    pages: int


def _referrals(sources: Collection[str], statuses: Collection[str]) -> Select | None:
    wanted_sources = [source for source in ReferralSource if not sources or source.value in sources]
    wanted_statuses = [status for status in REFERRAL_WAITING if not statuses or status.value in statuses]
    if not wanted_sources or not wanted_statuses:
        return None
    where = [Referral.status.in_(wanted_statuses)]
    if sources:
        where.append(Referral.source.in_(wanted_sources))
    return select(
        literal(ItemKind.REFERRAL.value, String).label("kind"),
        Referral.reference.label("reference"),
        Referral.source.label("source"),
        literal(None, String).label("detail"),
        literal(None, String).label("from_name"),
        Referral.child_first_name.label("first_name"),
        Referral.child_last_name.label("last_name"),
        Referral.child_date_of_birth.label("date_of_birth"),
        Referral.received_at.label("received_at"),
        Referral.urgent.label("urgent"),
        Referral.status.label("status"),
        literal(None, Date).label("run_start"),
        literal(None, Integer).label("run_sessions"),
    ).where(*where)


def _notices(sources: Collection[str], statuses: Collection[str]) -> Select | None:
    if sources and QueueSource.SCHOOL_NOTICE not in sources:
        return None
    wanted_statuses = [status for status in NOTICE_WAITING if not statuses or status.value in statuses]
    if not wanted_statuses:
        return None
    return (
        select(
            literal(ItemKind.NOTICE.value, String).label("kind"),
            SchoolNotice.reference.label("reference"),
            literal(QueueSource.SCHOOL_NOTICE.value, String).label("source"),
            SchoolNotice.kind.label("detail"),
            School.name.label("from_name"),
            SchoolNotice.pupil_first_name.label("first_name"),
            SchoolNotice.pupil_last_name.label("last_name"),
            SchoolNotice.pupil_date_of_birth.label("date_of_birth"),
            SchoolNotice.submitted_at.label("received_at"),
            false().label("urgent"),
            SchoolNotice.status.label("status"),
            literal(None, Date).label("run_start"),
            literal(None, Integer).label("run_sessions"),
        )
        .join(School, School.id == SchoolNotice.school_id)
        .where(SchoolNotice.status.in_(wanted_statuses))
    )


def _alerts(sources: Collection[str], statuses: Collection[str]) -> Select | None:
    if sources and QueueSource.ATTENDANCE_ALERT not in sources:
        return None
    wanted_statuses = [status for status in ALERT_WAITING if not statuses or status.value in statuses]
    if not wanted_statuses:
        return None
    return (
        select(
            literal(ItemKind.ALERT.value, String).label("kind"),
            AttendanceAlert.reference.label("reference"),
            literal(QueueSource.ATTENDANCE_ALERT.value, String).label("source"),
            literal(None, String).label("detail"),
            School.name.label("from_name"),
            AttendanceAlert.pupil_first_name.label("first_name"),
            AttendanceAlert.pupil_last_name.label("last_name"),
            AttendanceAlert.pupil_date_of_birth.label("date_of_birth"),
            AttendanceAlert.raised_at.label("received_at"),
            false().label("urgent"),
            AttendanceAlert.status.label("status"),
            AttendanceAlert.run_start.label("run_start"),
            AttendanceAlert.sessions.label("run_sessions"),
        )
        .join(School, School.id == AttendanceAlert.school_id)
        .where(AttendanceAlert.status.in_(wanted_statuses))
    )


# One SELECT per kind of item in the queue, each with the columns of QueueRow in its order.
_KINDS: tuple[Callable[[Collection[str], Collection[str]], Select | None], ...] = (_referrals, _notices, _alerts)


def _queue(sources: Collection[str], statuses: Collection[str], with_alerts: bool = True):
    kinds = _KINDS if with_alerts else tuple(kind for kind in _KINDS if kind is not _alerts)
    parts = [part for part in (kind(sources, statuses) for kind in kinds) if part is not None]
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
    with_alerts: bool = True,
) -> QueuePage:
    """Everything waiting for the team's decision, urgent first, then oldest first, a page at a time, narrowed to
    some sources and statuses (none given: all of them). Unknown filter values match nothing of their own.
    Attendance alerts are left out where the authority does not count long absence as missing education
    (`with_alerts` off): they stay on the attendance pages for the attendance team."""
    queue = _queue(set(sources), set(statuses), with_alerts)
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


def waiting_count(session: Session, with_alerts: bool = True) -> int:
    """How many items wait for a decision (the home page's figure)."""
    queue = _queue((), (), with_alerts)
    return session.scalar(select(func.count()).select_from(queue)) or 0


# Triage -----------------------------------------------------------------------------------------------------------


def referral_for_triage(session: Session, reference: str) -> Referral | None:
    return session.scalar(
        select(Referral)
        .where(Referral.reference == reference)
        .options(selectinload(Referral.case), selectinload(Referral.child), selectinload(Referral.triaged_by))
    )


def notice_for_triage(session: Session, reference: str) -> SchoolNotice | None:
    return session.scalar(
        select(SchoolNotice)
        .where(SchoolNotice.reference == reference)
        .options(
            selectinload(SchoolNotice.school),
            selectinload(SchoolNotice.case),
            selectinload(SchoolNotice.child),
            selectinload(SchoolNotice.triaged_by),
        )
    )


def alert_for_triage(session: Session, reference: str) -> AttendanceAlert | None:
    return session.scalar(
        select(AttendanceAlert)
        .where(AttendanceAlert.reference == reference)
        .options(
            selectinload(AttendanceAlert.school),
            selectinload(AttendanceAlert.pupil).selectinload(AttendancePupil.school),
            selectinload(AttendanceAlert.case),
            selectinload(AttendanceAlert.child),
            selectinload(AttendanceAlert.triaged_by),
        )
    )


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


_MODEL_BY_PREFIX = {"RF": Referral, "SN": SchoolNotice, "AA": AttendanceAlert}


def item_with_reference(session: Session, reference: str) -> Referral | SchoolNotice | AttendanceAlert | None:
    """The referral, notice or attendance alert with this reference (its prefix says which), or None."""
    model = _MODEL_BY_PREFIX.get(reference[:2])
    if model is None:
        return None
    return session.scalar(select(model).where(model.reference == reference))
