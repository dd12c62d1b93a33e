"""Cases: opening one with its standard reasonable enquiries, the events of its timeline, and the guard every
edit goes through so that two officers saving the same case never silently overwrite each other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from shared.domain.casework import CaseStatus
from shared.domain.enquiries import STANDARD_CHECKS, due_school_days
from shared.domain.reference import new_reference
from shared.domain.school_days import SchoolCalendar
from shared.domain.vocab import CheckType, RiskLevel
from shared.models import Case, CaseEvent, Child, Enquiry, User
from shared.services import audit

# What the audit trail keeps of a case before and after a change.
CASE_FIELDS = [
    "status",
    "risk_level",
    "assigned_to_id",
    "missing_since",
    "primary_reason",
    "located_on",
    "closed_at",
    "outcome",
    "outcome_details",
    "placed_school_id",
    "review_date",
    "closure_justification",
]


class StaleEdit(Exception):
    """The record changed since the page the user edited was shown: nothing is saved; the user is shown the
    record as it is now and asked to make the change again."""

    def __init__(self, what: str = "case"):
        super().__init__(f"Someone else changed this {what} while you were editing it")
        self.what = what


def check_version(record: Case | Enquiry, version: int | str | None, what: str = "case") -> None:
    """Refuse an edit made on a page showing an older version of the record. The version column also makes
    the UPDATE itself conditional, so two saves at the same moment cannot both pass this check and both write."""
    try:
        seen = int(version or 0)
    except (TypeError, ValueError):
        seen = 0
    if seen != record.version:
        raise StaleEdit(what)


@dataclass(frozen=True)
class CaseSettings:
    calendar: SchoolCalendar
    due_days: dict[CheckType, int]
    other_la_wait_days: int = 20
    monitoring_review_days: int = 30

    @classmethod
    def from_config(cls, config, calendar: SchoolCalendar) -> CaseSettings:
        return cls(
            calendar=calendar,
            due_days=config["CHECK_DUE_SCHOOL_DAYS"],
            other_la_wait_days=config["OTHER_LA_WAIT_SCHOOL_DAYS"],
            monitoring_review_days=config["MONITORING_REVIEW_SCHOOL_DAYS"],
        )

    def due_on(self, check: str, start: date) -> date:
        return self.calendar.add_school_days(start, due_school_days(check, self.due_days))


def record_event(
    session: Session, case: Case, actor: User | None, kind: str, summary: str, **details: Any
) -> CaseEvent:
    """Add an event to the case's timeline (committed with the change it describes). `summary` is what the
    timeline shows; `details` keeps the facts behind it."""
    event = CaseEvent(case=case, actor=actor, kind=kind, summary=summary, details=details)
    session.add(event)
    return event


def open_case(
    session: Session,
    *,
    child: Child,
    actor: User,
    today: date,
    settings: CaseSettings,
    risk_level: str = RiskLevel.MEDIUM,
    missing_since: date | None = None,
    primary_reason: str | None = None,
    assigned_to: User | None = None,
    checks: tuple[str, ...] = STANDARD_CHECKS,
) -> Case:
    """A new case for the child with the standard checks, each due a set number of school days from today.
    Adds to the session; the caller commits (with whatever else the opening belongs to, like a triaged referral)."""
    case = Case(
        reference=new_reference("CS"),
        child=child,
        status=CaseStatus.OPEN,
        risk_level=risk_level,
        opened_by=actor,
        assigned_to=assigned_to,
        missing_since=missing_since,
        primary_reason=primary_reason,
    )
    session.add(case)
    for check in checks:
        session.add(Enquiry(case=case, check_type=check, due_on=settings.due_on(check, today), created_by_id=actor.id))
    record_event(session, case, actor, "opened", "Case opened", checks=len(checks))
    session.flush()
    audit.record(session, actor, "case.opened", "case", case.id, after=audit.snapshot(case, CASE_FIELDS))
    return case
