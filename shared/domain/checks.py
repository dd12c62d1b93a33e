"""The rules of a case's reasonable enquiries (checks) and of the contacts logged on it: when a check is overdue,
what it is called, and which answers the team can record. Dates in, problems out: no database, no web."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from shared.domain.problems import Problem
from shared.domain.vocab import CheckResult, CheckStatus, CheckType, ContactKind

OPEN_CHECK_STATUSES = frozenset({CheckStatus.TO_DO, CheckStatus.ASKED})
# Checks made with another authority: the form asks which one.
AUTHORITY_CHECKS = frozenset({CheckType.PREVIOUS_LA, CheckType.DESTINATION_LA})

ANSWER_LIMIT = 5000
REASON_LIMIT = 2000
DESCRIPTION_LIMIT = 200
AUTHORITY_LIMIT = 100
WITH_WHOM_LIMIT = 200
OUTCOME_LIMIT = 500
CONTACT_TEXT_LIMIT = 5000

CLOSED_CASE = "This case is closed, so its checks cannot be changed. Reopen the case to change them"


class Dated(Protocol):
    status: str
    due_on: date


def is_overdue(check: Dated, today: date) -> bool:
    """A check still to do or waiting for its answer after its due date. Due today is not yet overdue."""
    return check.status in OPEN_CHECK_STATUSES and check.due_on < today


def check_label(check_type: str, description: str | None = None, other_authority: str | None = None) -> str:
    """What a check is called on the case page: its kind, with the authority's name for a check with another
    authority, and its own description for an "other" check."""
    if check_type == CheckType.OTHER and description:
        return description
    try:
        label = CheckType(check_type).label
    except ValueError:
        label = check_type
    if check_type in AUTHORITY_CHECKS and other_authority:
        return f"{label}: {other_authority}"
    return label


def _too_long(problems: list[Problem], field: str, name: str, value: str | None, limit: int) -> None:
    if value and len(value) > limit:
        problems.append(Problem(field, f"{name} must be {limit:,} characters or fewer"))


def recording_problems(
    asked_on: date | None, answered_on: date | None, result: str | None, answer: str | None, today: date
) -> list[Problem]:
    """What is wrong with a check's answers as recorded: it must have been asked (on a day not in the future);
    an answer, if any, came on or after that day and not in the future, with its result."""
    problems: list[Problem] = []
    if asked_on is None:
        problems.append(Problem("asked_on", "Enter the date the check was asked"))
    elif asked_on > today:
        problems.append(Problem("asked_on", "Date asked must be today or in the past"))
    if answered_on is not None:
        if answered_on > today:
            problems.append(Problem("answered_on", "Date answered must be today or in the past"))
        elif asked_on is not None and answered_on < asked_on:
            problems.append(Problem("answered_on", "Date answered must be the same as or after the date asked"))
        if not result:
            problems.append(Problem("result", "Select the result of the check"))
    elif result:
        problems.append(Problem("answered_on", "Enter the date the answer came, or the day you stopped waiting"))
    if result and result not in set(CheckResult):
        problems.append(Problem("result", "Select the result of the check"))
    _too_long(problems, "answer", "What they said", answer, ANSWER_LIMIT)
    return problems


def status_after_recording(answered_on: date | None) -> CheckStatus:
    """A check with an answer is done; one asked and still waiting is asked."""
    return CheckStatus.DONE if answered_on is not None else CheckStatus.ASKED


def adding_problems(
    check_type: str | None,
    description: str | None,
    other_authority: str | None,
    due_on: date | None,
    today: date,
) -> list[Problem]:
    """What is wrong with a check the team adds: its kind; what it is, for an "other" check; the authority, for a
    check with another authority; and a due date (when one is given rather than worked out) not already past."""
    problems: list[Problem] = []
    if not check_type or check_type not in set(CheckType):
        problems.append(Problem("check_type", "Select the kind of check"))
    elif check_type == CheckType.OTHER and not description:
        problems.append(Problem("description", "Enter what the check is"))
    elif check_type in AUTHORITY_CHECKS and not other_authority:
        field = "previous_authority" if check_type == CheckType.PREVIOUS_LA else "destination_authority"
        problems.append(Problem(field, "Enter the name of the local authority"))
    if due_on is not None and due_on < today:
        problems.append(Problem("due_on", "Due date must be today or in the future"))
    _too_long(problems, "description", "What the check is", description, DESCRIPTION_LIMIT)
    _too_long(problems, "other_authority", "The local authority's name", other_authority, AUTHORITY_LIMIT)
    return problems


def not_applicable_problems(reason: str | None) -> list[Problem]:
    problems: list[Problem] = []
    if not reason:
        problems.append(Problem("reason", "Enter why this check is not needed"))
    _too_long(problems, "reason", "Why the check is not needed", reason, REASON_LIMIT)
    return problems


def contact_problems(
    kind: str | None,
    occurred_at: datetime | None,
    with_whom: str | None,
    outcome: str | None,
    text: str | None,
    now: datetime,
) -> list[Problem]:
    """What is wrong with a contact or note: its kind, when it happened (not in the future: `now` is the time in
    England), who it was with (any kind but a note), and what was said or done."""
    problems: list[Problem] = []
    if not kind or kind not in set(ContactKind):
        problems.append(Problem("kind", "Select the kind of contact"))
    if occurred_at is None:
        problems.append(Problem("occurred_on", "Enter the date of the contact"))
    elif occurred_at > now:
        # Told on the day when the day is later than today, on the time when only the time is.
        if occurred_at.astimezone(now.tzinfo).date() > now.date():
            problems.append(Problem("occurred_on", "Date must be today or in the past"))
        else:
            problems.append(Problem("occurred_time", "Time must be now or in the past"))
    if kind and kind != ContactKind.NOTE and not with_whom:
        problems.append(Problem("with_whom", "Enter who the contact was with"))
    if not text:
        problems.append(
            Problem("text", "Enter the note" if kind == ContactKind.NOTE else "Enter what was said or done")
        )
    _too_long(problems, "with_whom", "Who it was with", with_whom, WITH_WHOM_LIMIT)
    _too_long(problems, "outcome", "Outcome", outcome, OUTCOME_LIMIT)
    _too_long(problems, "text", "Details", text, CONTACT_TEXT_LIMIT)
    return problems
