"""Reads for pages and the dashboard: data in the shape a page or chart shows it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from shared.domain.casework import OPEN_STATUSES, CaseStatus
from shared.domain.vocab import CheckStatus, NoticeStatus, ReferralStatus
from shared.models import Case, Child, Enquiry, Referral, ReferralAddition, SchoolNotice, User


@dataclass(frozen=True)
class Overview:
    children: int
    new_referrals: int
    urgent_referrals: int
    notices_for_cme: int
    open_cases: int
    unassigned_cases: int
    overdue_checks: int
    cases_by_status: dict[str, int]


@dataclass(frozen=True)
class Workload:
    open_cases: int
    overdue_checks: int


def _cases_by_status(session: Session, *where) -> dict[str, int]:
    return dict(session.execute(select(Case.status, func.count()).where(*where).group_by(Case.status)).all())


def _overdue_checks(session: Session, today: date, *where) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Enquiry)
            .join(Case)
            .where(
                Enquiry.status.in_([CheckStatus.TO_DO, CheckStatus.ASKED]),
                Enquiry.due_on < today,
                Case.status.in_(OPEN_STATUSES),
                *where,
            )
        )
        or 0
    )


def overview(session: Session, today: date) -> Overview:
    """The team's headline counts."""

    def count(statement) -> int:
        return session.scalar(statement) or 0

    by_status = _cases_by_status(session)
    return Overview(
        children=count(select(func.count()).select_from(Child)),
        new_referrals=count(select(func.count()).select_from(Referral).where(Referral.status == ReferralStatus.NEW)),
        urgent_referrals=count(
            select(func.count())
            .select_from(Referral)
            .where(Referral.status == ReferralStatus.NEW, Referral.urgent.is_(True))
        ),
        notices_for_cme=count(
            select(func.count()).select_from(SchoolNotice).where(SchoolNotice.status == NoticeStatus.FOR_CME)
        ),
        open_cases=sum(n for status, n in by_status.items() if status in OPEN_STATUSES),
        unassigned_cases=count(
            select(func.count()).select_from(Case).where(Case.status.in_(OPEN_STATUSES), Case.assigned_to_id.is_(None))
        ),
        overdue_checks=_overdue_checks(session, today),
        cases_by_status={status.value: by_status.get(status.value, 0) for status in CaseStatus},
    )


def workload(session: Session, today: date, officer_id: int) -> Workload:
    """One officer's open cases and overdue checks."""
    mine = Case.assigned_to_id == officer_id
    open_cases = session.scalar(select(func.count()).select_from(Case).where(mine, Case.status.in_(OPEN_STATUSES)))
    return Workload(open_cases=open_cases or 0, overdue_checks=_overdue_checks(session, today, mine))


def school_notices(session: Session, school_id: int, limit: int = 200) -> list[SchoolNotice]:
    return list(
        session.scalars(
            select(SchoolNotice)
            .where(SchoolNotice.school_id == school_id)
            .order_by(SchoolNotice.submitted_at.desc(), SchoolNotice.id.desc())
            .limit(limit)
        )
    )


def users_for_admin(session: Session) -> list[User]:
    return list(session.scalars(select(User).options(selectinload(User.school)).order_by(User.role, User.name)))


def new_referrals(session: Session, limit: int = 200) -> list[Referral]:
    """Referrals nobody has triaged yet: urgent first, then oldest first."""
    return list(
        session.scalars(
            select(Referral)
            .where(Referral.status == ReferralStatus.NEW)
            .order_by(Referral.urgent.desc(), Referral.received_at, Referral.id)
            .limit(limit)
        )
    )


def referral_by_reference(session: Session, reference: str) -> Referral | None:
    return session.scalar(select(Referral).where(Referral.reference == reference))


def referral_additions(session: Session, referral_id: int) -> list[ReferralAddition]:
    return list(
        session.scalars(
            select(ReferralAddition)
            .where(ReferralAddition.referral_id == referral_id)
            .order_by(ReferralAddition.received_at, ReferralAddition.id)
        )
    )
