"""The staff dashboard: Dash on the portal's Flask server, for staff roles only."""

from __future__ import annotations

from dash import Dash
from flask import Flask, request

from dashboard.export import export_table
from dashboard.layout import PREFIX, register_callbacks, shell
from shared.db import Database
from shared.domain.roles import Area
from webcommon.access import requires
from webcommon.settings import authority_settings


def _background_request() -> str | None:
    """Dash's own requests (layout, callbacks, scripts, assets) get 401 with this message, not a sign-in page."""
    rest = request.path[len(PREFIX) :]
    return "Sign in to use the dashboard" if rest.startswith("_") or rest.startswith("assets/") else None


def _shell(database: Database):
    found = authority_settings(database)
    return shell(database, found.authority_name, found.authority_la_code)


def init_dashboard(server: Flask, database: Database) -> Dash:
    dash_app = Dash(
        __name__,
        server=server,
        url_base_pathname=PREFIX,
        serve_locally=True,
        title="Dashboard - Children missing education",
        update_title=None,
        external_stylesheets=["/assets/cme.css"],
        # Pages are drawn by a callback, so their controls are not in the first layout.
        suppress_callback_exceptions=True,
    )
    # Dash's default page has no language; the layout brings the main landmark.
    dash_app.index_string = dash_app.index_string.replace("<html>", '<html lang="en">').replace(
        "<body>", '<body class="govuk-template__body">'
    )
    # A function, so that each load lists the schools and officers, and shows the authority's name, as they are now.
    dash_app.layout = lambda: _shell(database)
    register_callbacks(dash_app, database)
    server.add_url_rule(f"{PREFIX}export/<key>.<kind>", "dashboard_export", export_table(database))

    staff_only = requires(Area.DASHBOARD, background=_background_request)
    # Every route under the prefix, the Dash assets included, checks sign-in and role. Done last, once
    # Dash has added all its routes.
    for rule in server.url_map.iter_rules():
        if rule.rule.startswith(PREFIX):
            server.view_functions[rule.endpoint] = staff_only(server.view_functions[rule.endpoint])
    return dash_app
