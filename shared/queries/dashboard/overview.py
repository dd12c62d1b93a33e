"""The dashboard's overview: the team's headline figures, in one statement, and the median time to locate a child."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from shared.domain.casework import OPEN_STATUSES, CaseStatus
from shared.domain.school_days import SchoolCalendar
from shared.models import Case, Enquiry, Referral, SchoolNotice
from shared.queries.dashboard.counting import tallies, tally, total
from shared.queries.dashboard.days import during, school_days_among, uk_day
from shared.queries.dashboard.scope import (
    IS_OPEN,
    Filters,
    at_schools,
    cases_in_scope,
    first_items,
    is_overdue,
    waiting_items,
)


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
        return during(column, filters.start, filters.end)

    def this_week(column):
        return during(column, week_start, today)

    counted_referral = or_(in_dates(Referral.received_at), this_week(Referral.received_at))
    # Only the cases some count reads: open, closed or located in the dates or this term, or with a referral
    # counted (the counts still apply their own conditions).
    cases = cases_in_scope(
        filters,
        or_(
            IS_OPEN,
            in_dates(Case.closed_at),
            Case.located_on.between(term_start, today),
            Case.id.in_(select(Referral.case_id).where(counted_referral)),
        ),
    )
    is_open = cases.c.status.in_(OPEN_STATUSES)
    referrals = Referral.__table__
    if filters.bounds_cases:  # a referral is bounded through its case
        referrals = referrals.join(cases, cases.c.id == Referral.case_id)
    notices = (
        select(SchoolNotice.submitted_at)
        .where(SchoolNotice.routed_to_cme.is_(True), *at_schools(SchoolNotice.school_id, filters))
        .subquery("notices")
    )
    counts = tallies(
        session,
        tally(
            "status",
            cases,
            or_(is_open, and_(cases.c.status == CaseStatus.CLOSED, in_dates(cases.c.closed_at))),
            text=cases.c.status,
        ),
        tally("unassigned", cases, is_open, cases.c.assigned_to_id.is_(None)),
        tally("located", cases, cases.c.located_on.between(term_start, today)),
        tally("overdue", Enquiry.__table__, is_overdue(cases, today)),
        tally("referrals", referrals, in_dates(Referral.received_at)),
        tally("referrals_week", referrals, this_week(Referral.received_at)),
        tally("notices", notices, in_dates(notices.c.submitted_at)),
        tally("notices_week", notices, this_week(notices.c.submitted_at)),
        tally("queue", waiting_items(filters)),
    )
    by_status = {status.value: 0 for status in CaseStatus}
    for (_, status, _), count in counts.get("status", {}).items():
        by_status[status] = count
    return DashboardOverview(
        open_cases=sum(by_status[status] for status in OPEN_STATUSES),
        cases_by_status=by_status,
        referrals_received=total(counts, "referrals"),
        referrals_this_week=total(counts, "referrals_week"),
        notices_received=total(counts, "notices"),
        notices_this_week=total(counts, "notices_week"),
        unassigned_intake=total(counts, "queue"),
        unassigned_cases=total(counts, "unassigned"),
        overdue_checks=total(counts, "overdue"),
        located_this_term=total(counts, "located"),
        median_days_to_locate=_median_days_to_locate(session, filters, calendar),
    )


def _median_days_to_locate(session: Session, filters: Filters, calendar: SchoolCalendar) -> float | None:
    located = cases_in_scope(filters, Case.located_on.between(filters.start, filters.end))
    first = first_items(select(located.c.id))
    rows = session.execute(
        select(located.c.opened_at, located.c.located_on, first.c.first_at).outerjoin(
            first, first.c.case_id == located.c.id
        )
    ).all()
    if not rows:
        return None
    # From the first referral, notice or attendance alert on the case to arrive (as `outcomes.time_to_locate`
    # counts), else from the case's opening.
    spans = [(uk_day(arrived or opened_at), located_on) for opened_at, located_on, arrived in rows]
    between = school_days_among(calendar, [day for pair in spans for day in pair])
    # A child found before the first item on the case arrived took no time to find.
    return float(median(max(0, between(arrived, located_on)) for arrived, located_on in spans))
