"""Reads for the team's pages and reminders: each officer's open cases, checks overdue and due soon."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from shared.domain.casework import OPEN_STATUSES
from shared.domain.vocab import CheckStatus
from shared.models import Case, Enquiry, User

OPEN_CHECK = Enquiry.status.in_([CheckStatus.TO_DO, CheckStatus.ASKED])


@dataclass(frozen=True)
class OfficerLoad:
    officer: User | None  # None: the cases nobody is assigned
    open_cases: int
    overdue_checks: int
    due_soon: int
    by_status: dict[str, int]


def workload(session: Session, officers: list[User], today: date, soon: date) -> list[OfficerLoad]:
    """Each officer's open cases by status, overdue checks and checks due from today to `soon`; then nobody's."""
    cases: dict = {}
    for officer_id, status, count in session.execute(
        select(Case.assigned_to_id, Case.status, func.count())
        .where(Case.status.in_(OPEN_STATUSES))
        .group_by(Case.assigned_to_id, Case.status)
    ):
        cases.setdefault(officer_id, {})[status] = count

    def checks(*where) -> dict:
        return dict(
            session.execute(
                select(Case.assigned_to_id, func.count())
                .select_from(Enquiry)
                .join(Case)
                .where(OPEN_CHECK, Case.status.in_(OPEN_STATUSES), *where)
                .group_by(Case.assigned_to_id)
            ).all()
        )

    overdue = checks(Enquiry.due_on < today)
    due = checks(Enquiry.due_on >= today, Enquiry.due_on <= soon)
    rows = []
    for officer in [*officers, None]:
        key = officer.id if officer else None
        by_status = cases.get(key, {})
        rows.append(OfficerLoad(officer, sum(by_status.values()), overdue.get(key, 0), due.get(key, 0), by_status))
    return rows


def open_cases(session: Session, officer_id: int | None) -> list[Case]:
    """Open cases assigned to this officer (None: to nobody), with their children and checks loaded."""
    where = Case.assigned_to_id.is_(None) if officer_id is None else Case.assigned_to_id == officer_id
    return list(
        session.scalars(
            select(Case)
            .where(where, Case.status.in_(OPEN_STATUSES))
            .options(selectinload(Case.child), selectinload(Case.enquiries))
            .order_by(Case.opened_at, Case.id)
        )
    )


def checks_due(session: Session, officer_id: int, until: date) -> list[Enquiry]:
    """The officer's open checks due on or before `until` (overdue ones included), soonest first."""
    return list(
        session.scalars(
            select(Enquiry)
            .join(Case)
            .where(
                OPEN_CHECK, Case.status.in_(OPEN_STATUSES), Case.assigned_to_id == officer_id, Enquiry.due_on <= until
            )
            .options(selectinload(Enquiry.case))
            .order_by(Enquiry.due_on, Case.reference, Enquiry.id)
        )
    )
