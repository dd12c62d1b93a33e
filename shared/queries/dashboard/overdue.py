"""The overdue page's reads: every overdue check on an open case, and the schools' notices waiting for the CME team,
each with the school days it has waited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.domain.checks import check_label
from shared.domain.school_days import SchoolCalendar
from shared.domain.vocab import NoticeKind, label_of
from shared.models import Child, Enquiry, School, SchoolNotice, User
from shared.queries.dashboard.counting import child_name
from shared.queries.dashboard.days import school_days_among, uk_day
from shared.queries.dashboard.scope import IS_OPEN, Filters, at_schools, cases_in_scope, is_overdue
from shared.queries.intake import notices as notice_items


@dataclass(frozen=True)
class OverdueCheck:
    case_reference: str
    child_name: str | None  # None unless names were asked for
    officer: str | None
    check: str
    due_on: date
    school_days_overdue: int  # school days after the due date, up to today


def overdue_checks(
    session: Session, filters: Filters, today: date, calendar: SchoolCalendar, with_names: bool
) -> list[OverdueCheck]:
    """Every overdue check on an open case, the most overdue first."""
    cases = cases_in_scope(filters, IS_OPEN)
    statement = (
        select(
            cases.c.reference,
            User.name,
            Enquiry.check_type,
            Enquiry.description,
            Enquiry.other_authority,
            Enquiry.due_on,
        )
        .join(cases, cases.c.id == Enquiry.case_id)
        .outerjoin(User, User.id == cases.c.assigned_to_id)
        .where(is_overdue(cases, today))
        .order_by(Enquiry.due_on, cases.c.reference, Enquiry.id)
    )
    if with_names:
        statement = statement.add_columns(Child.first_name, Child.last_name).join(Child, Child.id == cases.c.child_id)
    rows = session.execute(statement).all()
    between = school_days_among(calendar, [today, *(row.due_on for row in rows)])
    return [
        OverdueCheck(
            case_reference=row.reference,
            child_name=child_name(row.first_name, row.last_name) if with_names else None,
            officer=row.name,
            check=check_label(row.check_type, row.description, row.other_authority),
            due_on=row.due_on,
            school_days_overdue=between(row.due_on, today),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class WaitingNotice:
    reference: str
    school: str
    kind: str  # the kind's label
    received_on: date
    school_days_waiting: int  # school days after the day it arrived, up to today
    pupil_name: str | None  # None unless names were asked for


def unactioned_notices(
    session: Session, filters: Filters, today: date, calendar: SchoolCalendar, with_names: bool
) -> list[WaitingNotice]:
    """Schools' notices sent to the CME team and waiting in the intake queue, the oldest first."""
    names = (SchoolNotice.pupil_first_name, SchoolNotice.pupil_last_name) if with_names else ()
    # Found by status (a short list) and then sorted: not by walking every notice in the order received.
    waiting = (
        select(SchoolNotice.reference, SchoolNotice.school_id, SchoolNotice.kind, SchoolNotice.submitted_at, *names)
        .where(SchoolNotice.status.in_(notice_items.KIND.waiting))
        .cte("waiting_notices")
        .prefix_with("MATERIALIZED")
    )
    rows = session.execute(
        select(waiting, School.name)
        .join(School, School.id == waiting.c.school_id)
        .where(*at_schools(waiting.c.school_id, filters))
        .order_by(waiting.c.submitted_at, waiting.c.reference)
    ).all()
    received = [uk_day(row.submitted_at) for row in rows]
    between = school_days_among(calendar, [today, *received])
    return [
        WaitingNotice(
            reference=row.reference,
            school=row.name,
            kind=label_of(NoticeKind, row.kind),
            received_on=day,
            school_days_waiting=between(day, today),
            pupil_name=child_name(row.pupil_first_name, row.pupil_last_name) if with_names else None,
        )
        for row, day in zip(rows, received, strict=True)
    ]
