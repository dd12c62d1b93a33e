"""The public portal and the staff and school pages: a Flask app built from small init_* steps."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix

import config
from portal import database, errors, logs, security
from portal.admin.background import bp as admin_background_bp
from portal.admin.emails import bp as admin_emails_bp
from portal.admin.routes import bp as admin_bp
from portal.admin.settings_routes import bp as admin_settings_bp
from portal.admin.term_dates import bp as admin_terms_bp
from portal.auth import invitations, sessions, two_factor_routes  # noqa: F401  (routes on the auth blueprint)
from portal.auth.routes import bp as auth_bp
from portal.cli import register as register_cli
from portal.extensions import csrf, limiter, login_manager
from portal.main.routes import bp as main_bp
from portal.referral.routes import bp as referral_bp
from portal.schools import attendance as school_attendance  # noqa: F401  (routes on the schools blueprint)
from portal.schools import search, timetables, uploads  # noqa: F401
from portal.schools.routes import bp as schools_bp
from portal.staff import attendance, audit, cases, closure, intake, team  # noqa: F401  (routes on the staff blueprint)
from portal.staff import search as staff_search  # noqa: F401
from portal.staff.routes import bp as staff_bp
from portal.templating import error_items, here, long_date, percent, role_label, template_context
from shared import hashing
from shared.clock import date_and_time
from shared.domain.attendance import in_school_days
from shared.domain.match_reasons import without_names
from webcommon import csrf as form_tokens


def create_app(overrides: dict | None = None) -> Flask:
    # The GOV.UK stylesheet asks for /assets/fonts/... and /assets/images/...: serve static files there.
    app = Flask(__name__, static_url_path="/assets", instance_path=str(config.instance_path()))
    app.config.from_mapping(config.load(**(overrides or {})))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if app.config["PROXY_HOPS"]:
        # Behind a reverse proxy: the client's own address (for rate limits) and https scheme.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_HOPS"], x_proto=app.config["PROXY_HOPS"])
    init_logging(app)  # first: its request id and timer wrap everything the other steps add
    init_hashing(app)
    init_templates(app)
    init_database(app)
    init_tasks(app)
    init_upload_limits(app)  # before the extensions: the form-token check reads the request's body
    init_extensions(app)
    init_session_limits(app)  # after the extensions: it reads the signed-in user
    init_security(app)
    init_blueprints(app)
    init_errors(app)
    init_cli(app)
    return app


def init_tasks(app: Flask) -> None:
    """The background work's queue (portal/tasks): the web process only adds to it; `cme worker` takes from it."""
    from portal.tasks import engine

    engine.configure(app.config["TASKS_URL"])
    engine.bind(app)


# Pages that take files larger than MAX_CONTENT_LENGTH allows elsewhere, and the setting that limits them.
LARGE_UPLOADS = {
    "staff.attendance_upload": "ATTENDANCE_UPLOAD_BYTES",
    "schools.attendance_upload": "ATTENDANCE_UPLOAD_BYTES",
}


def init_upload_limits(app: Flask) -> None:
    @app.before_request
    def larger_uploads():
        setting = LARGE_UPLOADS.get(request.endpoint or "")
        if setting and request.method == "POST":
            request.max_content_length = app.config[setting]


def init_logging(app: Flask) -> None:
    logs.init_app(app)


def init_hashing(app: Flask) -> None:
    hashing.use(app.config["ARGON2_PARAMETERS"])


def init_templates(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            PackageLoader("portal"),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)

    app.context_processor(template_context)
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["date_and_time"] = date_and_time
    app.jinja_env.filters["role_label"] = role_label
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.filters["school_days"] = in_school_days
    app.jinja_env.filters["without_names"] = without_names
    app.jinja_env.globals["error_items"] = error_items
    app.jinja_env.globals["here"] = here


def init_database(app: Flask) -> None:
    database.init_app(app)


def init_extensions(app: Flask) -> None:
    form_tokens.init_app(app, csrf)
    limiter.init_app(app)
    login_manager.init_app(app)


def init_session_limits(app: Flask) -> None:
    sessions.init_app(app)


def init_security(app: Flask) -> None:
    security.init_app(app)


def init_blueprints(app: Flask) -> None:
    blueprints = (main_bp, referral_bp, auth_bp, staff_bp, schools_bp, admin_bp)
    for blueprint in (*blueprints, admin_settings_bp, admin_terms_bp, admin_emails_bp, admin_background_bp):
        app.register_blueprint(blueprint)


def init_errors(app: Flask) -> None:
    errors.init_app(app)


def init_cli(app: Flask) -> None:
    register_cli(app)
