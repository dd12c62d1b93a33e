"""The composition root: the portal with the dashboard mounted on it, and the `cme` command line.

gunicorn serves `wsgi:create_app()`; `cme` is a Flask CLI group over the same factory.
"""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup

from config import InsecureConfiguration, InvalidSetting
from dashboard import PREFIX as DASHBOARD_PREFIX
from dashboard import init_dashboard
from portal import create_app as create_portal
from portal.database import database
from portal.security import CSP_EXTRA


def create_app(overrides: dict | None = None) -> Flask:
    app = create_portal(overrides)
    with app.app_context():
        dash_app = init_dashboard(app, database())
    app.extensions[CSP_EXTRA][DASHBOARD_PREFIX] = dash_app.csp_hashes()
    return app


cli = FlaskGroup(create_app=create_app, help="The CME service's command line.")


def main() -> None:
    """The `cme` command: a configuration that production refuses is one clear line, not a traceback."""
    try:
        cli.main(standalone_mode=True)
    except (InsecureConfiguration, InvalidSetting) as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)
