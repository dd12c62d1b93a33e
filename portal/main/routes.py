from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy.exc import SQLAlchemyError

from portal.auth.permissions import public
from portal.database import database

bp = Blueprint("main", __name__)


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
        database().ping()
    except SQLAlchemyError:
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}
