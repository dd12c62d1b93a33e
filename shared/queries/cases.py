"""Reads for a case's page and a child's page: the case's single timeline of everything that happened on it, its
checks with what is overdue, and a child's cases, referrals and notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from shared.clock import long_date
from shared.domain.checks import check_label, is_overdue
from shared.domain.notices import EVENT_DATE_LABEL, GROUNDS
from shared.domain.vocab import CheckResult, ContactKind, NoticeKind, ReferralSource
from shared.models import AuditEvent, Case, CaseEvent, CaseNote, Child, Enquiry, Referral, SchoolNotice, User


@dataclass(frozen=True)
class Link:
    """A record the timeline links to: `kind` is "referral" or "school_notice", `key` its reference."""

    kind: str
    key: str


@dataclass(frozen=True)
class TimelineRow:
    when: datetime
    what: str
    who: str | None
    details: tuple[str, ...] = ()
    link: Link | None = None
    kind: str = "event"  # referral, notice, check, contact or event


@dataclass(frozen=True)
class CheckRow:
    check: Enquiry
    label: str
    overdue: bool


def _label(vocabulary, value: str | None) -> str:
    try:
        return vocabulary(value).label
    except ValueError:
        return value or ""


def _day(value: str | None) -> str:
    return long_date(date.fromisoformat(value)) if value else ""


def _referral_row(referral: Referral) -> TimelineRow:
    details = [f"From: {_label(ReferralSource, referral.source)}"]
    if referral.urgent:
        details.append("Urgent: the reporter thinks the child is at risk of harm")
    who: str | None
    if referral.anonymous:
        who = "Anonymous reporter"
    else:
        who = ", ".join(part for part in (referral.reporter_name, referral.reporter_organisation) if part) or None
    return TimelineRow(
        referral.received_at,
        f"Referral {referral.reference} received",
        who,
        tuple(details),
        Link("referral", referral.reference),
        "referral",
    )


def _notice_row(notice: SchoolNotice) -> TimelineRow:
    details = []
    try:
        kind = NoticeKind(notice.kind)
        details.append(f"{EVENT_DATE_LABEL[kind]}: {long_date(notice.event_date)}")
    except ValueError:
        kind = None
    if notice.deletion_ground in GROUNDS:
        ground = GROUNDS[notice.deletion_ground]
        details.append(f"Ground {ground.code}: {ground.label}")
    return TimelineRow(
        notice.submitted_at,
        f"School notice {notice.reference}: {kind.label if kind else notice.kind}",
        notice.school.name if notice.school else None,
        tuple(details),
        Link("school_notice", notice.reference),
        "notice",
    )


def _contact_row(note: CaseNote) -> TimelineRow:
    what = _label(ContactKind, note.kind)
    if note.with_whom and note.kind != ContactKind.NOTE:
        what = f"{what} with {note.with_whom}"
    details = ([f"Outcome: {note.outcome}"] if note.outcome else []) + [note.text]
    return TimelineRow(
        note.occurred_at, what, note.author.name if note.author else None, tuple(details), None, "contact"
    )


def _event_row(event: CaseEvent) -> TimelineRow:
    return TimelineRow(event.occurred_at, event.summary, event.actor.name if event.actor else None, (), None, "event")


# What the timeline says for each change to a check the audit trail records.
_CHECK_ACTIONS = {
    "check.added": "Check added",
    "check.asked": "Check asked",
    "check.answered": "Check answered",
    "check.not_applicable": "Check not needed",
}


def _check_row(event: AuditEvent, who: str | None, labels: dict[int, str]) -> TimelineRow:
    after = event.after or {}
    label = labels.get(event.object_id, "") if event.object_id is not None else ""
    details: list[str] = []
    if event.action == "check.added":
        details.append(f"Due {_day(after.get('due_on'))}")
    elif event.action in ("check.asked", "check.answered"):
        details.append(f"Asked on {_day(after.get('asked_on'))}")
        if after.get("answered_on"):
            details.append(f"Answered on {_day(after.get('answered_on'))}")
        if after.get("result"):
            details.append(f"Result: {_label(CheckResult, after.get('result'))}")
        if after.get("answer"):
            details.append(after["answer"])
    elif event.action == "check.not_applicable" and after.get("not_applicable_reason"):
        details.append(f"Why: {after['not_applicable_reason']}")
    what = f"{_CHECK_ACTIONS.get(event.action, 'Check changed')}: {label}"
    return TimelineRow(event.occurred_at, what, who, tuple(details), None, "check")


def case_timeline(session: Session, case: Case) -> list[TimelineRow]:
    """Everything that happened on the case, newest first: the referrals and school notices attached to it, each
    change to its checks (from the audit trail, which says who made it and when), its contacts and notes, and its
    events (opened, status moves, assignment, risk, closure, reopening)."""
    rows: list[TimelineRow] = []
    for referral in session.scalars(select(Referral).where(Referral.case_id == case.id)):
        rows.append(_referral_row(referral))
    notices = select(SchoolNotice).where(SchoolNotice.case_id == case.id).options(selectinload(SchoolNotice.school))
    for notice in session.scalars(notices):
        rows.append(_notice_row(notice))
    for event in session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).options(selectinload(CaseEvent.actor))
    ):
        rows.append(_event_row(event))
    checks = session.scalars(select(Enquiry).where(Enquiry.case_id == case.id)).all()
    labels = {check.id: check_label(check.check_type, check.description, check.other_authority) for check in checks}
    if labels:
        changes = session.execute(
            select(AuditEvent, User.name)
            .outerjoin(User, User.id == AuditEvent.actor_id)
            .where(AuditEvent.object_type == "enquiry", AuditEvent.object_id.in_(list(labels)))
        )
        for change, name in changes:
            rows.append(_check_row(change, name, labels))
    for note in session.scalars(
        select(CaseNote).where(CaseNote.case_id == case.id).options(selectinload(CaseNote.author))
    ):
        rows.append(_contact_row(note))
    # Newest first; rows of the same instant in the reverse of the order they were gathered in.
    newest_first = sorted(enumerate(rows), key=lambda pair: (pair[1].when, pair[0]), reverse=True)
    return [row for _, row in newest_first]


def case_checks(case: Case, today: date) -> list[CheckRow]:
    """The case's checks, soonest due first, each with its name and whether it is overdue (never on a closed
    case: nothing more is asked once the case is closed)."""
    return [
        CheckRow(
            check,
            check_label(check.check_type, check.description, check.other_authority),
            case.is_open and is_overdue(check, today),
        )
        for check in sorted(case.enquiries, key=lambda check: (check.due_on, check.id))
    ]


def case_check(session: Session, case: Case, check_id: int) -> Enquiry | None:
    """One of the case's checks (None for a check of another case, as for one that does not exist)."""
    return session.scalar(select(Enquiry).where(Enquiry.id == check_id, Enquiry.case_id == case.id))


def child_by_id(session: Session, child_id: int) -> Child | None:
    return session.scalar(
        select(Child)
        .where(Child.id == child_id)
        .options(selectinload(Child.carers), selectinload(Child.current_school))
    )


@dataclass(frozen=True)
class ChildRecords:
    cases: list[Case]
    referrals: list[Referral]
    notices: list[SchoolNotice]


def child_records(session: Session, child: Child) -> ChildRecords:
    """The child's cases (newest first, open or closed), and the referrals and school notices about them: those
    linked to the child and those attached to one of their cases."""
    cases = list(
        session.scalars(
            select(Case)
            .where(Case.child_id == child.id)
            .options(selectinload(Case.assigned_to))
            .order_by(Case.opened_at.desc(), Case.id.desc())
        )
    )
    case_ids = [case.id for case in cases]
    referrals = session.scalars(
        select(Referral)
        .where(or_(Referral.child_id == child.id, Referral.case_id.in_(case_ids)))
        .order_by(Referral.received_at.desc(), Referral.id.desc())
    )
    notices = session.scalars(
        select(SchoolNotice)
        .where(or_(SchoolNotice.child_id == child.id, SchoolNotice.case_id.in_(case_ids)))
        .options(selectinload(SchoolNotice.school))
        .order_by(SchoolNotice.submitted_at.desc(), SchoolNotice.id.desc())
    )
    return ChildRecords(cases, list(referrals), list(notices))
