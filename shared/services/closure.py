"""Moving a case along its states (docs/case-states.md): starting or going back to enquiries, waiting for another
authority, placing the child in a school, closing with an outcome and reopening. Each move is one transaction:
the version guard, the state machine, the facts the move needs, the case's columns, a timeline event and an audit
event with the case before and after."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from shared.clock import long_date, utcnow
from shared.domain.casework import CaseStatus
from shared.domain.closure import (
    CAME_FROM,
    Closing,
    Placement,
    Waiting,
    closing_details,
    closing_problems,
    closing_summary,
    located,
    move_problem,
    placement_problems,
    reason_problems,
    waiting_problems,
)
from shared.domain.problems import Problem, Refused, required
from shared.domain.vocab import CheckResult, CheckStatus, CheckType, Outcome
from shared.models import Case, Enquiry, School, User
from shared.services import audit
from shared.services.cases import CASE_FIELDS, CaseSettings, StaleEdit, check_version, record_event
from shared.services.checks import CHECK_FIELDS


def _guard(case: Case, version, new: str, problems: list[Problem]) -> None:
    check_version(case, version)
    refused = move_problem(case.status, new)
    if refused:
        raise Refused([refused])
    if problems:
        raise Refused(problems)


def _commit(session: Session, case: Case, actor: User, action: str, before: dict) -> None:
    try:
        session.flush()
        audit.record(session, actor, action, "case", case.id, before=before, after=audit.snapshot(case, CASE_FIELDS))
        session.commit()
    except StaleDataError:
        session.rollback()
        raise StaleEdit("case") from None


def open_checks(case: Case) -> list[Enquiry]:
    return [check for check in case.enquiries if check.is_open]


def waiting_check(case: Case) -> Enquiry | None:
    """The enquiry to another authority a waiting case waits on: the latest one still open."""
    waiting = [
        check
        for check in case.enquiries
        if check.check_type in (CheckType.DESTINATION_LA, CheckType.PREVIOUS_LA) and check.is_open and check.asked_on
    ]
    return max(waiting, key=lambda check: (check.asked_on, check.id)) if waiting else None


def start_enquiries(session: Session, case: Case, actor: User, *, version, reason: str | None = None) -> Case:
    """Open → enquiries needs nothing more; going back from waiting or monitoring needs the reason."""
    going_back = case.status in (CaseStatus.WAITING_OTHER_LA, CaseStatus.MONITORING)
    _guard(
        case, version, CaseStatus.ENQUIRIES, reason_problems(reason, "why enquiries start again") if going_back else []
    )
    before = audit.snapshot(case, CASE_FIELDS)
    previous = case.status
    case.status = CaseStatus.ENQUIRIES
    if previous == CaseStatus.MONITORING:
        case.review_date = None
    summary = "Enquiries started" if previous == CaseStatus.OPEN else f"Back to making enquiries: {reason}"
    record_event(session, case, actor, "status", summary, **{"from": previous, "to": case.status})
    _commit(session, case, actor, "case.status_changed", before)
    return case


def wait_for_other_authority(
    session: Session, case: Case, actor: User, today: date, settings: CaseSettings, *, version, answers: Waiting
) -> Enquiry:
    """Record the enquiry sent to the authority the child moved to (or came from) and wait for its answer. The
    enquiry is a check with its own due date, so a slow reply shows as overdue like any other."""
    _guard(case, version, CaseStatus.WAITING_OTHER_LA, waiting_problems(answers, today))
    before = audit.snapshot(case, CASE_FIELDS)
    previous = case.status
    due_on = answers.due_on or settings.calendar.add_school_days(required(answers.sent_on), settings.other_la_wait_days)
    check = Enquiry(
        case=case,
        check_type=CheckType.PREVIOUS_LA if answers.direction == CAME_FROM else CheckType.DESTINATION_LA,
        other_authority=answers.authority,
        status=CheckStatus.ASKED,
        asked_on=answers.sent_on,
        due_on=due_on,
        created_by_id=actor.id,
        updated_by_id=actor.id,
    )
    session.add(check)
    case.status = CaseStatus.WAITING_OTHER_LA
    moved = "came from" if answers.direction == CAME_FROM else "moved to"
    record_event(
        session,
        case,
        actor,
        "status",
        f"Waiting for {answers.authority} to confirm the child, who {moved} it: enquiry sent "
        f"{long_date(answers.sent_on)}, reply due by {long_date(due_on)}",
        **{"from": previous, "to": case.status, "authority": answers.authority, "due_on": due_on.isoformat()},
    )
    session.flush()
    audit.record(session, actor, "check.added", "enquiry", check.id, after=audit.snapshot(check, CHECK_FIELDS))
    _commit(session, case, actor, "case.status_changed", before)
    return check


def record_other_authority_reply(
    session: Session,
    case: Case,
    actor: User,
    today: date,
    *,
    version,
    confirmed: bool | None,
    answered_on: date | None,
    answer: str | None,
) -> Enquiry:
    """The other authority's answer. Confirmed (on a roll there or known to them) marks the enquiry done with the
    child located; the officer then closes the case. Not known marks it done and the case goes back to enquiries."""
    check = waiting_check(case)
    problems = []
    if confirmed is None:
        problems.append(Problem("confirmed", "Select what the authority said"))
    if answered_on is None:
        problems.append(Problem("answered_on", "Enter the date of the reply"))
    elif answered_on > today:
        problems.append(Problem("answered_on", "Date of the reply must be today or in the past"))
    elif check is not None and check.asked_on is not None and answered_on < check.asked_on:
        problems.append(
            Problem("answered_on", f"Date of the reply must be on or after the enquiry, {long_date(check.asked_on)}")
        )
    check_version(case, version)
    if case.status != CaseStatus.WAITING_OTHER_LA or check is None:
        raise Refused([Problem("", "This case is not waiting for another authority. Check the case as it is now")])
    if problems:
        raise Refused(problems)
    before_case, before_check = audit.snapshot(case, CASE_FIELDS), audit.snapshot(check, CHECK_FIELDS)
    check.status, check.answered_on, check.answer = CheckStatus.DONE, answered_on, answer or None
    check.result = CheckResult.LOCATED if confirmed else CheckResult.NOT_KNOWN
    check.updated_by_id = actor.id
    if confirmed:
        case.located_on = case.located_on or answered_on
        summary = f"{check.other_authority} confirmed they know the child ({long_date(answered_on)})"
    else:
        case.status = CaseStatus.ENQUIRIES
        summary = f"{check.other_authority} does not know the child ({long_date(answered_on)}): back to enquiries"
    record_event(session, case, actor, "other_authority_reply", summary, confirmed=confirmed)
    session.flush()
    audit.record(
        session,
        actor,
        "check.answered",
        "enquiry",
        check.id,
        before=before_check,
        after=audit.snapshot(check, CHECK_FIELDS),
    )
    _commit(session, case, actor, "case.other_authority_replied", before_case)
    return check


def place_in_school(session: Session, case: Case, actor: User, today: date, *, version, answers: Placement) -> Case:
    """The child has a school place: monitor their attendance until the review date."""
    problems = placement_problems(answers, today)
    school = session.get(School, answers.school_id) if answers.school_id else None
    if answers.school_id and school is None:
        problems.append(Problem("school", "Select the school the child is on roll at"))
    _guard(case, version, CaseStatus.MONITORING, problems)
    school, on_roll_from = required(school), required(answers.on_roll_from)
    before = audit.snapshot(case, CASE_FIELDS)
    previous = case.status
    case.status = CaseStatus.MONITORING
    case.placed_school_id = school.id
    case.review_date = answers.review_date
    case.located_on = case.located_on or on_roll_from
    case.outcome_details = {"on_roll_from": on_roll_from.isoformat()}
    record_event(
        session,
        case,
        actor,
        "status",
        f"Placed at {school.name} from {long_date(on_roll_from)}: attendance review on "
        f"{long_date(answers.review_date)}",
        **{"from": previous, "to": case.status, "school_id": school.id},
    )
    _commit(session, case, actor, "case.placed", before)
    return case


def close_case(session: Session, case: Case, actor: User, today: date, *, version, answers: Closing) -> Case:
    """Close with an outcome and its facts; with checks still open, only with a recorded justification."""
    still_open = open_checks(case)
    problems = closing_problems(answers, today, len(still_open), case.child.date_of_birth)
    school = None
    if answers.outcome == Outcome.ON_ROLL and answers.school_id:
        school = session.get(School, answers.school_id)
        if school is None:
            problems.append(Problem("school", "Select the school the child is on roll at"))
    _guard(case, version, CaseStatus.CLOSED, problems)
    outcome = required(answers.outcome)
    before = audit.snapshot(case, CASE_FIELDS)
    previous = case.status
    details = closing_details(answers, school.name if school else None)
    case.status = CaseStatus.CLOSED
    case.outcome = answers.outcome
    case.outcome_details = details
    case.closed_at = utcnow()
    case.closed_by_id = actor.id
    case.closure_justification = answers.justification if still_open else None
    case.review_date = None
    if school is not None:
        case.placed_school_id = school.id
    if located(outcome) and case.located_on is None:
        case.located_on = answers.on
    summary = closing_summary(outcome, details)
    if still_open:
        summary += f", with {len(still_open)} check{'s' if len(still_open) != 1 else ''} open: {answers.justification}"
    record_event(session, case, actor, "closed", summary, **{"from": previous, "to": case.status, **details})
    _commit(session, case, actor, "case.closed", before)
    return case


def reopen_case(session: Session, case: Case, actor: User, *, version, reason: str | None) -> Case:
    """A closed case back to enquiries, with the reason; its outcome is kept in the audit trail and timeline."""
    _guard(case, version, CaseStatus.ENQUIRIES, reason_problems(reason, "why the case is reopened"))
    before = audit.snapshot(case, CASE_FIELDS)
    case.status = CaseStatus.ENQUIRIES
    case.outcome, case.outcome_details, case.closed_at, case.closed_by_id = None, {}, None, None
    case.closure_justification = None
    record_event(session, case, actor, "reopened", f"Reopened: {reason}", **{"from": "closed", "to": case.status})
    _commit(session, case, actor, "case.reopened", before)
    return case
