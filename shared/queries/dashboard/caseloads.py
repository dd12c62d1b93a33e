"""The caseloads page's reads: open cases as the team shares them out (per officer by status, with their overdue
checks), the intake queue and its oldest item, open cases by vulnerable group, year group and school, and the open
cases themselves."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Text, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from shared.domain.casework import OPEN_STATUSES, CaseStatus
from shared.domain.school_age import national_curriculum_year, year_group_label
from shared.domain.vocab import RiskLevel, VulnerableGroup, label_of
from shared.models import Case, Child, Enquiry, School, User
from shared.queries.dashboard.choices import OFFICER_ROLES
from shared.queries.dashboard.counting import child_name, tallies, tally, total
from shared.queries.dashboard.days import uk_day
from shared.queries.dashboard.scope import IS_OPEN, Filters, cases_in_scope, is_overdue, waiting_items

UNASSIGNED = "Unassigned"
NO_GROUP = "None recorded"
NOT_OF_SCHOOL_AGE = "Not of compulsory school age"
NO_DATE_OF_BIRTH = "Date of birth not known"
NO_SCHOOL = "No school known"
_GROUP_LABELS = {group.value: group.label for group in VulnerableGroup}
_YEAR_GROUPS = tuple(year_group_label(year) for year in range(12))  # Reception to Year 11


@dataclass(frozen=True)
class OfficerLoad:
    officer_id: int | None  # None: the row of open cases with no officer
    name: str
    cases_by_status: dict[str, int]  # every open status's code
    overdue_checks: int

    @property
    def open_cases(self) -> int:
        return sum(self.cases_by_status.values())


@dataclass(frozen=True)
class QueueItem:
    kind: str  # its kind's name (shared.queries.intake.KINDS)
    reference: str
    received_at: datetime


@dataclass(frozen=True)
class SchoolCount:
    name: str
    urn: int | None  # None for the row of cases with no school known
    count: int


@dataclass(frozen=True)
class Caseloads:
    officers: list[OfficerLoad]  # by name, the unassigned row last
    queue: int  # items waiting in the intake queue
    oldest_in_queue: QueueItem | None
    by_vulnerable_group: dict[str, int]  # every group's label, then NO_GROUP; a case counts in each of its groups
    by_year_group: dict[str, int]  # Reception..Year 11, NOT_OF_SCHOOL_AGE, NO_DATE_OF_BIRTH
    by_school: list[SchoolCount]  # most cases first, then by name; NO_SCHOOL last


def caseloads(session: Session, filters: Filters, today: date) -> Caseloads:
    """Open cases as the team shares them out, and who and what they are about: the counts in one statement over
    the open cases (each case's school and child found once). The officers are every active officer and lead,
    with anyone else who holds open cases; with an officer chosen, that officer only."""
    in_scope = cases_in_scope(filters, IS_OPEN, school=True)
    overdue = (
        select(Enquiry.case_id, func.count().label("checks"))
        .where(is_overdue(in_scope, today))
        .group_by(Enquiry.case_id)
        .subquery("overdue")
    )
    # The JSON list's text is grouped (a few distinct lists) and read in Python: no dialect's JSON functions.
    cases = (
        select(
            in_scope.c.assigned_to_id,
            in_scope.c.status,
            School.urn,
            School.name,
            Child.date_of_birth,
            cast(Child.vulnerable_groups, Text).label("groups"),
            overdue.c.checks.label("overdue"),
        )
        .join(Child, Child.id == in_scope.c.child_id)
        .outerjoin(School, School.id == in_scope.c.school_id)
        .outerjoin(overdue, overdue.c.case_id == in_scope.c.id)
        .cte("open_cases")
    )
    waiting = waiting_items(filters)
    counts = tallies(
        session,
        tally("load", cases, number=cases.c.assigned_to_id, text=cases.c.status),
        tally("overdue", cases, number=cases.c.assigned_to_id, adding=cases.c.overdue),
        tally("school", cases, number=cases.c.urn, text=cases.c.name),
        tally("born", cases, day=cases.c.date_of_birth),
        tally("groups", cases, text=cases.c.groups),
        tally("queue", waiting),
    )
    oldest = session.execute(
        select(waiting.c.kind, waiting.c.reference, waiting.c.received_at)
        .order_by(waiting.c.received_at, waiting.c.reference)
        .limit(1)
    ).first()
    return Caseloads(
        officers=_officer_loads(session, filters, counts),
        queue=total(counts, "queue"),
        oldest_in_queue=QueueItem(*oldest) if oldest else None,
        by_vulnerable_group=_by_vulnerable_group(counts.get("groups", {})),
        by_year_group=_by_year_group(counts.get("born", {}), today),
        by_school=_by_school(counts.get("school", {})),
    )


def _officer_loads(session: Session, filters: Filters, counts: dict[str, dict[tuple, int]]) -> list[OfficerLoad]:
    open_statuses = [status.value for status in CaseStatus if status in OPEN_STATUSES]
    by_officer: dict[int | None, dict[str, int]] = {}
    for (officer_id, status, _), count in counts.get("load", {}).items():
        by_officer.setdefault(officer_id, dict.fromkeys(open_statuses, 0))[status] = count
    overdue = {officer_id: count for (officer_id, _, _), count in counts.get("overdue", {}).items()}
    if filters.officer_id is not None:
        who = User.id == filters.officer_id
    else:
        holders = sorted(officer_id for officer_id in by_officer if officer_id is not None)
        who = or_(and_(User.active.is_(True), User.role.in_(OFFICER_ROLES)), User.id.in_(holders))
    people: list[tuple[int | None, str]] = [
        (row.id, row.name)
        for row in session.execute(select(User.id, User.name).where(who).order_by(User.name, User.id))
    ]
    if filters.officer_id is None:
        people.append((None, UNASSIGNED))
    return [
        OfficerLoad(
            officer_id, name, by_officer.get(officer_id, dict.fromkeys(open_statuses, 0)), overdue.get(officer_id, 0)
        )
        for officer_id, name in people
    ]


def _by_vulnerable_group(counts: dict[tuple, int]) -> dict[str, int]:
    found = dict.fromkeys([*_GROUP_LABELS.values(), NO_GROUP], 0)
    for (_, text, _), count in counts.items():
        groups = {_GROUP_LABELS[code] for code in (json.loads(text) if text else None) or () if code in _GROUP_LABELS}
        for label in groups:
            found[label] += count
        if not groups:
            found[NO_GROUP] += count
    return found


def _by_year_group(counts: dict[tuple, int], today: date) -> dict[str, int]:
    found = dict.fromkeys([*_YEAR_GROUPS, NOT_OF_SCHOOL_AGE, NO_DATE_OF_BIRTH], 0)
    for (_, _, born), count in counts.items():
        if born is None:
            found[NO_DATE_OF_BIRTH] += count
        else:
            year = national_curriculum_year(born, today)
            found[year_group_label(year) if 0 <= year <= 11 else NOT_OF_SCHOOL_AGE] += count
    return found


def _by_school(counts: dict[tuple, int]) -> list[SchoolCount]:
    known = sorted(
        (SchoolCount(name, urn, count) for (urn, name, _), count in counts.items() if urn is not None),
        key=lambda row: (-row.count, row.name.lower(), row.urn),
    )
    return [*known, SchoolCount(NO_SCHOOL, None, sum(count for (urn, _, _), count in counts.items() if urn is None))]


# The open cases -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRow:
    reference: str
    status: str  # the status's label
    officer: str | None
    opened_on: date
    school: str | None  # the case's school (`case_school`)
    risk: str  # the risk level's label
    child_name: str | None  # None unless names were asked for


def open_case_list(
    session: Session, filters: Filters, today: date, with_names: bool, status: str | None = None
) -> list[CaseRow]:
    """The open cases behind the open-cases figure, the newest first; `status` narrows them to one open status
    (a status that is not open gives none)."""
    if status is not None and status not in OPEN_STATUSES:
        return []
    cases = cases_in_scope(filters, Case.status == status if status else IS_OPEN, school=True)
    statement = (
        select(
            cases.c.reference,
            cases.c.status,
            User.name,
            cases.c.opened_at,
            School.name.label("school"),
            cases.c.risk_level,
        )
        .outerjoin(User, User.id == cases.c.assigned_to_id)
        .outerjoin(School, School.id == cases.c.school_id)
        .order_by(cases.c.opened_at.desc(), cases.c.reference.desc())
    )
    if with_names:
        statement = statement.add_columns(Child.first_name, Child.last_name).join(Child, Child.id == cases.c.child_id)
    rows = session.execute(statement).all()
    return [
        CaseRow(
            reference=row.reference,
            status=label_of(CaseStatus, row.status),
            officer=row.name,
            opened_on=uk_day(row.opened_at),
            school=row.school,
            risk=label_of(RiskLevel, row.risk_level),
            child_name=child_name(row.first_name, row.last_name) if with_names else None,
        )
        for row in rows
    ]
