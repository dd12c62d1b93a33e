"""The overview: the team's headline figures, each linking to the list behind it, and cases by status."""

from __future__ import annotations

from dash import html

from dashboard import components as ui
from dashboard.figures import cases_by_status
from dashboard.tables import Column, Table
from dashboard.view import View
from shared.clock import long_date
from shared.domain.casework import CaseStatus
from shared.domain.terms import term_of
from shared.queries.dashboard import overview as queries

PATH = "/dashboard/"
TITLE = "Overview"

STATUS_COLUMNS = [Column("status", "Status"), Column("cases", "Cases", numeric=True)]


def _overview(view: View) -> queries.DashboardOverview:
    term = term_of(view.today, view.calendar)
    return queries.overview(view.session, view.filters, view.today, term.start, view.calendar)


def status_table(view: View, data: queries.DashboardOverview | None = None) -> Table:
    data = data or _overview(view)
    rows = [{"status": status.label, "cases": data.cases_by_status[status.value]} for status in CaseStatus]
    return Table("cases-by-status", "Cases by status", STATUS_COLUMNS, rows)


TABLES = {"cases-by-status": status_table}


def render(view: View) -> list:
    data = _overview(view)
    filters = view.filters
    term = term_of(view.today, view.calendar)
    dates = f"{long_date(filters.start)} to {long_date(filters.end)}"
    median = data.median_days_to_locate
    cards = [
        ui.figure_card(
            "Open cases", f"{data.open_cases:,}", view.link("/dashboard/caseloads", "#open-cases"), "figure-open-cases"
        ),
        ui.figure_card(
            "Referrals this week",
            f"{data.referrals_this_week:,}",
            view.link("/dashboard/outcomes", "#referrals-by-source-heading"),
            "figure-referrals-week",
            f"{data.referrals_received:,} from {dates}",
        ),
        ui.figure_card(
            "School notices this week",
            f"{data.notices_this_week:,}",
            view.link("/dashboard/overdue", "#notices-waiting"),
            "figure-notices-week",
            f"{data.notices_received:,} from {dates}",
        ),
        ui.figure_card(
            "Waiting in the intake queue",
            f"{data.unassigned_intake:,}",
            "/staff/intake",
            "figure-unassigned-intake",
            f"and {data.unassigned_cases:,} open cases with no officer",
        ),
        ui.figure_card(
            "Overdue checks",
            f"{data.overdue_checks:,}",
            view.link("/dashboard/overdue", "#overdue-checks"),
            "figure-overdue-checks",
        ),
        ui.figure_card(
            f"Children located this term ({term.label.lower()})",
            f"{data.located_this_term:,}",
            view.link("/dashboard/outcomes", "#time-to-locate"),
            "figure-located",
        ),
        ui.figure_card(
            "Median school days from referral to located",
            "None located" if median is None else f"{median:g}",
            view.link("/dashboard/outcomes", "#time-to-locate"),
            "figure-median-locate",
            f"children located from {dates}",
        ),
    ]
    table = status_table(view, data)
    open_total = sum(row["cases"] for row in table.rows if row["status"] != CaseStatus.CLOSED.label)
    largest = max(table.rows, key=lambda row: row["cases"])
    summary = (
        f"{open_total:,} cases are open; {data.cases_by_status[CaseStatus.CLOSED.value]:,} were closed from {dates}. "
        f"The most cases are “{largest['status']}”: {largest['cases']:,}."
    )
    officer_note = (
        ui.notes(
            ["School notices and the intake queue are no officer's yet, so the officer filter does not narrow them."]
        )
        if filters.officer_id is not None
        else []
    )
    return [
        html.H1(TITLE, className="govuk-heading-l"),
        *officer_note,
        *ui.figure_rows(cards),
        ui.chart(
            "cases-by-status",
            "Cases by status",
            summary,
            cases_by_status([row["status"] for row in table.rows], [row["cases"] for row in table.rows]),
            table,
            view.search,
        ),
    ]
