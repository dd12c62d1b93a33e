"""Triage: the CME team's decision on an item in the intake queue (a referral, a school notice or an attendance
alert).

The officer says which child the item is about (a child on record the matching proposed, a new child made from
the item's details, or, when closing it, no child at all) and what to do with it: open a case, add it to the
child's open case, or close it without a case, with the reason. Each decision is one transaction: the item is
claimed with a conditional UPDATE (so two officers deciding at once cannot both succeed; the second is told and
nothing of theirs is saved), the child and case are written, the case's timeline gets the item, and the audit
trail keeps who decided what, before and after.

The workflow is the same for every kind of item. What differs (its statuses, its words, the child it describes,
what a case opened from it starts with) is its kind's, a module of this package making one `IntakeKind`
(base.py), listed in `KINDS`. Adding a kind of item is adding its module here and in shared.queries.intake,
and its model to `TriageItem` (base.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import cast

from sqlalchemy import update
from sqlalchemy.orm import Session

from shared.clock import utcnow
from shared.db import rows_changed
from shared.domain.problems import Problem, Refused, required
from shared.domain.reference import InvalidReference, normalise_reference
from shared.models import AttendanceAlert, Case, Child, Referral, School, SchoolNotice, User
from shared.queries import intake as queries
from shared.services import audit
from shared.services.case_details import CHILD_FIELDS
from shared.services.cases import CaseSettings, open_case, record_event
from shared.services.intake import alerts, notices, referrals
from shared.services.intake.base import IntakeKind, ItemT, TriageItem
from shared.services.matching import Candidate, find_candidates

KINDS = (referrals.KIND, notices.KIND, alerts.KIND)
_BY_MODEL: dict[type, IntakeKind[Referral] | IntakeKind[SchoolNotice] | IntakeKind[AttendanceAlert]] = {
    kind.model: kind for kind in KINDS
}

NEW_CHILD = "new"
NO_CHILD = "none"
NOT_IN_LIST = "other"  # the school picker's "A school not in this list"
SCHOOL_NAME_LIMIT = 200
DETAILS_LIMIT = 1000
# What the audit trail keeps of an item before and after triage.
ITEM_FIELDS = ["status", "child_id", "case_id", "triaged_by_id", "triaged_at", "closed_reason"]


def kind_of(item: ItemT) -> IntakeKind[ItemT]:
    # The kinds are found by their model, so the kind found is the item's own.
    return cast(IntakeKind[ItemT], _BY_MODEL[type(item)])


class Action(StrEnum):
    OPEN_CASE = "open_case"
    ADD_TO_CASE = "add_to_case"
    CLOSE_ON_ROLL = "close_on_roll"
    CLOSE_NOT_CME = "close_not_cme"
    CLOSE_DUPLICATE = "close_duplicate"
    CLOSE_OTHER = "close_other"

    @property
    def closes(self) -> bool:
        return self not in (Action.OPEN_CASE, Action.ADD_TO_CASE)


# The reasons for closing an item without a case, as they begin its closed_reason.
CLOSE_REASONS = {
    Action.CLOSE_ON_ROLL: "On roll at a named school",
    Action.CLOSE_NOT_CME: "Not a child missing education",
    Action.CLOSE_DUPLICATE: "Duplicate of another referral or notice",
    Action.CLOSE_OTHER: "Other",
}


def match_band(score: float) -> str:
    """How an officer reads a candidate's score."""
    if score >= 0.8:
        return "Strong match"
    if score >= 0.65:
        return "Possible match"
    return "Weak match"


def is_waiting(item: TriageItem) -> bool:
    """Whether the item still waits for a decision."""
    return item.status in kind_of(item).waiting


class AlreadyTriaged(Exception):
    """Someone else decided on the item first: nothing of this decision was saved."""

    def __init__(self, item: TriageItem):
        kind = kind_of(item)
        super().__init__(
            f"Someone else triaged this {kind.noun} while you were looking at it. Nothing you chose has been saved: "
            "their decision is shown below"
        )
        self.item = item


@dataclass(frozen=True)
class Decision:
    """The officer's answers on the triage page, as typed."""

    child: str | None  # a proposed child's id, NEW_CHILD or NO_CHILD
    action: str | None
    case: str | None = None  # the case's reference, when the child has more than one open case
    school: str | None = None  # the URN of a school in the list, or NOT_IN_LIST
    school_name: str | None = None
    duplicate_of: str | None = None
    not_cme_details: str | None = None
    other_details: str | None = None


@dataclass(frozen=True)
class Triaged:
    item: TriageItem
    action: Action
    child: Child | None
    case: Case | None
    new_child: bool
    new_case: bool


# Reading ----------------------------------------------------------------------------------------------------------


def proposed_children(session: Session, item: TriageItem) -> list[Candidate]:
    """The children on record who may be the item's child, best first. The child on record the item is linked to
    already (an attendance import links an alert's pupil by UPN, or by name and date of birth) comes first,
    whatever matching makes of it."""
    kind = kind_of(item)
    found = find_candidates(session, kind.probe(item))
    linked = kind.linked_child(item)
    if linked is None:
        return found
    same = next((candidate for candidate in found if candidate.child.id == linked), None)
    others = [candidate for candidate in found if candidate is not same]
    if same is None:
        child = session.get(Child, linked)
        if child is None:
            return found
        case = queries.open_cases_by_child(session, [linked])[linked]
        return [Candidate(child, 1.0, (kind.linked_reason,), case[0] if case else None), *others]
    return [Candidate(same.child, same.score, (kind.linked_reason, *same.reasons), same.open_case), *others]


def record_look(session: Session, item: TriageItem, actor: User, may_triage: bool) -> None:
    """Every look at an item goes in the audit trail. An officer's first look at a new one of a kind that has a
    first look (a referral, an alert: "new" to "in triage") also moves it on, so the queue shows the team someone
    has picked it up; a manager's look changes nothing."""
    kind = kind_of(item)
    if may_triage and kind.first_look is not None and item.status == kind.first_look[0]:
        before, after = kind.first_look
        moved = rows_changed(
            session,
            update(kind.model).where(kind.model.id == item.id, kind.model.status == before).values(status=after),
            synchronize_session=False,
        )
        if moved == 1:
            audit.record(
                session,
                actor,
                f"{kind.object_type}.triage_started",
                kind.object_type,
                item.id,
                before={"status": str(before)},
                after={"status": str(after)},
            )
    audit.record(session, actor, f"{kind.object_type}.viewed", kind.object_type, item.id)
    session.commit()
    session.refresh(item)


# Checking the answers ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Checked:
    action: Action
    child: Child | None  # a child on record
    new_child: bool
    case: Case | None
    closed_reason: str | None


def _check(
    session: Session, item: TriageItem, decision: Decision, candidates: list[Candidate], schools: list[School]
) -> _Checked:
    kind = kind_of(item)
    problems: list[Problem] = []
    by_id = {str(candidate.child.id): candidate.child for candidate in candidates}
    choice = (decision.child or "").strip()
    child = by_id.get(choice)
    if not choice:
        problems.append(Problem("child", f"Select the child this {kind.noun} is about, or ‘A new child’"))
    elif choice not in (NEW_CHILD, NO_CHILD) and child is None:
        problems.append(Problem("child", "Select one of the children shown, or ‘A new child’"))
    try:
        action = Action(decision.action or "")
    except ValueError:
        problems.append(Problem("action", f"Select what to do with this {kind.noun}"))
        raise Refused(problems) from None

    case: Case | None = None
    closed_reason: str | None = None
    open_cases = queries.open_cases_by_child(session, [child.id]).get(child.id, []) if child else []
    if action == Action.OPEN_CASE:
        if choice == NO_CHILD:
            problems.append(Problem("child", "Select the child the case is for, or ‘A new child’"))
        elif child is not None and open_cases:
            problems.append(
                Problem(
                    "action",
                    f"{child.full_name} already has an open case, {open_cases[0].reference}: "
                    f"add this {kind.noun} to it instead",
                )
            )
    elif action == Action.ADD_TO_CASE:
        if choice in (NEW_CHILD, NO_CHILD):
            problems.append(Problem("child", f"Select the child whose open case this {kind.noun} belongs to"))
        elif child is not None and not open_cases:
            problems.append(Problem("action", f"{child.full_name} has no open case: open a new case instead"))
        elif len(open_cases) == 1:
            case = open_cases[0]
        elif child is not None and open_cases:
            chosen = (decision.case or "").strip()
            case = next((found for found in open_cases if found.reference == chosen), None)
            if case is None:
                problems.append(Problem("case", f"Select which of {child.full_name}’s open cases to add it to"))
    elif action == Action.CLOSE_ON_ROLL:
        school = (decision.school or "").strip()
        name = (decision.school_name or "").strip()
        listed = next((found for found in schools if str(found.urn) == school), None)
        if listed is not None:
            closed_reason = f"{CLOSE_REASONS[action]}: {listed.name} (URN {listed.urn})"
        elif len(name) > SCHOOL_NAME_LIMIT:
            problems.append(Problem("school_name", f"School name must be {SCHOOL_NAME_LIMIT:,} characters or fewer"))
        elif name:  # a school not in the list, named
            closed_reason = f"{CLOSE_REASONS[action]}: {name}"
        elif school == NOT_IN_LIST:
            problems.append(Problem("school_name", "Enter the name of the school the child is on roll at"))
        else:
            problems.append(Problem("school", "Select the school the child is on roll at, or enter its name"))
    elif action == Action.CLOSE_NOT_CME:
        details = (decision.not_cme_details or "").strip()
        if len(details) > DETAILS_LIMIT:
            problems.append(Problem("not_cme_details", f"Details must be {DETAILS_LIMIT:,} characters or fewer"))
        closed_reason = CLOSE_REASONS[action] + (f": {details}" if details else "")
    elif action == Action.CLOSE_DUPLICATE:
        typed = (decision.duplicate_of or "").strip()
        if not typed:
            problems.append(Problem("duplicate_of", "Enter the reference of the referral or notice it repeats"))
        else:
            try:
                reference = normalise_reference(typed)
            except InvalidReference as invalid:
                problems.append(Problem("duplicate_of", str(invalid)))
            else:
                if reference == item.reference:
                    problems.append(Problem("duplicate_of", "Enter the reference of another referral or notice"))
                elif queries.item_with_reference(session, reference) is None:
                    problems.append(Problem("duplicate_of", f"There is no referral or notice {reference}"))
                else:
                    closed_reason = f"Duplicate of {reference}"
    elif action == Action.CLOSE_OTHER:
        details = (decision.other_details or "").strip()
        if not details:
            problems.append(Problem("other_details", f"Enter why the {kind.noun} is closed without a case"))
        elif len(details) > DETAILS_LIMIT:
            problems.append(Problem("other_details", f"Reason must be {DETAILS_LIMIT:,} characters or fewer"))
        else:
            closed_reason = f"{CLOSE_REASONS[action]}: {details}"
    if problems:
        raise Refused(problems)
    return _Checked(action, child, choice == NEW_CHILD, case, closed_reason)


def decision_problems(
    session: Session, item: TriageItem, decision: Decision, candidates: list[Candidate], schools: list[School]
) -> list[Problem]:
    """What is wrong with the answers, without deciding anything (for a page shown again after a lapsed token)."""
    try:
        _check(session, item, decision, candidates, schools)
    except Refused as refused:
        return refused.problems
    return []


# What a new case takes from the item --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseDefaults:
    risk_level: str
    missing_since: date | None
    primary_reason: str | None


def new_case_defaults(item: TriageItem, today: date) -> CaseDefaults:
    """What a case opened from the item starts with: high risk for an urgent referral, the day the child was last
    at school, left the roll or began an alert's run of absence, and the primary reason when the item says it
    plainly."""
    kind = kind_of(item)
    day = kind.missing_since(item)
    return CaseDefaults(kind.risk(item), day if day is not None and day <= today else None, kind.primary_reason(item))


# Deciding ---------------------------------------------------------------------------------------------------------


def triage(
    session: Session,
    item: TriageItem,
    decision: Decision,
    actor: User,
    *,
    today: date,
    settings: CaseSettings,
    schools: Sequence[School] = (),
    candidates: list[Candidate] | None = None,
) -> Triaged:
    """Decide on the item, in one transaction. Raises AlreadyTriaged when it no longer waits for a decision (and
    changes nothing), Refused for answers that cannot be accepted. `schools` are those the page listed for
    "on roll at a named school"; `candidates` the children it proposed (found again when not given)."""
    kind = kind_of(item)
    if not is_waiting(item):
        raise AlreadyTriaged(item)
    if candidates is None:
        candidates = proposed_children(session, item)
    checked = _check(session, item, decision, candidates, list(schools))

    before = audit.snapshot(item, ITEM_FIELDS)
    now = utcnow()
    final = kind.closed if checked.action.closes else kind.to_case
    claimed = rows_changed(
        session,
        update(kind.model)
        .where(kind.model.id == item.id, kind.model.status.in_(kind.waiting))
        .values(status=final, triaged_by_id=actor.id, triaged_at=now),
        synchronize_session=False,
    )
    if claimed != 1:
        session.rollback()
        session.refresh(item)
        raise AlreadyTriaged(item)

    child = checked.child
    if checked.new_child:
        child = kind.new_child(item)
        session.add(child)
        session.flush()
        audit.record(session, actor, "child.created", "child", child.id, after=audit.snapshot(child, CHILD_FIELDS))

    case = checked.case
    if checked.action == Action.OPEN_CASE:
        defaults = new_case_defaults(item, today)
        case = open_case(
            session,
            child=required(child),  # the checks let a case be opened only for a child
            actor=actor,
            today=today,
            settings=settings,
            risk_level=defaults.risk_level,
            missing_since=defaults.missing_since,
            primary_reason=defaults.primary_reason,
        )
    item.status, item.triaged_by, item.triaged_at = final, actor, now
    item.child, item.case, item.closed_reason = child, case, checked.closed_reason
    session.flush()
    if case is not None:
        record_event(
            session,
            case,
            actor,
            f"{kind.object_type}_added",
            f"{kind.title} {item.reference} added",
            reference=item.reference,
        )
        audit.record(
            session, actor, f"case.{kind.object_type}_added", "case", case.id, after={"reference": item.reference}
        )
    audit.record(
        session,
        actor,
        f"{kind.object_type}.triaged",
        kind.object_type,
        item.id,
        before,
        audit.snapshot(item, ITEM_FIELDS),
    )
    session.commit()
    return Triaged(item, checked.action, child, case, checked.new_child, checked.action == Action.OPEN_CASE)
