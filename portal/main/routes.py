from __future__ import annotations

import logging

from flask import Blueprint, current_app, render_template
from sqlalchemy.exc import SQLAlchemyError

from portal import health
from portal.database import database
from portal.extensions import limiter
from portal.tasks import engine
from shared.clock import utcnow
from webcommon.access import public

bp = Blueprint("main", __name__)
log = logging.getLogger(__name__)


@bp.route("/")
@public
def start():
    return render_template("main/start.html")


@bp.route("/accessibility")
@public
def accessibility():
    return render_template("main/accessibility.html")


@bp.route("/privacy")
@public
def privacy():
    return render_template("main/privacy.html")


@bp.route("/cookies")
@public
def cookies():
    return render_template("main/cookies.html")


@bp.route("/healthz")
@public
def healthz():
    try:
        version = database().schema_version()
    except SQLAlchemyError:
        log.error("health check failed", exc_info=True)
        return {"status": "unavailable", "database": "unreachable or not migrated"}, 503
    return {"status": "ok", "database": "ok", "schema": version}


@bp.route("/readyz")
@public
def readyz():
    """For a load balancer: send this server requests only when every check is OK. The background worker is
    reported (its last heartbeat, the queue's length) but never makes a web server unready: pages do not need it."""
    ready, checks = health.readiness(database(), limiter.storage, current_app.config["RATELIMIT_STORAGE_URI"])
    now = utcnow()
    checks["background_work"] = engine.queue_state(now).as_check(now)
    return {"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503
