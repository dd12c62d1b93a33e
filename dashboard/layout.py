"""The dashboard page: built on each load from live counts."""

from __future__ import annotations

from dash import Dash, Input, Output, dcc, html

from dashboard.figures import cases_by_status
from shared import queries
from shared.clock import uk_today
from shared.db import Database
from shared.domain.casework import CaseStatus


def _figure(label: str, value: int, element_id: str) -> html.Div:
    return html.Div(
        className="govuk-grid-column-one-quarter",
        children=html.Div(
            className="cme-figure",
            children=[
                html.P(label, className="govuk-body govuk-!-margin-bottom-1"),
                html.P(f"{value:,}", id=element_id, className="govuk-heading-l govuk-!-margin-bottom-0"),
            ],
        ),
    )


def shell(authority_name: str) -> html.Div:
    """The page as first served; the overview callback fills in live figures."""
    header = html.Header(
        className="govuk-template__header",
        children=html.Div(
            className="govuk-generic-header",
            children=html.Div(
                className="govuk-generic-header__container govuk-width-container",
                children=html.Div(
                    className="govuk-generic-header__logo",
                    children=html.A(authority_name, href="/", className="govuk-generic-header__homepage-link"),
                ),
            ),
        ),
    )
    return html.Div([header, _main(authority_name)])


def _main(authority_name: str) -> html.Main:
    return html.Main(
        id="main-content",
        className="govuk-width-container govuk-main-wrapper",
        children=[
            dcc.Location(id="url"),
            html.A("Back to the CME service", href="/staff/", className="govuk-back-link"),
            html.Span(authority_name, className="govuk-caption-l"),
            html.H1("Children missing education dashboard", className="govuk-heading-xl"),
            dcc.Loading(html.Div(id="overview", children=html.P("Loading the figures", className="govuk-body"))),
        ],
    )


def register_callbacks(dash_app: Dash, database: Database) -> None:
    @dash_app.callback(Output("overview", "children"), Input("url", "pathname"))
    def show_overview(_pathname):
        with database.session() as session:
            data = queries.overview(session, uk_today())
        return overview_content(data)


def overview_content(data: queries.Overview) -> list:
    labels = [status.label for status in CaseStatus]
    counts = [data.cases_by_status[status.value] for status in CaseStatus]
    return [
        html.Div(
            className="govuk-grid-row",
            children=[
                _figure("Open cases", data.open_cases, "figure-open-cases"),
                _figure("New referrals", data.new_referrals, "figure-new-referrals"),
                _figure("School notices for the CME team", data.notices_for_cme, "figure-notices"),
                _figure("Overdue checks", data.overdue_checks, "figure-overdue-checks"),
            ],
        ),
        html.Div(
            className="govuk-grid-row",
            children=[
                _figure("Children known", data.children, "figure-children"),
                _figure("Urgent new referrals", data.urgent_referrals, "figure-urgent"),
                _figure("Unassigned open cases", data.unassigned_cases, "figure-unassigned"),
            ],
        ),
        html.H2("Cases by status", className="govuk-heading-m", id="cases-by-status-heading"),
        html.P(
            f"{data.open_cases:,} cases are open. The chart shows every case by its status; the table below "
            "it gives the same figures.",
            className="govuk-body",
        ),
        html.Div(
            role="img",
            **{"aria-labelledby": "cases-by-status-heading"},
            children=dcc.Graph(
                id="cases-by-status",
                figure=cases_by_status(labels, counts),
                config={"displayModeBar": False, "responsive": True},
            ),
        ),
        html.Table(
            className="govuk-table",
            children=[
                html.Caption("Cases by status", className="govuk-table__caption govuk-table__caption--s"),
                html.Thead(
                    html.Tr(
                        [
                            html.Th("Status", scope="col", className="govuk-table__header"),
                            html.Th(
                                "Cases",
                                scope="col",
                                className="govuk-table__header govuk-table__header--numeric",
                            ),
                        ],
                        className="govuk-table__row",
                    )
                ),
                html.Tbody(
                    [
                        html.Tr(
                            [
                                html.Td(label, className="govuk-table__cell"),
                                html.Td(f"{count:,}", className="govuk-table__cell govuk-table__cell--numeric"),
                            ],
                            className="govuk-table__row",
                        )
                        for label, count in zip(labels, counts, strict=True)
                    ]
                ),
            ],
        ),
    ]
