"""What the dashboard's filters keep, stated once for every read.

- the date range (`start`..`end`, both inclusive) bounds flows: referrals and notices received, cases opened,
  cases closed (and their outcomes), children located, pupils removed from roll. Counts "now" (open cases, the
  queue, overdue checks) are as of `today`. Placed children are those placed on or before the end and not closed
  before the start. Days are days in England.
- the schools (`school_ids`) and `phase` bound cases by the case's school (`case_school`: the school that sent the
  first notice on the case, else the school of the attendance alert it came from, else the child's current
  school), notices and removals by the sending school, attendance by the school of the marks, and placed children
  by the school they were placed at. A phase is a School.phase value ("Primary", "Secondary", ...). A referral is
  bounded through its case, so none without a case counts when schools, a phase or an officer are chosen. The
  intake queue's notices and alerts are bounded by their school, its referrals (no school until triage) left out
  when schools or a phase are chosen; the officer does not narrow the queue, as nothing in it is anyone's yet.
- the officer (`officer_id`) bounds cases and their checks by the officer assigned (removals: the notices attached
  to that officer's cases).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import CTE, Integer, Select, String, Subquery, and_, func, literal, select, union_all

from shared.domain.casework import OPEN_STATUSES
from shared.domain.checks import OPEN_CHECK_STATUSES
from shared.models import AttendanceAlert, Case, Child, Enquiry, Referral, School, SchoolNotice
from shared.queries.intake import KINDS


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

    @property
    def bounds_cases(self) -> bool:
        return self.bounds_schools or self.officer_id is not None


IS_OPEN = Case.status.in_(OPEN_STATUSES)


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


def school_of_case():
    """The same rule as `case_school`, as a correlated SQL expression on `Case` (None for none): for reads that
    group or filter `Case` itself rather than a CTE of cases."""

    def first_school(model, received):
        first = select(model.school_id).where(model.case_id == Case.id).order_by(received, model.id).limit(1)
        return first.correlate(Case).scalar_subquery()

    current = select(Child.current_school_id).where(Child.id == Case.child_id).correlate(Case).scalar_subquery()
    return func.coalesce(
        first_school(SchoolNotice, SchoolNotice.submitted_at),
        first_school(AttendanceAlert, AttendanceAlert.raised_at),
        current,
    )


# Which cases, schools and items the filters keep --------------------------------------------------------------------

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


def cases_in_scope(filters: Filters, *where, school: bool = False) -> CTE:
    """The cases meeting `where` that the filters' schools, phase and officer leave, as a CTE (found once however
    often a statement reads it) of Case's columns, with each case's school as `school_id` when `school` is asked
    for or the filters bound schools."""
    cases = select(*_CASE_COLUMNS).where(*where)
    if filters.officer_id is not None:
        cases = cases.where(Case.assigned_to_id == filters.officer_id)
    if not (school or filters.bounds_schools):
        return cases.cte("in_scope")
    with_school = case_school(cases.cte("candidates"))
    return with_school.where(*at_schools(with_school.selected_columns.school_id, filters)).cte("in_scope")


def at_schools(school_id, filters: Filters) -> list:
    """Conditions putting `school_id` at one of the filters' schools and in their phase (none when they bound no
    school). The phase is an IN of its schools, not a join, so neither database goes school by school."""
    where = []
    if filters.school_ids is not None:
        where.append(school_id.in_(sorted(filters.school_ids)))
    if filters.phase is not None:
        where.append(school_id.in_(select(School.id).where(School.phase == filters.phase)))
    return where


def case_bounds(filters: Filters, school) -> list:
    """The conditions on `Case` for the filters' schools, phase and officer, `school` being the case's school."""
    where = at_schools(school, filters)
    if filters.officer_id is not None:
        where.append(Case.assigned_to_id == filters.officer_id)
    return where


def is_overdue(cases: CTE, today: date):
    """An overdue check (to do or asked, due before today) on an open case of `cases`. Asked by case (an IN), so
    both databases go from the few open cases to their checks, not through every check due before today."""
    open_cases = select(cases.c.id).where(cases.c.status.in_(OPEN_STATUSES))
    return and_(Enquiry.case_id.in_(open_cases), Enquiry.status.in_(OPEN_CHECK_STATUSES), Enquiry.due_on < today)


def first_items(case_ids):
    """Each case's first item (a report, a school's notice or an attendance alert attached to it), as a subquery
    of case_id and first_at, for the cases the select `case_ids` gives."""
    items = union_all(
        select(Referral.case_id.label("case_id"), Referral.received_at.label("at")).where(
            Referral.case_id.in_(case_ids)
        ),
        select(SchoolNotice.case_id, SchoolNotice.submitted_at).where(SchoolNotice.case_id.in_(case_ids)),
        select(AttendanceAlert.case_id, AttendanceAlert.raised_at).where(AttendanceAlert.case_id.in_(case_ids)),
    ).subquery("items")
    return select(items.c.case_id, func.min(items.c.at).label("first_at")).group_by(items.c.case_id).subquery("first")


def waiting_items(filters: Filters) -> Subquery:
    """The intake queue's items (its waiting statuses), as kind, reference, received_at. The schools and phase
    narrow it to notices and alerts from those schools (a referral has no school until triage gives it a case);
    the officer does not narrow it: nothing in it is anyone's yet. Attendance alerts are left out where they do not
    wait there (`alerts_in_queue`), as the intake page leaves them out."""
    every = union_all(
        *(
            select(
                literal(kind.name, String).label("kind"),
                kind.model.reference.label("reference"),
                kind.received.label("received_at"),
                (literal(None, Integer) if kind.from_school is None else kind.from_school).label("school_id"),
            ).where(kind.model.status.in_(kind.waiting))
            for kind in KINDS
            if filters.alerts_in_queue or not kind.long_absence
        )
    )
    # Found by status first (the queue is short), then narrowed to the schools: a CTE kept whole, so neither
    # database reads every notice of the schools chosen instead.
    waiting = every.cte("waiting").prefix_with("MATERIALIZED")
    return select(waiting).where(*at_schools(waiting.c.school_id, filters)).subquery("queue")
