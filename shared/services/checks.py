"""A case's reasonable enquiries (checks): recording when one was asked and what came back, adding one, and
marking one not needed. Each is one transaction with its audit event (which the case's timeline shows), refused on
a closed case, and guarded against two officers saving the same check."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from shared.domain.checks import (
    AUTHORITY_CHECKS,
    CLOSED_CASE,
    adding_problems,
    not_applicable_problems,
    recording_problems,
    status_after_recording,
)
from shared.domain.problems import Problem, Refused
from shared.domain.vocab import CheckStatus, CheckType
from shared.models import Case, Enquiry, User
from shared.services import audit
from shared.services.cases import CaseSettings, StaleEdit, check_version

# What the audit trail keeps of a check before and after a change.
CHECK_FIELDS = [
    "case_id",
    "check_type",
    "description",
    "other_authority",
    "status",
    "due_on",
    "asked_on",
    "answered_on",
    "answer",
    "result",
    "not_applicable_reason",
]


def _refuse_if_closed(case: Case) -> None:
    if not case.is_open:
        raise Refused([Problem("", CLOSED_CASE)])


def _save(session: Session, check: Enquiry, actor: User, action: str, before: dict) -> None:
    """Write the changed check with its audit event, in one transaction. A check saved by someone else between our
    read and our write (the version column makes the UPDATE conditional) is the same stale edit as one seen
    earlier: nothing is written."""
    check.updated_by_id = actor.id
    try:
        session.flush()
        audit.record(
            session, actor, action, "enquiry", check.id, before=before, after=audit.snapshot(check, CHECK_FIELDS)
        )
        session.commit()
    except StaleDataError:
        session.rollback()
        raise StaleEdit("check") from None


def record_check(
    session: Session,
    check: Enquiry,
    actor: User,
    today: date,
    *,
    version: int | str | None,
    asked_on: date | None,
    answered_on: date | None,
    result: str | None,
    answer: str | None,
) -> Enquiry:
    """Record when the check was asked and, once it came, the answer and its result. The check is then asked
    (waiting for the answer) or done. Raises StaleEdit if the check changed since the form was shown, Refused
    for answers that cannot be right."""
    _refuse_if_closed(check.case)
    check_version(check, version, "check")
    problems = recording_problems(asked_on, answered_on, result, answer, today)
    if problems:
        raise Refused(problems)
    before = audit.snapshot(check, CHECK_FIELDS)
    check.asked_on = asked_on
    check.answered_on = answered_on
    check.result = (result or None) if answered_on else None
    check.answer = answer or None
    check.status = status_after_recording(answered_on)
    check.not_applicable_reason = None
    _save(session, check, actor, "check.answered" if check.status == CheckStatus.DONE else "check.asked", before)
    return check


def add_check(
    session: Session,
    case: Case,
    actor: User,
    today: date,
    settings: CaseSettings,
    *,
    check_type: str | None,
    description: str | None = None,
    other_authority: str | None = None,
    due_on: date | None = None,
) -> Enquiry:
    """Add a check to an open case. Its due date is the one given, or the usual number of school days for its
    kind counted from today."""
    _refuse_if_closed(case)
    problems = adding_problems(check_type, description, other_authority, due_on, today)
    if problems or check_type is None:  # (a kind of check is always asked for)
        raise Refused(problems)
    check = Enquiry(
        case=case,
        check_type=check_type,
        description=description if check_type == CheckType.OTHER else None,
        other_authority=other_authority if check_type in AUTHORITY_CHECKS else None,
        status=CheckStatus.TO_DO,
        due_on=due_on or settings.due_on(check_type, today),
        created_by_id=actor.id,
        updated_by_id=actor.id,
    )
    session.add(check)
    session.flush()
    audit.record(session, actor, "check.added", "enquiry", check.id, after=audit.snapshot(check, CHECK_FIELDS))
    session.commit()
    return check


def mark_not_applicable(
    session: Session, check: Enquiry, actor: User, *, version: int | str | None, reason: str | None
) -> Enquiry:
    """Mark a check not needed for this child, with the reason (closing a case needs every check done or a
    justification, so the reason stays with the check)."""
    _refuse_if_closed(check.case)
    check_version(check, version, "check")
    problems = not_applicable_problems(reason)
    if problems:
        raise Refused(problems)
    before = audit.snapshot(check, CHECK_FIELDS)
    check.status = CheckStatus.NOT_APPLICABLE
    check.not_applicable_reason = reason
    _save(session, check, actor, "check.not_applicable", before)
    return check
