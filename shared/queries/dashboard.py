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
    CTE,
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
    # Whether attendance alerts wait in the intake queue: not where long absence is not CME (a setting).
    alerts_in_queue: bool = True

    @property
    def bounds_schools(self) -> bool:
        return self.school_ids is not None or self.phase is not None


# A case's school --------------------------------------------------------------------------------------------------


def case_school(cases: CTE) -> Select:
    """Each row of `cases` (a CTE of Case's columns, `id` and `child_id` among them) with the case's school as
    `school_id`: the school of the first notice on the case, else of the first attendance alert it was opened from
    or linked to, else the child's current school; NULL when none.

    The cases' notices and alerts and the cases themselves are listed and ranked case by case (notices first, then
    alerts, each earliest first, then the case), and each case's own row takes the school ranked first: nothing
    ranked is joined back, which SQLite would read once per case. Notices and alerts are reached by IN from the
    cases and children by key from each ranked case, so both databases look up just these through their indexes
    rather than read them all."""
    among = select(cases.c.id)
    blanks = [literal(None, column.type).label(column.name) for column in cases.c]

    def items(model, arrived, rank: int) -> Select:
        return select(
            model.case_id.label("case_id"),
            literal(rank, Integer).label("rank"),
            arrived.label("arrived"),
            model.id.label("item_id"),
            model.school_id.label("school_id"),
            *blanks,
        ).where(model.case_id.in_(among))

    own = (cases.c.id, literal(3, Integer), literal(None, SchoolNotice.submitted_at.type), literal(None, Integer))
    listed = union_all(
        items(SchoolNotice, SchoolNotice.submitted_at, 1),
        items(AttendanceAlert, AttendanceAlert.raised_at, 2),
        select(*own, literal(None, Integer), *cases.c),
    ).subquery("listed")
    first = func.first_value(listed.c.school_id).over(
        partition_by=listed.c.case_id, order_by=(listed.c.rank, listed.c.arrived, listed.c.item_id)
    )
    ranked = select(listed, first.label("item_school_id")).subquery("ranked")
    # The child's school is looked up by key for each case ranked, however many cases there are.
    school_id = func.coalesce(ranked.c.item_school_id, Child.current_school_id)
    return (
        select(*(ranked.c[column.name] for column in cases.c), school_id.label("school_id"))
        .join(Child, Child.id == ranked.c.child_id)
        .where(ranked.c.rank == 3)
    )


_CASE_COLUMNS = (
    Case.id,
    Case.child_id,
    Case.reference,
    Case.status,
    Case.risk_level,
    Case.assigned_to_id,
    Case.opened_at,
    Case.located_on,
    Case.closed_at,
)


def _cases(filters: Filters, *where, school: bool = False) -> CTE:
    """The cases meeting `where` that the filters' schools, phase and officer leave, as a CTE (found once however
    often a statement reads it) of Case's columns, with each case's school as `school_id` when `school` is asked
    for or the filters bound schools. Every read narrows cases here."""
    cases = select(*_CASE_COLUMNS).where(*where)
    if filters.officer_id is not None:
        cases = cases.where(Case.assigned_to_id == filters.officer_id)
    if not (school or filters.bounds_schools):
        return cases.cte("in_scope")
    with_school = case_school(cases.cte("candidates"))
    return with_school.where(*_at_schools(with_school.selected_columns.school_id, filters)).cte("in_scope")


def _at_schools(school_id, filters: Filters) -> list:
    """Conditions putting `school_id` at one of the filters' schools and in their phase (none when they bound no
    school). The phase is an IN of its schools, not a join, so neither database goes school by school."""
    where = []
    if filters.school_ids is not None:
        where.append(school_id.in_(sorted(filters.school_ids)))
    if filters.phase is not None:
        where.append(school_id.in_(select(School.id).where(School.phase == filters.phase)))
    return where


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
    the officer does not narrow it: nothing in it is anyone's yet. Attendance alerts are left out where they do not
    wait there (`alerts_in_queue`), as the intake page leaves them out."""
    notices = select(
        literal(ItemKind.NOTICE.value, String).label("kind"),
        SchoolNotice.reference.label("reference"),
        SchoolNotice.submitted_at.label("received_at"),
        SchoolNotice.school_id.label("school_id"),
    ).where(SchoolNotice.status.in_(NOTICE_WAITING))
    alerts = select(
        literal(ItemKind.ALERT.value, String),
        AttendanceAlert.reference,
        AttendanceAlert.raised_at,
        AttendanceAlert.school_id,
    ).where(AttendanceAlert.status.in_(ALERT_WAITING))
    referrals = select(
        literal(ItemKind.REFERRAL.value, String),
        Referral.reference,
        Referral.received_at,
        literal(None, Integer),
    ).where(Referral.status.in_(REFERRAL_WAITING))
    waiting = union_all(notices, *([alerts] if filters.alerts_in_queue else []), referrals)
    # Found by status first (the queue is short), then narrowed to the schools: a CTE kept whole, so neither
    # database reads every notice of the schools chosen instead.
    waiting = waiting.cte("waiting").prefix_with("MATERIALIZED")
    return select(waiting).where(*_at_schools(waiting.c.school_id, filters)).subquery("queue")


def _tally(name: str, source, *where, number=None, text=None, day=None, adding=None) -> Select:
    """One grouped count for `_tallies`: the rows of `source` meeting `where` (or the sum of `adding` over them),
    by up to one number, one text and one date."""
    keys = [key for key in (number, text, day) if key is not None]
    statement = select(
        literal(name, String),
        literal(None, Integer) if number is None else number,
        literal(None, String) if text is None else text,
        literal(None, Date) if day is None else day,
        func.count() if adding is None else cast(func.coalesce(func.sum(adding), 0), Integer),
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


def _overdue(cases: CTE, today: date):
    """An overdue check (to do or asked, due before today) on an open case of `cases`. Asked by case (an IN), so
    both databases go from the few open cases to their checks, not through every check due before today."""
    open_cases = select(cases.c.id).where(cases.c.status.in_(OPEN_STATUSES))
    return and_(Enquiry.case_id.in_(open_cases), Enquiry.status.in_(OPEN_CHECK_STATUSES), Enquiry.due_on < today)


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
    # Only the cases some count reads: open, closed or located in the dates or this term, or with a referral
    # counted (the counts still apply their own conditions).
    cases = _cases(
        filters,
        or_(
            _IS_OPEN,
            in_dates(Case.closed_at),
            Case.located_on.between(term_start, today),
            Case.id.in_(select(Referral.case_id).where(counted_referral)),
        ),
    )
    is_open = cases.c.status.in_(OPEN_STATUSES)
    referrals = Referral.__table__
    if filters.bounds_schools or filters.officer_id is not None:  # a referral is bounded through its case
        referrals = referrals.join(cases, cases.c.id == Referral.case_id)
    notices = (
        select(SchoolNotice.submitted_at)
        .where(SchoolNotice.routed_to_cme.is_(True), *_at_schools(SchoolNotice.school_id, filters))
        .subquery("notices")
    )
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
        _tally("overdue", Enquiry.__table__, _overdue(cases, today)),
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
    located = _cases(filters, Case.located_on.between(filters.start, filters.end))
    in_located = select(located.c.id)
    arrivals = union_all(
        select(Referral.case_id, Referral.received_at.label("arrived")).where(Referral.case_id.in_(in_located)),
        select(SchoolNotice.case_id, SchoolNotice.submitted_at).where(SchoolNotice.case_id.in_(in_located)),
        select(AttendanceAlert.case_id, AttendanceAlert.raised_at).where(AttendanceAlert.case_id.in_(in_located)),
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
    # From the first referral, notice or attendance alert on the case to arrive (as `outcomes.time_to_locate`
    # counts), else from the case's opening.
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
    in_scope = _cases(filters, _IS_OPEN, school=True)
    overdue = (
        select(Enquiry.case_id, func.count().label("checks"))
        .where(_overdue(in_scope, today))
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
    waiting = _waiting_items(filters)
    counts = _tallies(
        session,
        _tally("load", cases, number=cases.c.assigned_to_id, text=cases.c.status),
        _tally("overdue", cases, number=cases.c.assigned_to_id, adding=cases.c.overdue),
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
    cases = _cases(filters, _IS_OPEN)
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
        .where(_overdue(cases, today))
        .order_by(Enquiry.due_on, cases.c.reference, Enquiry.id)
    )
    if with_names:
        statement = statement.add_columns(Child.first_name, Child.last_name).join(Child, Child.id == cases.c.child_id)
    rows = session.execute(statement).all()
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
    # Found by status (a short list) and then sorted: not by walking every notice in the order received.
    waiting = (
        select(SchoolNotice.reference, SchoolNotice.school_id, SchoolNotice.kind, SchoolNotice.submitted_at, *names)
        .where(SchoolNotice.status.in_(NOTICE_WAITING))
        .cte("waiting_notices")
        .prefix_with("MATERIALIZED")
    )
    rows = session.execute(
        select(waiting, School.name)
        .join(School, School.id == waiting.c.school_id)
        .where(*_at_schools(waiting.c.school_id, filters))
        .order_by(waiting.c.submitted_at, waiting.c.reference)
    ).all()
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
    cases = _cases(filters, Case.status == status if status else _IS_OPEN, school=True)
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
            status=_label(CaseStatus, row.status),
            officer=row.name,
            opened_on=_uk_date(row.opened_at),
            school=row.school,
            risk=_label(RiskLevel, row.risk_level),
            child_name=_name(row.first_name, row.last_name) if with_names else None,
        )
        for row in rows
    ]
