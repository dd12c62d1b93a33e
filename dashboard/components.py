"""The dashboard's building blocks in the GOV.UK Design System's markup: headline figures that link to the list
behind them, tables, charts that each come with a text summary and the same figures as a table, the empty state
and the error summary for filters that cannot be used."""

from __future__ import annotations

import json
from collections.abc import Sequence

import plotly.graph_objects as go
from dash import dcc, html

from dashboard.filters import FILTER_KEYS
from dashboard.tables import Table


def dom_id(element_id: dict) -> str:
    """The id Dash gives a pattern-matching component in the page, for a label's `for`."""
    return json.dumps(element_id, sort_keys=True, separators=(",", ":"))


GRAPH_CONFIG = {"displayModeBar": False, "responsive": True, "scrollZoom": False}


def figure_card(label: str, value: str, href: str, element_id: str, hint: str | None = None) -> html.Div:
    return html.Div(
        className="govuk-grid-column-one-quarter cme-figure",
        children=[
            # A link within the dashboard moves it to that page; one elsewhere in the service leaves it.
            (dcc.Link if href.startswith("/dashboard/") else html.A)(
                href=href,
                className="govuk-link govuk-link--no-visited-state cme-figure__link",
                children=[
                    html.Span(
                        value, id=element_id, className="govuk-heading-l govuk-!-margin-bottom-1 cme-figure__value"
                    ),
                    html.Span(label, className="govuk-body cme-figure__label"),
                ],
            ),
            *([html.P(hint, className="govuk-body-s govuk-!-margin-bottom-0 cme-figure__hint")] if hint else []),
        ],
    )


def figure_rows(cards: Sequence[html.Div], per_row: int = 4) -> list[html.Div]:
    return [
        html.Div(className="govuk-grid-row", children=list(cards[start : start + per_row]))
        for start in range(0, len(cards), per_row)
    ]


SHOWN_ROWS = 200  # a longer table shows its first rows; its download has them all


def data_table(
    table: Table,
    caption_size: str = "m",
    sort_links: dict[str, tuple[str, str | None]] | None = None,
    limit: int = SHOWN_ROWS,
):
    """A GOV.UK table. `sort_links` maps a column key to (href, aria-sort) for tables sorted through the URL."""
    sort_links = sort_links or {}

    def header(column):
        numeric = " govuk-table__header--numeric" if column.numeric else ""
        label = column.label
        attributes = {}
        if column.key in sort_links:
            href, direction = sort_links[column.key]
            label = dcc.Link(column.label, href=href, className="govuk-link govuk-link--no-visited-state")
            attributes["aria-sort"] = direction or "none"
        return html.Th(label, scope="col", className=f"govuk-table__header{numeric}", **attributes)

    def cell(row, column):
        numeric = " govuk-table__cell--numeric" if column.numeric else ""
        text = table.shown(row, column)
        link = table.links.get(column.key)
        href = link(row) if link else None
        content = html.A(text, href=href, className="govuk-link") if href and text else text
        return html.Td(content, className=f"govuk-table__cell{numeric}")

    return html.Table(
        className="govuk-table cme-table",
        children=[
            html.Caption(table.caption, className=f"govuk-table__caption govuk-table__caption--{caption_size}"),
            html.Thead(html.Tr([header(column) for column in table.columns], className="govuk-table__row")),
            html.Tbody(
                [
                    html.Tr([cell(row, column) for column in table.columns], className="govuk-table__row")
                    for row in table.rows[:limit]
                ],
                className="govuk-table__body",
            ),
        ],
    )


def export_links(table: Table, search: str, limit: int = SHOWN_ROWS) -> html.P:
    base = f"/dashboard/export/{table.key}"
    shown = (
        [f"The first {limit:,} of {len(table.rows):,} rows are shown. Download the table for them all: "]
        if len(table.rows) > limit
        else ["Download this table: "]
    )
    return html.P(
        className="govuk-body govuk-!-font-size-16",
        children=[
            *shown,
            html.A(
                ["CSV", html.Span(f" of {table.caption.lower()}", className="govuk-visually-hidden")],
                href=f"{base}.csv{search}",
                className="govuk-link",
            ),
            " or ",
            html.A(
                ["Excel workbook", html.Span(f" of {table.caption.lower()}", className="govuk-visually-hidden")],
                href=f"{base}.xlsx{search}",
                className="govuk-link",
            ),
        ],
    )


def table_section(table: Table, search: str, empty: str, **table_options) -> list:
    """A table with its downloads, or the empty state when it has no rows."""
    if not table.rows:
        return [html.H3(table.caption, className="govuk-heading-s"), empty_state(empty)]
    return [data_table(table, **table_options), export_links(table, search)]


def chart(
    element_id: str, title: str, summary: str | Sequence, figure: go.Figure, table: Table, search: str, level: int = 2
) -> html.Section:
    """A chart with a heading, a text summary of what it shows, and the same figures as a table to open."""
    return html.Section(
        className="cme-chart",
        **{"aria-labelledby": f"{element_id}-heading"},
        children=[
            _chart_heading(element_id, title, level),
            html.P(summary, id=f"{element_id}-summary", className="govuk-body"),
            html.Div(
                role="img",
                **{"aria-labelledby": f"{element_id}-heading", "aria-describedby": f"{element_id}-summary"},
                children=dcc.Graph(id=element_id, figure=figure, config=GRAPH_CONFIG),
            ),
            html.Details(
                className="govuk-details",
                children=[
                    html.Summary(
                        html.Span(
                            f"Show the figures as a table: {title.lower()}", className="govuk-details__summary-text"
                        ),
                        className="govuk-details__summary",
                    ),
                    html.Div(
                        className="govuk-details__text",
                        children=[data_table(table, caption_size="s"), export_links(table, search)],
                    ),
                ],
            ),
        ],
    )


Drawn = tuple[str | Sequence, go.Figure]  # a chart's text summary and its figure


def chart_or_empty(
    element_id: str,
    title: str,
    drawn: Drawn | None,
    table: Table,
    search: str,
    empty: str | None,
    level: int = 2,
) -> list:
    """The one way a page shows a chart that may have nothing to draw: the chart (`drawn`: its summary and figure)
    with its table, or, when `drawn` is None, the chart's heading and the empty state saying why. With `empty` None
    an empty chart is left out (something beside it already says there is nothing)."""
    if drawn is not None:
        summary, figure = drawn
        return [chart(element_id, title, summary, figure, table, search, level)]
    if empty is None:
        return []
    return [_chart_heading(element_id, title, level), empty_state(empty)]


def _chart_heading(element_id: str, title: str, level: int):
    if level == 2:
        return html.H2(title, id=f"{element_id}-heading", className="govuk-heading-m")
    return html.H3(title, id=f"{element_id}-heading", className="govuk-heading-s")


def empty_state(message: str) -> html.Div:
    return html.Div(message, className="govuk-inset-text cme-empty")


def problem_summary(problems) -> html.Div:
    """The GOV.UK error summary: each filter that cannot be used, linked to its control."""
    return html.Div(
        className="govuk-error-summary",
        role="alert",
        tabIndex="-1",
        children=html.Div(
            children=[
                html.H2("There is a problem with the filters", className="govuk-error-summary__title"),
                html.Div(
                    className="govuk-error-summary__body",
                    children=html.Ul(
                        className="govuk-list govuk-error-summary__list",
                        children=[
                            html.Li(html.A(problem.message, href=f"#{_control_id(problem.field)}"))
                            for problem in problems
                        ],
                    ),
                ),
            ],
        ),
    )


def _control_id(key: str) -> str:
    """The control a filter's problem belongs to: a shared filter's, or a page's own (pattern-matching id)."""
    if key in FILTER_KEYS:
        return f"filter-{'school' if key == 'school' else key}"
    return dom_id({"type": "page-param", "name": key})


def notes(messages: Sequence[str]) -> list:
    return [html.P(message, className="govuk-body govuk-!-font-size-16 cme-note") for message in messages]
