"""Caseloads: open cases per officer by status with their overdue checks, the unassigned queue and its oldest item,
open cases by vulnerable group, year group and school, and the open cases themselves."""

from __future__ import annotations

from dash import html

from dashboard import components as ui
from dashboard.figures import horizontal_bars, stacked_bars
from dashboard.tables import Column, Table
from dashboard.view import View
from shared.clock import long_date
from shared.domain.casework import OPEN_STATUSES, CaseStatus
from shared.queries.dashboard import caseloads as queries
from shared.queries.intake import KINDS

PATH = "/dashboard/caseloads"
TITLE = "Caseloads"
OPEN = [status for status in CaseStatus if status.value in OPEN_STATUSES]
# "a referral", "an attendance alert": each kind of item by its own noun.
KIND_NAMES = {kind.name: ("an " if kind.noun[0] in "aeiou" else "a ") + kind.noun for kind in KINDS}


def _caseloads(view: View) -> queries.Caseloads:
    return queries.caseloads(view.session, view.filters, view.today)


def officer_table(view: View, data: queries.Caseloads | None = None) -> Table:
    data = data or _caseloads(view)
    columns = [
        Column("officer", "Officer"),
        *[Column(status.value, status.label, numeric=True) for status in OPEN],
        Column("open", "Open cases", numeric=True),
        Column("overdue", "Overdue checks", numeric=True),
    ]
    rows = [
        {
            "officer": load.name,
            **{status.value: load.cases_by_status.get(status.value, 0) for status in OPEN},
            "open": sum(load.cases_by_status.values()),
            "overdue": load.overdue_checks,
        }
        for load in data.officers
    ]
    return Table("caseloads-by-officer", "Open cases and overdue checks by officer", columns, rows)


def _count_table(key: str, caption: str, first: str, counts) -> Table:
    return Table(
        key,
        caption,
        [Column("group", first), Column("cases", "Open cases", numeric=True)],
        [{"group": label, "cases": count} for label, count in counts.items()],
    )


def group_table(view: View, data=None) -> Table:
    data = data or _caseloads(view)
    return _count_table(
        "cases-by-group", "Open cases by vulnerable group", "Vulnerable group", data.by_vulnerable_group
    )


def year_table(view: View, data=None) -> Table:
    data = data or _caseloads(view)
    return _count_table("cases-by-year", "Open cases by year group", "Year group", data.by_year_group)


def school_table(view: View, data=None) -> Table:
    data = data or _caseloads(view)
    return Table(
        "cases-by-school",
        "Open cases by school",
        [Column("school", "School"), Column("urn", "URN"), Column("cases", "Open cases", numeric=True)],
        [{"school": row.name, "urn": row.urn, "cases": row.count} for row in data.by_school],
    )


def open_case_table(view: View) -> Table:
    cases = queries.open_case_list(view.session, view.filters, view.today, view.viewer.sees_names)
    columns = [
        Column("case", "Case"),
        *([Column("child", "Child")] if view.viewer.sees_names else []),
        Column("status", "Status"),
        Column("officer", "Officer"),
        Column("school", "School"),
        Column("risk", "Risk"),
        Column("opened", "Opened"),
    ]
    rows = [
        {
            "case": row.reference,
            "child": row.child_name,
            "status": row.status,
            "officer": row.officer or "Not assigned",
            "school": row.school or "Not known",
            "risk": row.risk,
            "opened": row.opened_on,
        }
        for row in cases
    ]
    return Table("open-cases", "Open cases", columns, rows, links={"case": lambda row: f"/staff/cases/{row['case']}"})


TABLES = {
    "caseloads-by-officer": officer_table,
    "cases-by-group": group_table,
    "cases-by-year": year_table,
    "cases-by-school": school_table,
    "open-cases": open_case_table,
}


def _top(counts, noun: str) -> str:
    shown = [(label, count) for label, count in counts if count]
    if not shown:
        return f"No open case has a {noun} recorded."
    label, count = max(shown, key=lambda item: item[1])
    return f"The most open cases are in “{label}”: {count:,}. {len(shown)} {noun}s have open cases."


def _officers_drawn(officers: Table) -> ui.Drawn | None:
    if not any(row["open"] for row in officers.rows):
        return None
    busiest = max(officers.rows, key=lambda row: row["open"])
    overdue = sum(row["overdue"] for row in officers.rows)
    summary = (
        f"{sum(row['open'] for row in officers.rows):,} open cases across {len(officers.rows)} rows. "
        f"{busiest['officer']} has the most: {busiest['open']:,}. {overdue:,} checks are overdue."
    )
    figure = stacked_bars(
        [row["officer"] for row in officers.rows],
        {status.label: [row[status.value] for row in officers.rows] for status in OPEN},
        "Open cases",
    )
    return summary, figure


def _counts_drawn(table: Table, noun: str) -> ui.Drawn | None:
    shown = [row for row in table.rows if row["cases"]]
    if not shown:
        return None
    label_key = "school" if noun == "school" else "group"
    drawn = shown[:25]
    summary = _top([(row[label_key], row["cases"]) for row in table.rows], noun) + (
        f" The chart shows the {len(drawn)} with the most." if len(shown) > len(drawn) else ""
    )
    return summary, horizontal_bars([row[label_key] for row in drawn], [row["cases"] for row in drawn], "Open cases")


def render(view: View) -> list:
    data = _caseloads(view)
    officers = officer_table(view, data)
    content: list = [html.H1(TITLE, className="govuk-heading-l")]
    oldest = data.oldest_in_queue
    unassigned = next((sum(load.cases_by_status.values()) for load in data.officers if load.officer_id is None), 0)
    content.append(
        html.Div(
            className="govuk-grid-row",
            children=[
                ui.figure_card("Waiting in the intake queue", f"{data.queue:,}", "/staff/intake", "figure-queue"),
                ui.figure_card(
                    "Open cases with no officer",
                    f"{unassigned:,}",
                    view.link(PATH, "#open-cases"),
                    "figure-unassigned-cases",
                ),
                html.Div(
                    className="govuk-grid-column-one-half",
                    children=html.P(
                        className="govuk-body cme-oldest",
                        id="oldest-waiting",
                        children=(
                            [
                                "The oldest item waiting is ",
                                html.Strong(oldest.reference),
                                f", {KIND_NAMES.get(oldest.kind, oldest.kind)}, "
                                f"received {long_date(oldest.received_at)}.",
                            ]
                            if oldest
                            else "Nothing is waiting in the intake queue."
                        ),
                    ),
                ),
            ],
        )
    )
    content += ui.chart_or_empty(
        "caseloads", "Open cases by officer", _officers_drawn(officers), officers, view.search, "No open cases."
    )
    for table, noun, element_id in (
        (group_table(view, data), "vulnerable group", "by-group"),
        (year_table(view, data), "year group", "by-year"),
        (school_table(view, data), "school", "by-school"),
    ):
        # Each is a share of the open cases: with none, the chart by officer has said so.
        content += ui.chart_or_empty(element_id, table.caption, _counts_drawn(table, noun), table, view.search, None)
    cases = open_case_table(view)
    content.append(html.H2("Open cases", className="govuk-heading-m", id="open-cases"))
    content += ui.table_section(cases, view.search, "No open cases match the filters.")
    return content
