"""Assigning cases to officers: the CME lead (or an admin) assigns and reassigns; the officer is told by email."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from shared.domain.problems import Problem, Refused
from shared.domain.roles import Role
from shared.models import Case, OutboxMessage, User
from shared.services import audit, emails, mail
from shared.services.cases import CASE_FIELDS, StaleEdit, check_version, record_event

CASEWORKER_ROLES = (Role.OFFICER, Role.LEAD)


def caseworkers(session: Session) -> list[User]:
    """The people cases can be assigned to: active officers and leads, by name."""
    return list(
        session.scalars(
            select(User).where(User.role.in_(CASEWORKER_ROLES), User.active.is_(True)).order_by(User.name, User.id)
        )
    )


def assign(
    session: Session, case: Case, actor: User, *, version, officer_id: int | None, service_url: str
) -> OutboxMessage | None:
    """Assign the case to an officer (None: nobody). One transaction with its timeline event, its audit event and
    the email to the officer newly assigned, which names the case's reference and nothing about the child."""
    check_version(case, version)
    if not case.is_open:
        raise Refused(Problem("", "This case is closed. Reopen it before assigning it"))
    officer = None
    if officer_id is not None:
        officer = session.get(User, officer_id)
        if officer is None or not officer.active or officer.role not in CASEWORKER_ROLES:
            raise Refused(Problem("officer", "Select an officer from the list"))
    previous = case.assigned_to
    if (previous.id if previous else None) == (officer.id if officer else None):
        return None
    before = audit.snapshot(case, CASE_FIELDS)
    case.assigned_to = officer
    if officer is None:
        summary = f"Unassigned (was {previous.name if previous else 'nobody'})"
    elif previous is None:
        summary = f"Assigned to {officer.name}"
    else:
        summary = f"Reassigned from {previous.name} to {officer.name}"
    record_event(
        session, case, actor, "assigned", summary, to=officer.id if officer else None, previous=previous and previous.id
    )
    message = None
    if officer is not None and officer.id != actor.id:
        message = mail.queue(
            session,
            officer.email,
            *emails.render("case_assigned", assigned_by=actor.name, reference=case.reference, service_url=service_url),
        )
    try:
        session.flush()
        audit.record(
            session, actor, "case.assigned", "case", case.id, before=before, after=audit.snapshot(case, CASE_FIELDS)
        )
        session.commit()
    except StaleDataError:
        session.rollback()
        raise StaleEdit("case") from None
    return message
