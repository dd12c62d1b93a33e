"""Reads for the staff dashboard: plain functions from a session and the dashboard's filters to data, each a fixed
number of queries however many rows (never a query per row). The Dash layer only lays out what they return.

How the filters apply:
- the date range (`start`..`end`, both inclusive) bounds flows: referrals and notices received, cases opened,
  cases closed, children located. Counts "now" (open cases, the queue, overdue checks) are as of `today`.
- the schools (`school_ids`) and `phase` bound cases by the case's school (`case_school`: the school that sent the
  first notice on the case, else the school of the attendance alert it came from, else the child's current
  school), notices by the sending school, and attendance by the school of the marks. A phase is a School.phase
  value ("Primary", "Secondary", ...). A referral is bounded through its case, so none without a case counts
  when schools, a phase or an officer are chosen. The intake queue's notices and alerts are bounded by their
  school, its referrals (no school until triage) left out when schools or a phase are chosen; the officer does
  not narrow the queue, as nothing in it is anyone's yet.
- the officer (`officer_id`) bounds cases and their checks by the officer assigned.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import median

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    Subquery,
    Text,
    and_,
    cast,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from shared.clock import UK
from shared.domain.casework import OPEN_STATUSES, CaseStatus
from shared.domain.checks import OPEN_CHECK_STATUSES, check_label
from shared.domain.roles import Role
from shared.domain.school_age import national_curriculum_year, year_group_label
from shared.domain.school_days import SchoolCalendar
from shared.domain.vocab import NoticeKind, RiskLevel, VulnerableGroup
from shared.models import AttendanceAlert, Case, Child, Enquiry, Referral, School, SchoolNotice, User
from shared.queries.intake import ALERT_WAITING, NOTICE_WAITING, REFERRAL_WAITING, ItemKind


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    school_ids: frozenset[int] | None = None  # None: every school
    phase: str | None = None  # None: every phase
    officer_id: int | None = None  # None: every officer

    @property
    def bounds_schools(self) -> bool:
        return self.school_ids is not None or self.phase is not None


# A case's school --------------------------------------------------------------------------------------------------


def _first_per_case(model, arrived, name: str) -> Subquery:
    """Each case's earliest item of one kind (notice or alert) and its school: one row per case."""
    ranked = (
        select(
            model.case_id.label("case_id"),
            model.school_id.label("school_id"),
            func.row_number().over(partition_by=model.case_id, order_by=(arrived, model.id)).label("n"),
        )
        .where(model.case_id.is_not(None))
        .subquery()
    )
    return select(ranked.c.case_id, ranked.c.school_id).where(ranked.c.n == 1).subquery(name)


_FIRST_NOTICE = _first_per_case(SchoolNotice, SchoolNotice.submitted_at, "first_notice")
_FIRST_ALERT = _first_per_case(AttendanceAlert, AttendanceAlert.raised_at, "first_alert")


def case_school() -> ColumnElement[int]:
    """A case's school as SQL: the school of the first notice on the case, else of the attendance alert the case
    was opened or linked from, else the child's current school; NULL when none. Valid in a statement joined by
    `_within(..., school=True)`."""
    return func.coalesce(_FIRST_NOTICE.c.school_id, _FIRST_ALERT.c.school_id, Child.current_school_id)


def _within(statement: Select, filters: Filters, *, school: bool = False, child: bool = False) -> Select:
    """The statement (with Case in its FROM) narrowed to the filters' schools, phase and officer. `school` joins
    the case's school as School (outer: a case may have none); `child` joins Child."""
    school = school or filters.bounds_schools
    if school or child:
        statement = statement.join(Child, Child.id == Case.child_id)
    if school:
        statement = (
            statement.outerjoin(_FIRST_NOTICE, _FIRST_NOTICE.c.case_id == Case.id)
            .outerjoin(_FIRST_ALERT, _FIRST_ALERT.c.case_id == Case.id)
            .outerjoin(School, School.id == case_school())
        )
    if filters.school_ids is not None:
        statement = statement.where(case_school().in_(sorted(filters.school_ids)))
    if filters.phase is not None:
        statement = statement.where(School.phase == filters.phase)
    if filters.officer_id is not None:
        statement = statement.where(Case.assigned_to_id == filters.officer_id)
    return statement


def _from_schools(statement: Select, school_id, filters: Filters) -> Select:
    """A statement over notices or alerts narrowed to the filters' schools and phase by the sending school."""
    if filters.school_ids is not None:
        statement = statement.where(school_id.in_(sorted(filters.school_ids)))
    if filters.phase is not None:
        statement = statement.join(School, School.id == school_id).where(School.phase == filters.phase)
    return statement


# Shared pieces ----------------------------------------------------------------------------------------------------

_IS_OPEN = Case.status.in_(OPEN_STATUSES)


def _uk_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UK)


def _received_between(column, start: date, end: date):
    """A stored moment on one of the days start..end in England."""
    return and_(column >= _uk_midnight(start), column < _uk_midnight(end + timedelta(days=1)))


def _uk_date(moment: datetime) -> date:
    return moment.astimezone(UK).date()


def _school_day_counter(calendar: SchoolCalendar, days: Iterable[date]) -> Callable[[date, date], int]:
    """`calendar.school_days_between` for many pairs of dates, judging each day of their span once."""
    days = list(days)
    if not days:
        return lambda start, end: 0
    first, last = min(days), max(days)
    ordinal, counted = {}, 0
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        if offset and calendar.is_school_day(day):
            counted += 1
        ordinal[day] = counted
    return lambda start, end: ordinal[end] - ordinal[start]


def _name(first: str | None, last: str | None) -> str:
    return " ".join(part for part in (first, last) if part) or "Name not known"


def _label(vocabulary, code: str | None) -> str | None:
    try:
        return vocabulary(code).label
    except ValueError:
        return code


def _waiting_items(filters: Filters) -> Subquery:
    """The intake queue's items (its waiting statuses), as kind, reference, received_at. The schools and phase
    narrow it to notices and alerts from those schools (a referral has no school until triage gives it a case);
    the officer does not narrow it: nothing in it is anyone's yet."""
    parts = [
        _from_schools(
            select(
                literal(ItemKind.NOTICE.value, String).label("kind"),
                SchoolNotice.reference.label("reference"),
                SchoolNotice.submitted_at.label("received_at"),
            ).where(SchoolNotice.status.in_(NOTICE_WAITING)),
            SchoolNotice.school_id,
            filters,
        ),
        _from_schools(
            select(literal(ItemKind.ALERT.value, String), AttendanceAlert.reference, AttendanceAlert.raised_at).where(
                AttendanceAlert.status.in_(ALERT_WAITING)
            ),
            AttendanceAlert.school_id,
            filters,
        ),
    ]
    if not filters.bounds_schools:
        parts.append(
            select(literal(ItemKind.REFERRAL.value, String), Referral.reference, Referral.received_at).where(
                Referral.status.in_(REFERRAL_WAITING)
            )
        )
    return union_all(*parts).subquery("waiting")


def _tally(name: str, source, *where, number=None, text=None, day=None) -> Select:
    """One grouped count for `_tallies`: the rows of `source` meeting `where`, counted by up to one number, one
    text and one date."""
    keys = [key for key in (number, text, day) if key is not None]
    statement = select(
        literal(name, String),
        literal(None, Integer) if number is None else number,
        literal(None, String) if text is None else text,
        literal(None, Date) if day is None else day,
        func.count(),
    )
    statement = statement.select_from(source).where(*where)
    return statement.group_by(*keys) if keys else statement


def _tallies(session: Session, *tallies: Select) -> dict[str, dict[tuple, int]]:
    """Several grouped counts in one statement, so rows they share (a CTE) are found once: for each tally's name,
    its counts by (number, text, day)."""
    found: dict[str, dict[tuple, int]] = {}
    for name, number, text, day, count in session.execute(union_all(*tallies)):
        found.setdefault(name, {})[number, text, day] = count
    return found


def _total(counts: dict[str, dict[tuple, int]], name: str) -> int:
    return sum(counts.get(name, {}).values())


def _scope(filters: Filters, *needed):
    """The cases the filters' schools, phase and officer leave, to count from: the cases table when they leave
    every case, else a CTE of the same columns (a statement finds it once however many counts read it) holding
    the cases `needed` (the counts still apply their own conditions)."""
    if not filters.bounds_schools and filters.officer_id is None:
        return Case.__table__
    columns = (Case.id, Case.status, Case.assigned_to_id, Case.located_on, Case.closed_at)
    return _within(select(*columns).select_from(Case).where(*needed), filters).cte("scope")


def _is_overdue(check, today: date):
    """A check (Enquiry or its table's columns) still to do or asked, due before today."""
    return and_(check.status.in_(OPEN_CHECK_STATUSES), check.due_on < today)


# The overview -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardOverview:
    open_cases: int
    cases_by_status: dict[str, int]  # every CaseStatus code: open ones now, closed ones closed in the dates
    referrals_received: int  # in the dates
    referrals_this_week: int  # Monday to today
    notices_received: int  # notices routed to the CME team, in the dates
    notices_this_week: int
    unassigned_intake: int  # items waiting in the intake queue now
    unassigned_cases: int  # open cases with no officer
    overdue_checks: int
    located_this_term: int  # located from the term's start to today
    median_days_to_locate: float | None  # school days, first item to located, for cases located in the dates


def overview(
    session: Session, filters: Filters, today: date, term_start: date, calendar: SchoolCalendar
) -> DashboardOverview:
    """The dashboard's headline figures: the counts in one statement, the median in a second."""
    week_start = today - timedelta(days=today.weekday())

    def in_dates(column):
        return _received_between(column, filters.start, filters.end)

    def this_week(column):
        return _received_between(column, week_start, today)

    counted_referral = or_(in_dates(Referral.received_at), this_week(Referral.received_at))
    cases = _scope(
        filters,
        or_(
            _IS_OPEN,
            in_dates(Case.closed_at),
            Case.located_on.between(term_start, today),
            Case.id.in_(select(Referral.case_id).where(counted_referral)),
        ),
    )
    is_open = cases.c.status.in_(OPEN_STATUSES)
    checks = Enquiry.__table__.join(cases, cases.c.id == Enquiry.case_id)
    referrals = Referral.__table__
    if cases is not Case.__table__:  # a referral is bounded through its case
        referrals = referrals.join(cases, cases.c.id == Referral.case_id)
    notices = _from_schools(
        select(SchoolNotice.submitted_at).where(SchoolNotice.routed_to_cme.is_(True)), SchoolNotice.school_id, filters
    ).subquery("notices")
    counts = _tallies(
        session,
        _tally(
            "status",
            cases,
            or_(is_open, and_(cases.c.status == CaseStatus.CLOSED, in_dates(cases.c.closed_at))),
            text=cases.c.status,
        ),
        _tally("unassigned", cases, is_open, cases.c.assigned_to_id.is_(None)),
        _tally("located", cases, cases.c.located_on.between(term_start, today)),
        _tally("overdue", checks, is_open, _is_overdue(Enquiry.__table__.c, today)),
        _tally("referrals", referrals, in_dates(Referral.received_at)),
        _tally("referrals_week", referrals, this_week(Referral.received_at)),
        _tally("notices", notices, in_dates(notices.c.submitted_at)),
        _tally("notices_week", notices, this_week(notices.c.submitted_at)),
        _tally("queue", _waiting_items(filters)),
    )
    by_status = {status.value: 0 for status in CaseStatus}
    for (_, status, _), count in counts.get("status", {}).items():
        by_status[status] = count
    return DashboardOverview(
        open_cases=sum(by_status[status] for status in OPEN_STATUSES),
        cases_by_status=by_status,
        referrals_received=_total(counts, "referrals"),
        referrals_this_week=_total(counts, "referrals_week"),
        notices_received=_total(counts, "notices"),
        notices_this_week=_total(counts, "notices_week"),
        unassigned_intake=_total(counts, "queue"),
        unassigned_cases=_total(counts, "unassigned"),
        overdue_checks=_total(counts, "overdue"),
        located_this_term=_total(counts, "located"),
        median_days_to_locate=_median_days_to_locate(session, filters, calendar),
    )


def _median_days_to_locate(session: Session, filters: Filters, calendar: SchoolCalendar) -> float | None:
    located = (
        _within(
            select(Case.id, Case.opened_at, Case.located_on)
            .select_from(Case)
            .where(Case.located_on.between(filters.start, filters.end)),
            filters,
        )
    ).cte("located")
    in_located = select(located.c.id)
    arrivals = union_all(
        select(Referral.case_id, Referral.received_at.label("arrived")).where(Referral.case_id.in_(in_located)),
        select(SchoolNotice.case_id, SchoolNotice.submitted_at).where(SchoolNotice.case_id.in_(in_located)),
    ).subquery("arrivals")
    first = (
        select(arrivals.c.case_id, func.min(arrivals.c.arrived).label("arrived"))
        .group_by(arrivals.c.case_id)
        .subquery("first_arrivals")
    )
    rows = session.execute(
        select(located.c.opened_at, located.c.located_on, first.c.arrived).outerjoin(
            first, first.c.case_id == located.c.id
        )
    ).all()
    if not rows:
        return None
    # From the first referral or notice on the case to arrive, else from the case's opening.
    spans = [(_uk_date(arrived or opened_at), located_on) for opened_at, located_on, arrived in rows]
    between = _school_day_counter(calendar, [day for pair in spans for day in pair])
    # A child found before the first item on the case arrived took no time to find.
    return float(median(max(0, between(arrived, located_on)) for arrived, located_on in spans))


# Caseloads --------------------------------------------------------------------------------------------------------

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
    kind: str  # shared.queries.intake.ItemKind
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
    # The JSON list's text is grouped (a few distinct lists) and read in Python: no dialect's JSON functions.
    cases = _within(
        select(
            Case.id,
            Case.assigned_to_id,
            Case.status,
            School.urn,
            School.name,
            Child.date_of_birth,
            cast(Child.vulnerable_groups, Text).label("groups"),
        )
        .select_from(Case)
        .where(_IS_OPEN),
        filters,
        school=True,
    ).cte("open_cases")
    waiting = _waiting_items(filters)
    counts = _tallies(
        session,
        _tally("load", cases, number=cases.c.assigned_to_id, text=cases.c.status),
        _tally(
            "overdue",
            Enquiry.__table__.join(cases, cases.c.id == Enquiry.case_id),
            _is_overdue(Enquiry.__table__.c, today),
            number=cases.c.assigned_to_id,
        ),
        _tally("school", cases, number=cases.c.urn, text=cases.c.name),
        _tally("born", cases, day=cases.c.date_of_birth),
        _tally("groups", cases, text=cases.c.groups),
        _tally("queue", waiting),
    )
    oldest = session.execute(
        select(waiting.c.kind, waiting.c.reference, waiting.c.received_at)
        .order_by(waiting.c.received_at, waiting.c.reference)
        .limit(1)
    ).first()
    return Caseloads(
        officers=_officer_loads(session, filters, counts),
        queue=_total(counts, "queue"),
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
        who = or_(and_(User.active.is_(True), User.role.in_([Role.OFFICER, Role.LEAD])), User.id.in_(holders))
    rows = session.execute(select(User.id, User.name).where(who).order_by(User.name, User.id)).all()
    rows = [*rows, *([(None, UNASSIGNED)] if filters.officer_id is None else [])]
    return [
        OfficerLoad(
            officer_id, name, by_officer.get(officer_id, dict.fromkeys(open_statuses, 0)), overdue.get(officer_id, 0)
        )
        for officer_id, name in rows
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


# Lists ------------------------------------------------------------------------------------------------------------


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
    names = (Child.first_name, Child.last_name) if with_names else ()
    rows = session.execute(
        _within(
            select(
                Case.reference,
                User.name,
                Enquiry.check_type,
                Enquiry.description,
                Enquiry.other_authority,
                Enquiry.due_on,
                *names,
            )
            .select_from(Enquiry)
            .join(Case, and_(Case.id == Enquiry.case_id, _IS_OPEN, _is_overdue(Enquiry, today)))
            .outerjoin(User, User.id == Case.assigned_to_id)
            .order_by(Enquiry.due_on, Case.reference, Enquiry.id),
            filters,
            child=with_names,
        )
    ).all()
    between = _school_day_counter(calendar, [today, *(row.due_on for row in rows)])
    return [
        OverdueCheck(
            case_reference=row.reference,
            child_name=_name(row.first_name, row.last_name) if with_names else None,
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
    statement = (
        select(SchoolNotice.reference, School.name, SchoolNotice.kind, SchoolNotice.submitted_at, *names)
        .join(School, School.id == SchoolNotice.school_id)
        .where(SchoolNotice.status.in_(NOTICE_WAITING))
        .order_by(SchoolNotice.submitted_at, SchoolNotice.reference)
    )
    if filters.school_ids is not None:
        statement = statement.where(SchoolNotice.school_id.in_(sorted(filters.school_ids)))
    if filters.phase is not None:
        statement = statement.where(School.phase == filters.phase)
    rows = session.execute(statement).all()
    received = [_uk_date(row.submitted_at) for row in rows]
    between = _school_day_counter(calendar, [today, *received])
    return [
        WaitingNotice(
            reference=row.reference,
            school=row.name,
            kind=_label(NoticeKind, row.kind),
            received_on=day,
            school_days_waiting=between(day, today),
            pupil_name=_name(row.pupil_first_name, row.pupil_last_name) if with_names else None,
        )
        for row, day in zip(rows, received, strict=True)
    ]


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
    names = (Child.first_name, Child.last_name) if with_names else ()
    rows = session.execute(
        _within(
            select(Case.reference, Case.status, User.name, Case.opened_at, School.name.label("school"), Case.risk_level)
            .add_columns(*names)
            .select_from(Case)
            .outerjoin(User, User.id == Case.assigned_to_id)
            .where(Case.status == status if status else _IS_OPEN)
            .order_by(Case.opened_at.desc(), Case.reference.desc()),
            filters,
            school=True,
        )
    ).all()
    return [
        CaseRow(
            reference=row.reference,
            status=_label(CaseStatus, row.status),
            officer=row.name,
            opened_on=_uk_date(row.opened_at),
            school=row.school,
            risk=_label(RiskLevel, row.risk_level),
            child_name=_name(row.first_name, row.last_name) if with_names else None,
        )
        for row in rows
    ]
