from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user
from sqlalchemy.exc import SQLAlchemyError

from portal.auth import sessions
from portal.auth.forms import SignInForm, SignOutForm
from portal.database import db_session
from portal.extensions import limiter, login_manager
from shared.domain.roles import Role
from shared.models import User
from shared.services import two_factor, users
from webcommon.access import mark_records_unreachable, public

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(session_user_id: str) -> User | None:
    try:
        user_id, version = (int(part) for part in session_user_id.split(":"))
        user = db_session().get(User, user_id)
    except ValueError:
        return None
    except SQLAlchemyError:
        # Not raised here: Flask-Login also loads the user while rendering the error page itself.
        mark_records_unreachable()
        return None
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def home_for(user: User) -> str:
    return url_for("schools.home") if user.role == Role.SCHOOL else url_for("staff.home")


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an absolute or scheme-relative URL (an open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _email_key() -> str:
    return users.normalise_email(request.form.get("email", ""))[:254] or "-"


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["SIGN_IN_RATE_LIMIT"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["SIGN_IN_RATE_LIMIT"],
    methods=["POST"],
    key_func=_email_key,
    scope="sign-in-email",
)
def sign_in():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignInForm()
    if form.validate_on_submit():
        check = users.check_password(db_session(), form.email.data, form.password.data, sessions.lockout())
        if check.user is not None:
            return _password_accepted(check.user, safe_next(request.args.get("next")))
        locked = check.locked or (not check.known and sessions.unknown_email_failure(_email_key()))
        form.email.errors.append(sessions.lockout_message() if locked else "Enter a correct email address and password")
    form.password.data = None
    return render_template("auth/sign_in.html", form=form)


def _password_accepted(user: User, next_url: str | None):
    """School users are signed in; staff go on to give a security code, or to set up their app the first time."""
    if not two_factor.required_for(user):
        users.complete_sign_in(db_session(), user)
        sessions.finish_sign_in(user, next_url)
        return redirect(next_url or home_for(user))
    sessions.start_pending(user, next_url)
    step = "auth.two_factor" if two_factor.is_enrolled(user) else "auth.set_up_two_factor"
    return redirect(url_for(step))


@bp.route("/sign-out", methods=["GET", "POST"])
@public
def sign_out():
    """GET asks (so a link elsewhere cannot sign anyone out); POST signs out and ends all the user's sessions."""
    form = SignOutForm()
    if not form.validate_on_submit():  # asked, or sent from a page open too long: ask (again)
        if not current_user.is_authenticated:
            return redirect(url_for("auth.sign_in"))
        return render_template("auth/sign_out.html", form=form)
    if current_user.is_authenticated:
        users.end_sessions(db_session(), current_user)
    logout_user()
    session.clear()
    flash("You have signed out", "success")
    return redirect(url_for("auth.sign_in"))
