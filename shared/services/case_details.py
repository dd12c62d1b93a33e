"""What the team records about a case and its child beyond the checks: the case's risk level, the date the child
became missing education and the main reason; the child's own details; contacts and notes; and who looked at a
case or a child. Each change is one transaction with its audit event (before and after)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from shared.clock import long_date, utcnow
from shared.db import rows_changed
from shared.domain.checks import contact_problems
from shared.domain.postcode import InvalidPostcode, normalise_postcode
from shared.domain.problems import Problem, Refused
from shared.domain.upn import InvalidUPN, validate_upn
from shared.domain.vocab import RiskLevel, SendStatus, Sex, VulnerableGroup
from shared.models import Case, CaseNote, Child, User
from shared.reference_data import primary_reason_label, primary_reasons
from shared.services import audit
from shared.services.cases import CASE_FIELDS, StaleEdit, check_version, record_event

# What the audit trail keeps of a child before and after a change.
CHILD_FIELDS = [
    "first_name",
    "middle_names",
    "last_name",
    "other_names",
    "date_of_birth",
    "sex",
    "upn",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
    "phone",
    "looked_after",
    "send_status",
    "vulnerable_groups",
]
CONTACT_FIELDS = ["case_id", "kind", "occurred_at", "with_whom", "outcome", "text"]

# The child's text details and their longest values (the columns' sizes), with the names errors use.
CHILD_TEXT = {
    "first_name": ("First name", 100),
    "middle_names": ("Middle names", 200),
    "last_name": ("Last name", 100),
    "other_names": ("Other names", 300),
    "address_line_1": ("Address line 1", 200),
    "address_line_2": ("Address line 2", 200),
    "town": ("Town or city", 100),
    "phone": ("Phone number", 30),
}


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


# The case ---------------------------------------------------------------------------------------------------------


def _risk_label(value: str | None) -> str:
    try:
        return RiskLevel(value or "").label.lower()
    except ValueError:
        return value or "not set"


def _reason_label(value: str | None) -> str:
    return _lower_first(primary_reason_label(value) or "")


def _changes(
    case: Case, risk_level: str, missing_since: date | None, primary_reason: str | None
) -> list[tuple[str, str]]:
    """The timeline's words for each detail that changes: (event kind, summary)."""
    said = []
    if case.risk_level != risk_level:
        said.append(
            ("risk_changed", f"Risk level changed from {_risk_label(case.risk_level)} to {_risk_label(risk_level)}")
        )
    if case.missing_since != missing_since:
        if case.missing_since is None:
            summary = f"Date missing education set to {long_date(missing_since)}"
        elif missing_since is None:
            summary = f"Date missing education removed (it was {long_date(case.missing_since)})"
        else:
            summary = (
                f"Date missing education changed from {long_date(case.missing_since)} to {long_date(missing_since)}"
            )
        said.append(("details_changed", summary))
    if case.primary_reason != primary_reason:
        if case.primary_reason is None:
            summary = f"Primary reason set to {_reason_label(primary_reason)}"
        else:
            summary = (
                f"Primary reason changed from {_reason_label(case.primary_reason)} to {_reason_label(primary_reason)}"
            )
        said.append(("details_changed", summary))
    return said


def case_details_problems(
    case: Case, risk_level: str | None, missing_since: date | None, primary_reason: str | None, today: date
) -> list[Problem]:
    problems = []
    if risk_level not in set(RiskLevel):
        problems.append(Problem("risk_level", "Select the risk level"))
    if missing_since is not None:
        if missing_since > today:
            problems.append(
                Problem("missing_since", "Date the child became missing education must be today or in the past")
            )
        elif case.child.date_of_birth and missing_since <= case.child.date_of_birth:
            problems.append(
                Problem("missing_since", "Date the child became missing education must be after their date of birth")
            )
    if primary_reason not in primary_reasons():
        problems.append(Problem("primary_reason", "Select the main reason the child is missing education"))
    return problems


def update_case_details(
    session: Session,
    case: Case,
    actor: User,
    today: date,
    *,
    version: int | str | None,
    risk_level: str | None,
    missing_since: date | None,
    primary_reason: str | None,
) -> list[str]:
    """Change the case's risk level, the date the child became missing education (not in the future) and the main
    reason (one of the DfE collection's categories). Each change goes on the timeline ("Risk level changed from
    medium to high") and the audit trail keeps the case before and after. Gives back what changed, in words;
    nothing is written when nothing changed."""
    check_version(case, version)
    problems = case_details_problems(case, risk_level, missing_since, primary_reason, today)
    if problems or risk_level is None:  # (a risk level is always asked for)
        raise Refused(problems)
    changes = _changes(case, risk_level, missing_since, primary_reason)
    if not changes:
        return []
    before = audit.snapshot(case, CASE_FIELDS)
    case.risk_level = risk_level
    case.missing_since = missing_since
    case.primary_reason = primary_reason
    for kind, summary in changes:
        record_event(session, case, actor, kind, summary)
    try:
        session.flush()
        audit.record(session, actor, "case.details_changed", "case", case.id, before, audit.snapshot(case, CASE_FIELDS))
        session.commit()
    except StaleDataError:
        session.rollback()
        raise StaleEdit("case") from None
    return [summary for _, summary in changes]


# The child --------------------------------------------------------------------------------------------------------


@dataclass
class ChildAnswers:
    first_name: str | None = None
    middle_names: str | None = None
    last_name: str | None = None
    other_names: str | None = None
    date_of_birth: date | None = None
    sex: str | None = None
    upn: str | None = None
    address_line_1: str | None = None
    address_line_2: str | None = None
    town: str | None = None
    postcode: str | None = None
    phone: str | None = None
    looked_after: bool = False
    send_status: str | None = None
    vulnerable_groups: list[str] | None = None


def checked_child(answers: ChildAnswers, today: date) -> tuple[dict, list[Problem]]:
    """The child's details as they are stored (UPN and postcode normalised, empty text as None), and what is wrong
    with them."""
    problems: list[Problem] = []
    values: dict = {}
    for name, (label, maximum) in CHILD_TEXT.items():
        value = getattr(answers, name) or None
        if value and len(value) > maximum:
            problems.append(Problem(name, f"{label} must be {maximum:,} characters or fewer"))
        values[name] = value
    if answers.date_of_birth is not None and answers.date_of_birth >= today:
        problems.append(Problem("date_of_birth", "Date of birth must be in the past"))
    values["date_of_birth"] = answers.date_of_birth
    values["upn"] = None
    if answers.upn:
        try:
            values["upn"] = validate_upn(answers.upn)
        except InvalidUPN as invalid:
            problems.append(Problem("upn", str(invalid)))
    values["postcode"] = None
    if answers.postcode:
        try:
            values["postcode"] = normalise_postcode(answers.postcode)
        except InvalidPostcode as invalid:
            problems.append(Problem("postcode", str(invalid)))
    if answers.sex not in set(Sex):
        problems.append(Problem("sex", "Select the child's sex, or 'Not known'"))
    values["sex"] = answers.sex
    if answers.send_status not in set(SendStatus):
        problems.append(Problem("send_status", "Select the child's special educational needs, or 'Not known'"))
    values["send_status"] = answers.send_status
    groups = list(answers.vulnerable_groups or [])
    if any(group not in set(VulnerableGroup) for group in groups):
        problems.append(Problem("vulnerable_groups", "Select only the groups listed"))
    # Kept in the vocabulary's order, so the same groups are always stored the same way.
    values["vulnerable_groups"] = [group.value for group in VulnerableGroup if group.value in groups]
    values["looked_after"] = bool(answers.looked_after)
    return values, problems


def parse_seen(value: str | None) -> datetime | None:
    try:
        seen = datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return seen if seen.tzinfo is not None else None


def update_child(
    session: Session, child: Child, actor: User, today: date, *, seen: str | None, answers: ChildAnswers
) -> bool:
    """Change the child's details. The child has no version column: the form carries the time of the last change
    it showed (`seen`), and the change is written only if the record still has it; the same conditional UPDATE
    makes two saves at the same moment take turns, so the second is refused. Gives back whether anything changed;
    the audit trail keeps the details before and after."""
    shown = parse_seen(seen)
    if shown is None or shown != child.updated_at:
        raise StaleEdit("child")
    values, problems = checked_child(answers, today)
    if problems:
        raise Refused(problems)
    if all(getattr(child, name) == value for name, value in values.items()):
        return False
    before = audit.snapshot(child, CHILD_FIELDS)
    now = utcnow()
    claimed = rows_changed(
        session,
        update(Child).where(Child.id == child.id, Child.updated_at == shown).values(updated_at=now),
        synchronize_session=False,
    )
    if claimed != 1:
        session.rollback()
        raise StaleEdit("child")
    for name, value in values.items():
        setattr(child, name, value)
    child.updated_at = now
    session.flush()
    audit.record(
        session, actor, "child.details_changed", "child", child.id, before, audit.snapshot(child, CHILD_FIELDS)
    )
    session.commit()
    return True


# Contacts and notes -----------------------------------------------------------------------------------------------


def add_contact(
    session: Session,
    case: Case,
    actor: User,
    now: datetime,
    *,
    kind: str | None,
    occurred_at: datetime | None,
    with_whom: str | None,
    outcome: str | None,
    text: str | None,
) -> CaseNote:
    """Log a phone call, letter, email, home visit or meeting (or a plain note) on the case: when it happened (not
    in the future; `now` is the time in England), who it was with, the outcome and what was said or done. A note
    can be added to a closed case too: a family may call after it is closed."""
    problems = contact_problems(kind, occurred_at, with_whom, outcome, text, now)
    if problems:
        raise Refused(problems)
    note = CaseNote(
        case=case,
        kind=kind,
        occurred_at=occurred_at,
        author_id=actor.id,
        with_whom=with_whom or None,
        outcome=outcome or None,
        text=text,
    )
    session.add(note)
    session.flush()
    audit.record(session, actor, "contact.added", "case_note", note.id, after=audit.snapshot(note, CONTACT_FIELDS))
    session.commit()
    return note


# Views ------------------------------------------------------------------------------------------------------------


def record_view(session: Session, actor: User, object_type: str, object_id: int, action: str | None = None) -> None:
    """Every look at a case or a child goes in the audit trail: who and when ("case.viewed", "child.viewed"); and
    every reading of a record's audit trail, as `action` "audit.viewed" about that record."""
    audit.record_reading(session, actor, action or f"{object_type}.viewed", object_type, object_id)
