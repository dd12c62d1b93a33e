"""The staff dashboard: Dash on the portal's Flask server, for staff roles only."""

from __future__ import annotations

from functools import wraps

from dash import Dash
from flask import Flask, abort, current_app, g, jsonify, request
from flask_login import current_user

from dashboard.export import export_table
from dashboard.layout import PREFIX, register_callbacks, shell
from dashboard.settings import authority_settings
from shared.db import Database
from shared.domain.roles import Area, may


def _is_background_request() -> bool:
    """Dash's own requests (layout, callbacks, scripts, assets) get 401, not a sign-in page."""
    rest = request.path[len(PREFIX) :]
    return rest.startswith("_") or rest.startswith("assets/")


def _staff_only(view):
    @wraps(view)
    def checked(*args, **kwargs):
        if not current_user.is_authenticated:
            if g.get("database_unavailable"):  # set by the portal's user loader when the database is down
                abort(503)
            if _is_background_request():
                return jsonify(error="Sign in to use the dashboard"), 401
            return current_app.login_manager.unauthorized()
        if not may(current_user.role, Area.DASHBOARD):
            abort(403)
        return view(*args, **kwargs)

    return checked


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

    # Every route under the prefix, the Dash assets included, checks sign-in and role. Done last, once
    # Dash has added all its routes.
    for rule in server.url_map.iter_rules():
        if rule.rule.startswith(PREFIX):
            server.view_functions[rule.endpoint] = _staff_only(server.view_functions[rule.endpoint])
    return dash_app


def dash_views(server: Flask) -> list:
    return [server.view_functions[r.endpoint] for r in server.url_map.iter_rules() if r.rule.startswith(PREFIX)]
