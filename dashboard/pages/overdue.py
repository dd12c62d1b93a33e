"""Overdue enquiries: every overdue check on an open case, and the school notices the team has not yet actioned,
each a table sorted by any column and searched by text through the URL (`sort`, `order`, `q`; the notices' table
has `nsort`, `norder`), so a sorted, searched view can be bookmarked too."""

from __future__ import annotations

from dash import dcc, html

from dashboard import components as ui
from dashboard.tables import Column, Table
from dashboard.view import View
from shared.queries.dashboard import overdue as queries

PATH = "/dashboard/overdue"
TITLE = "Overdue enquiries"
SEARCH_LIMIT = 100
SEARCH_ID = {"type": "page-param", "name": "q"}


def _matches(row: dict, words: list[str]) -> bool:
    text = " ".join(str(value) for value in row.values() if value is not None).lower()
    return all(word in text for word in words)


def _sorted(view: View, rows: list[dict], columns, sort_key: str, order_key: str, default: tuple[str, str]):
    keys = {column.key for column in columns}
    sort = view.chosen.param(sort_key, default[0])
    sort = sort if sort in keys else default[0]
    order = view.chosen.param(order_key, default[1])
    order = order if order in ("asc", "desc") else default[1]
    present = [row for row in rows if row.get(sort) is not None]
    missing = [row for row in rows if row.get(sort) is None]
    present.sort(
        key=lambda row: row[sort] if not isinstance(row[sort], str) else row[sort].lower(), reverse=order == "desc"
    )
    return present + missing, sort, order


def _sort_links(view: View, columns, sort: str, order: str, sort_key: str, order_key: str, anchor: str):
    links = {}
    for column in columns:
        current = column.key == sort
        flip = "asc" if current and order == "desc" else "desc" if current else ("desc" if column.numeric else "asc")
        href = view.changed(**{sort_key: column.key, order_key: flip}) + anchor
        links[column.key] = (href, ("ascending" if order == "asc" else "descending") if current else None)
    return links


def _words(view: View) -> list[str]:
    return [word for word in view.chosen.param("q")[:SEARCH_LIMIT].lower().split() if word]


def check_table(view: View) -> Table:
    checks = queries.overdue_checks(view.session, view.filters, view.today, view.calendar, view.viewer.sees_names)
    columns = [
        Column("case", "Case"),
        *([Column("child", "Child")] if view.viewer.sees_names else []),
        Column("officer", "Officer"),
        Column("check", "Check"),
        Column("due_on", "Due"),
        Column("overdue", "School days overdue", numeric=True),
    ]
    rows = [
        {
            "case": check.case_reference,
            "child": check.child_name,
            "officer": check.officer or "Not assigned",
            "check": check.check,
            "due_on": check.due_on,
            "overdue": check.school_days_overdue,
        }
        for check in checks
    ]
    rows = [row for row in rows if _matches(row, _words(view))]
    rows, _, _ = _sorted(view, rows, columns, "sort", "order", ("overdue", "desc"))
    return Table(
        "overdue-checks", "Overdue checks", columns, rows, links={"case": lambda row: f"/staff/cases/{row['case']}"}
    )


def notice_table(view: View) -> Table:
    notices = queries.unactioned_notices(view.session, view.filters, view.today, view.calendar, view.viewer.sees_names)
    columns = [
        Column("notice", "Notice"),
        *([Column("pupil", "Pupil")] if view.viewer.sees_names else []),
        Column("school", "School"),
        Column("kind", "Kind"),
        Column("received", "Received"),
        Column("waiting", "School days waiting", numeric=True),
    ]
    rows = [
        {
            "notice": notice.reference,
            "pupil": notice.pupil_name,
            "school": notice.school,
            "kind": notice.kind,
            "received": notice.received_on,
            "waiting": notice.school_days_waiting,
        }
        for notice in notices
    ]
    rows = [row for row in rows if _matches(row, _words(view))]
    rows, _, _ = _sorted(view, rows, columns, "nsort", "norder", ("waiting", "desc"))
    return Table(
        "notices-waiting",
        "School notices not yet actioned",
        columns,
        rows,
        links={"notice": lambda row: f"/staff/intake/notices/{row['notice']}"},
    )


TABLES = {"overdue-checks": check_table, "notices-waiting": notice_table}


def _search_box(view: View) -> html.Div:
    return html.Div(
        className="govuk-form-group cme-table-search",
        children=[
            html.Label("Search the tables", htmlFor=ui.dom_id(SEARCH_ID), className="govuk-label govuk-label--s"),
            html.Div(
                "Case or notice reference, officer, check, school or kind: every word must match",
                id="table-search-hint",
                className="govuk-hint",
            ),
            dcc.Input(
                id=SEARCH_ID,
                value=view.chosen.param("q"),
                type="search",
                maxLength=SEARCH_LIMIT,
                className="govuk-input govuk-input--width-30",
            ),
            html.Button(
                "Search",
                id={"type": "page-apply", "name": "search"},
                className="govuk-button govuk-button--secondary govuk-!-margin-left-2 govuk-!-margin-bottom-0",
                n_clicks=0,
            ),
        ],
    )


def _section(view: View, table: Table, element_id: str, sort_keys: tuple[str, str], default, empty: str) -> list:
    _, sort, order = _sorted(view, [], table.columns, *sort_keys, default)
    links = _sort_links(view, table.columns, sort, order, *sort_keys, f"#{element_id}")
    count = f"{len(table.rows):,} {table.caption.lower()}" + (" match the search" if _words(view) else "")
    return [
        html.H2(table.caption, className="govuk-heading-m", id=element_id),
        html.P(count + ".", className="govuk-body", id=f"{element_id}-count"),
        *ui.table_section(table, view.search, empty, sort_links=links),
    ]


def render(view: View) -> list:
    checks, notices = check_table(view), notice_table(view)
    return [
        html.H1(TITLE, className="govuk-heading-l"),
        html.P(
            "Select a column's heading to sort by it; select it again to reverse the order.", className="govuk-body"
        ),
        _search_box(view),
        *_section(view, checks, "overdue-checks", ("sort", "order"), ("overdue", "desc"), "No checks are overdue."),
        *_section(
            view, notices, "notices-waiting", ("nsort", "norder"), ("waiting", "desc"), "No school notices are waiting."
        ),
    ]
