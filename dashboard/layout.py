"""The dashboard's page: the header, the pages' navigation, the filters and the page itself, drawn by callbacks.

Two callbacks carry the pages, and the URL is the state, so any view can be shared and bookmarked:
- `show_page`: the URL (path and query string) in; the page, the navigation and the filters' values out. Filters
  that cannot be used (an unknown school, a future date range) show why in place of the figures.
- `apply_filters`: a button pressed (the filters' own, or a page's, such as the overdue table's search) writes the
  controls' values into the URL's query string, which `show_page` then draws. Nothing else moves the URL.
- `find_schools` narrows the list of schools to choose from as part of a name or URN is typed.
"""

from __future__ import annotations

from datetime import date

from dash import ALL, Dash, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from dashboard import components as ui
from dashboard.filters import FILTER_KEYS, Chosen, parse_query, query_string, read_filters, school_year_start
from dashboard.pages import PAGES, page_for
from dashboard.view import View, Viewer
from shared.clock import uk_today
from shared.db import Database
from shared.queries.dashboard.choices import officer_choices, phases, school_choices
from shared.services.calendar import school_calendar
from webcommon.settings import authority_settings, settings_in

PREFIX = "/dashboard/"


def _label(text: str, control_id: str, hint: str | None = None) -> list:
    parts = [html.Label(text, htmlFor=control_id, className="govuk-label govuk-label--s")]
    if hint:
        parts.append(html.Div(hint, id=f"{control_id}-hint", className="govuk-hint"))
    return parts


def _field(text: str, control, control_id: str, width: str = "one-quarter", hint: str | None = None) -> html.Div:
    return html.Div(
        className=f"govuk-grid-column-{width}",
        children=html.Div(className="govuk-form-group", children=[*_label(text, control_id, hint), control]),
    )


def _choices(database: Database, la_code: str) -> tuple[list, list, list]:
    """The controls' options: the authority's schools, the register's phases, the officers and the lead."""
    with database.session() as session:
        schools, officers, phase_names = school_choices(session, la_code), officer_choices(session), phases(session)
    return (
        [{"label": f"{name} ({urn})", "value": str(urn)} for urn, name in schools],
        [{"label": phase, "value": phase} for phase in phase_names],
        [{"label": name, "value": str(user_id)} for user_id, name in officers],
    )


def _fieldset(legend: str, control, width: str) -> html.Div:
    return html.Div(
        className=f"govuk-grid-column-{width}",
        children=html.Div(
            className="govuk-form-group",
            children=html.Fieldset(
                className="govuk-fieldset",
                children=[html.Legend(legend, className="govuk-fieldset__legend govuk-fieldset__legend--s"), control],
            ),
        ),
    )


def _choices_control(control_id: str, options: list, every: str, multi: bool = False):
    """Native radios or checkboxes, each with its own label: usable by keyboard and read by screen readers."""
    kind = dcc.Checklist if multi else dcc.RadioItems
    return kind(
        id=control_id,
        options=options if multi else [{"label": every, "value": ""}, *options],
        value=[] if multi else "",
        className="cme-choices" + (" cme-choices--scroll" if multi else ""),
        labelClassName="cme-choices__item",
        inputClassName="cme-choices__input",
    )


def filter_panel(database: Database, la_code: str) -> html.Section:
    try:
        schools, phase_options, officers = _choices(database, la_code)
    except SQLAlchemyError:
        # Dash also builds the layout once when the server takes its first request of any kind (a health check
        # before the database is migrated or while it is down): the controls then have no choices, and the page
        # that needs the database answers 503 by itself.
        schools, phase_options, officers = [], [], []
    return html.Section(
        className="cme-filters",
        **{"aria-labelledby": "filters-heading"},
        children=[
            html.H2("Filters", id="filters-heading", className="govuk-heading-m"),
            html.Div(
                className="govuk-grid-row",
                children=[
                    _field("From", dcc.Input(id="filter-from", type="date", className="govuk-input"), "filter-from"),
                    _field("To", dcc.Input(id="filter-to", type="date", className="govuk-input"), "filter-to"),
                    _fieldset("Phase", _choices_control("filter-phase", phase_options, "Every phase"), "one-quarter"),
                    _fieldset("Officer", _choices_control("filter-officer", officers, "Every officer"), "one-quarter"),
                ],
            ),
            html.Details(
                className="govuk-details",
                id="school-chooser",
                children=[
                    html.Summary(
                        html.Span("Choose schools", className="govuk-details__summary-text"),
                        className="govuk-details__summary",
                    ),
                    html.Div(
                        className="govuk-details__text",
                        children=[
                            html.Div(
                                className="govuk-form-group",
                                children=[
                                    *_label("Find a school", "school-search", "Part of its name, or its URN"),
                                    dcc.Input(
                                        id="school-search",
                                        type="search",
                                        maxLength=100,
                                        debounce=True,
                                        className="govuk-input govuk-input--width-20",
                                    ),
                                ],
                            ),
                            html.Fieldset(
                                className="govuk-fieldset",
                                children=[
                                    html.Legend(
                                        "Schools", className="govuk-fieldset__legend govuk-fieldset__legend--s"
                                    ),
                                    html.P(
                                        "None chosen means every school.", className="govuk-hint", id="schools-hint"
                                    ),
                                    _choices_control("filter-school", schools, "", multi=True),
                                ],
                            ),
                        ],
                    ),
                ],
            ),
            html.Div(
                className="govuk-button-group",
                children=[
                    html.Button("Apply filters", id="filter-apply", className="govuk-button", n_clicks=0),
                    dcc.Link("Clear filters", id="clear-filters", href=PREFIX, className="govuk-link"),
                ],
            ),
        ],
    )


def _header(authority_name: str) -> html.Header:
    return html.Header(
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


def shell(database: Database, authority_name: str, la_code: str) -> html.Div:
    """The page as first served; `show_page` fills in the page for the URL."""
    return html.Div(
        [
            html.A("Skip to main content", href="#main-content", className="govuk-skip-link"),
            _header(authority_name),
            html.Div(
                className="govuk-width-container",
                children=[
                    dcc.Location(id="url", refresh="callback-nav"),
                    html.Nav(
                        className="cme-dashboard-nav",
                        **{"aria-label": "Dashboard pages"},
                        children=[
                            html.A("Back to the CME service", href="/staff/", className="govuk-back-link"),
                            html.Div(id="nav"),
                        ],
                    ),
                    html.Main(
                        id="main-content",
                        className="govuk-main-wrapper govuk-!-padding-top-2",
                        children=[
                            html.Span(f"{authority_name}: children missing education", className="govuk-caption-l"),
                            filter_panel(database, la_code),
                            html.Hr(
                                className="govuk-section-break govuk-section-break--m govuk-section-break--visible"
                            ),
                            dcc.Loading(
                                html.Div(id="page", children=html.P("Loading the figures", className="govuk-body")),
                                delay_show=300,
                            ),
                        ],
                    ),
                ],
            ),
        ]
    )


def navigation(path: str, chosen: Chosen) -> html.Ul:
    carried = query_string({key: values for key, values in chosen.params.items() if key in FILTER_KEYS})
    items = []
    for page in PAGES:
        current = page.PATH.rstrip("/") == path.rstrip("/")
        href = f"{page.PATH}{carried}"
        link = (
            html.A(page.TITLE, href=href, className="govuk-link", **{"aria-current": "page"})
            if current
            else dcc.Link(page.TITLE, href=href, className="govuk-link")
        )
        items.append(
            html.Li(
                className="cme-dashboard-nav__item" + (" cme-dashboard-nav__item--current" if current else ""),
                children=link,
            )
        )
    return html.Ul(items, className="cme-dashboard-nav__list")


def render_page(database: Database, path: str, search: str, viewer: Viewer, today: date):
    """The page for a URL: (page content, navigation, the filters' values)."""
    page = page_for(path)
    with database.session() as session:
        chosen = read_filters(session, search, today, settings_in(session).long_absence_is_cme)
        view = View(session, chosen, today, school_calendar(session), viewer, page.PATH if page else path)
        if page is None:
            content = [
                html.H1("Page not found", className="govuk-heading-l"),
                html.P("There is no dashboard page at this address. Choose a page above.", className="govuk-body"),
            ]
        elif not chosen.usable and getattr(page, "USES_FILTERS", True):
            content = [
                ui.problem_summary(chosen.problems),
                html.H1(page.TITLE, className="govuk-heading-l"),
                ui.empty_state("No figures are shown until the filters can be used. Change them and apply them again."),
            ]
        else:
            content = [*ui.notes(chosen.notes), *page.render(view)]
    return content, navigation(path, chosen), chosen


def register_callbacks(dash_app: Dash, database: Database) -> None:
    @dash_app.callback(
        Output("page", "children"),
        Output("nav", "children"),
        Output("filter-from", "value"),
        Output("filter-to", "value"),
        Output("filter-school", "value"),
        Output("filter-phase", "value"),
        Output("filter-officer", "value"),
        Output("clear-filters", "href"),
        Input("url", "pathname"),
        Input("url", "search"),
    )
    def show_page(pathname, search):
        path = pathname or PREFIX
        viewer = Viewer(current_user.id, current_user.role)
        content, nav, chosen = render_page(database, path, search or "", viewer, uk_today())
        return (
            content,
            nav,
            chosen.param("from") or chosen.filters.start.isoformat(),
            chosen.param("to") or chosen.filters.end.isoformat(),
            [str(urn) for urn in chosen.school_urns],
            chosen.param("phase"),
            chosen.param("officer"),
            path,
        )

    @dash_app.callback(
        Output("filter-school", "options"),
        Input("school-search", "value"),
        State("filter-school", "value"),
        prevent_initial_call=True,
    )
    def find_schools(text, chosen):
        """The schools list narrowed to those matching the text, the chosen ones kept."""
        schools, _, _ = _choices(database, authority_settings(database).authority_la_code)
        words = (text or "").lower().split()
        chosen = set(chosen or [])
        return [
            option
            for option in schools
            if option["value"] in chosen or all(word in option["label"].lower() for word in words)
        ]

    @dash_app.callback(
        Output("url", "search"),
        Input("filter-apply", "n_clicks"),
        Input({"type": "page-apply", "name": ALL}, "n_clicks"),
        State("filter-from", "value"),
        State("filter-to", "value"),
        State("filter-school", "value"),
        State("filter-phase", "value"),
        State("filter-officer", "value"),
        State({"type": "page-param", "name": ALL}, "value"),
        State({"type": "page-param", "name": ALL}, "id"),
        State("url", "search"),
        prevent_initial_call=True,
    )
    def apply_filters(_apply, _page_apply, start, end, schools, phase, officer, page_values, page_ids, search):
        if not ctx.triggered or not ctx.triggered[0].get("value"):
            raise PreventUpdate
        params = parse_query(search)
        today = uk_today()
        # The default dates stay out of the URL, so a bookmark of "the school year so far" stays so.
        changes: dict = {
            "from": None if start in (None, "", school_year_start(today).isoformat()) else start,
            "to": None if end in (None, "", today.isoformat()) else end,
            "school": [str(urn) for urn in (schools or [])],
            "phase": phase or None,
            "officer": officer or None,
        }
        for element, value in zip(page_ids, page_values, strict=True):
            changes[element["name"]] = (str(value).strip() or None) if value is not None else None
        return query_string(params, **changes)
