"""The facts each move of a case needs (docs/case-states.md): waiting for another authority, placing the child in a
school, going back to enquiries, reopening, and closing with an outcome. Each rule returns the problems it finds,
in the Design System's words, keyed by the form field they belong to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.domain.casework import CaseStatus, can_move
from shared.domain.problems import Problem
from shared.domain.school_age import compulsory_school_age_ends
from shared.domain.vocab import Outcome

AUTHORITY_LIMIT = 100
TEXT_LIMIT = 2000
COUNTRY_LIMIT = 100

# Where the child went, or came from, when the team waits on another authority.
MOVED_TO, CAME_FROM = "moved_to", "came_from"

# The moves offered from each status (the state machine's arrows, in words) and the form each needs.
MOVES: dict[CaseStatus, tuple[tuple[CaseStatus, str], ...]] = {
    CaseStatus.OPEN: (
        (CaseStatus.ENQUIRIES, "Start making enquiries"),
        (CaseStatus.WAITING_OTHER_LA, "Wait for another local authority to confirm the child"),
        (CaseStatus.CLOSED, "Close the case with an outcome"),
    ),
    CaseStatus.ENQUIRIES: (
        (CaseStatus.WAITING_OTHER_LA, "Wait for another local authority to confirm the child"),
        (CaseStatus.MONITORING, "The child has a school place: monitor their attendance"),
        (CaseStatus.CLOSED, "Close the case with an outcome"),
    ),
    CaseStatus.WAITING_OTHER_LA: (
        (CaseStatus.ENQUIRIES, "Go back to making enquiries"),
        (CaseStatus.CLOSED, "Close the case with an outcome"),
    ),
    CaseStatus.MONITORING: (
        (CaseStatus.ENQUIRIES, "Go back to making enquiries"),
        (CaseStatus.CLOSED, "Close the case with an outcome"),
    ),
    CaseStatus.CLOSED: ((CaseStatus.ENQUIRIES, "Reopen the case"),),
}

# The dated fact each outcome needs, with how the form asks it and names it in errors.
OUTCOME_DATE: dict[Outcome, tuple[str, str]] = {
    Outcome.ON_ROLL: ("When did the child go on the school's roll?", "Date on roll"),
    Outcome.ELECTIVE_HOME_EDUCATION: ("When were we told the child is educated at home?", "Date we were told"),
    Outcome.MOVED_TO_OTHER_LA: ("When was that authority notified?", "Date notified"),
    Outcome.MOVED_ABROAD: ("When did the child leave, or when did we learn of it?", "Date left"),
    Outcome.REFERRED_TO_ADMISSIONS: ("When was the referral made?", "Date referred"),
    Outcome.NOT_LOCATED: ("When was the child added to the Lost Pupil Database?", "Date added"),
    Outcome.NOT_COMPULSORY_AGE: ("When did compulsory school age end?", "Date compulsory school age ended"),
    Outcome.REFERRED_TO_SOCIAL_CARE: ("When was the referral to children's social care made?", "Date referred"),
}

REFERRED_TO = {
    "admissions": "In-year admissions",
    "fair_access": "The Fair Access panel",
    "send": "The SEND team (for an education, health and care plan)",
}


def move_problem(current: str, new: str) -> Problem | None:
    """A move the state machine does not allow, said so the officer knows why (often a tab left open)."""
    if can_move(current, new):
        return None
    return Problem(
        "",
        f"This case is now {CaseStatus(current).label.lower()}, so it cannot be "
        f"{'closed' if new == CaseStatus.CLOSED else 'moved to ' + CaseStatus(new).label.lower()}. "
        "Check the case as it is now",
    )


def _date_problems(field: str, name: str, value: date | None, today: date, earliest: date | None = None):
    if value is None:
        return [Problem(field, f"Enter the {name[:1].lower() + name[1:]}")]
    if value > today:
        return [Problem(field, f"{name} must be today or in the past")]
    if earliest is not None and value < earliest:
        return [Problem(field, f"{name} must be on or after the child's date of birth")]
    return []


def _text_problems(field: str, name: str, value: str | None, limit: int, required: bool = True) -> list[Problem]:
    if required and not (value or "").strip():
        return [Problem(field, f"Enter {name}")]
    if value and len(value) > limit:
        return [Problem(field, f"{name[:1].upper() + name[1:]} must be {limit:,} characters or fewer")]
    return []


@dataclass(frozen=True)
class Waiting:
    authority: str | None
    direction: str | None
    sent_on: date | None
    due_on: date | None


def waiting_problems(answers: Waiting, today: date) -> list[Problem]:
    problems = _text_problems("authority", "the local authority's name", answers.authority, AUTHORITY_LIMIT)
    if answers.direction not in (MOVED_TO, CAME_FROM):
        problems.append(Problem("direction", "Select whether the child moved to or came from that authority"))
    problems += _date_problems("sent_on", "Date the enquiry was sent", answers.sent_on, today)
    if answers.due_on is not None and answers.sent_on is not None and answers.due_on <= answers.sent_on:
        problems.append(Problem("due_on", "Date to chase the reply must be after the date the enquiry was sent"))
    return problems


@dataclass(frozen=True)
class Placement:
    school_id: int | None
    on_roll_from: date | None
    review_date: date | None


def placement_problems(answers: Placement, today: date) -> list[Problem]:
    problems = [] if answers.school_id else [Problem("school", "Select the school the child is on roll at")]
    problems += _date_problems("on_roll_from", "Date on roll", answers.on_roll_from, today)
    if answers.review_date is None:
        problems.append(Problem("review_date", "Enter the date to review the child's attendance"))
    elif answers.review_date <= today:
        problems.append(Problem("review_date", "Review date must be in the future"))
    return problems


def reason_problems(reason: str | None, name: str = "why") -> list[Problem]:
    return _text_problems("reason", name, reason, TEXT_LIMIT)


@dataclass(frozen=True)
class Closing:
    outcome: str | None
    on: date | None  # the outcome's date (OUTCOME_DATE)
    school_id: int | None = None
    authority: str | None = None
    country: str | None = None
    referred_to: str | None = None
    justification: str | None = None


def closing_problems(answers: Closing, today: date, open_checks: int, date_of_birth: date | None) -> list[Problem]:
    """What stops a case closing: no outcome, the outcome's facts missing or wrong, or checks still open with no
    recorded justification."""
    try:
        outcome = Outcome(answers.outcome or "")
    except ValueError:
        return [Problem("outcome", "Select the outcome")]
    name = OUTCOME_DATE[outcome][1]
    problems = _date_problems("on", name, answers.on, today, earliest=date_of_birth)
    if outcome == Outcome.ON_ROLL and not answers.school_id:
        problems.append(Problem("school", "Select the school the child is on roll at"))
    if outcome == Outcome.MOVED_TO_OTHER_LA:
        problems += _text_problems("authority", "the local authority's name", answers.authority, AUTHORITY_LIMIT)
    if outcome == Outcome.MOVED_ABROAD:
        problems += _text_problems("country", "the country", answers.country, COUNTRY_LIMIT, required=False)
    if outcome == Outcome.REFERRED_TO_ADMISSIONS and answers.referred_to not in REFERRED_TO:
        problems.append(Problem("referred_to", "Select who the child was referred to"))
    if outcome == Outcome.NOT_COMPULSORY_AGE and date_of_birth is not None and answers.on is not None:
        ends = compulsory_school_age_ends(date_of_birth)
        if answers.on < ends:
            problems.append(
                Problem("on", f"Compulsory school age ends on {ends.day} {ends:%B %Y} for this child's date of birth")
            )
    if open_checks:
        problems += _text_problems(
            "justification",
            f"why the case can close with {open_checks} check{'s' if open_checks != 1 else ''} still open",
            answers.justification,
            TEXT_LIMIT,
        )
    return problems


def closing_details(answers: Closing, school_name: str | None) -> dict[str, str]:
    """The outcome's facts as the case keeps them (`outcome_details`)."""
    details = {"date": answers.on.isoformat() if answers.on else ""}
    if answers.outcome == Outcome.ON_ROLL and school_name:
        details["school"] = school_name
    if answers.outcome == Outcome.MOVED_TO_OTHER_LA:
        details["authority"] = answers.authority or ""
    if answers.outcome == Outcome.MOVED_ABROAD and answers.country:
        details["country"] = answers.country
    if answers.outcome == Outcome.REFERRED_TO_ADMISSIONS:
        details["referred_to"] = REFERRED_TO.get(answers.referred_to or "", "")
    return details


def closing_summary(outcome: str, details: dict[str, str]) -> str:
    """The timeline's line for a closure: "Closed: moved to another local authority (Bristol City Council)"."""
    label = Outcome(outcome).label
    extra = details.get("school") or details.get("authority") or details.get("country") or details.get("referred_to")
    summary = f"Closed: {label[:1].lower() + label[1:]}"
    return f"{summary} ({extra})" if extra else summary


def located(outcome: str) -> bool:
    """Whether closing with this outcome means the team knows where the child is."""
    return outcome not in (Outcome.NOT_LOCATED, Outcome.NOT_COMPULSORY_AGE)
