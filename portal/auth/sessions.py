"""What the session cookie holds about signing in, and the limits checked on every request (OWASP ASVS 3.3).

- A staff user who has given the right password is not signed in yet: the session holds a *pending* sign-in (the
  user's id and when the password was given) until the security code, and for SIGN_IN_PENDING_PERIOD at most.
- A signed-in session records when it began and when it was last used. It ends after SESSION_IDLE_TIMEOUT unused
  or SESSION_ABSOLUTE_TIMEOUT after sign-in, whichever comes first; the check is the server's, on every request.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import Flask, current_app, flash, jsonify, redirect, request, session, url_for
from flask_login import current_user, login_url, login_user, logout_user

from portal.database import db_session
from portal.extensions import limiter
from shared.clock import utcnow
from shared.models import User
from shared.services.users import Lockout

PENDING = "pending_sign_in"
SIGNED_IN_AT = "signed_in_at"
LAST_SEEN = "last_seen"
RECOVERY_CODES_DUE = "recovery_codes_due"
AFTER_SIGN_IN = "after_sign_in"


def _now() -> float:
    return utcnow().timestamp()


def plain_duration(period: timedelta) -> str:
    """ "15 minutes", "1 hour", "12 hours": as the service's messages say it."""
    minutes = int(period.total_seconds() // 60)
    if minutes % 60 == 0:
        count, unit = minutes // 60, "hour"
    else:
        count, unit = minutes, "minute"
    return f"{count} {unit}{'' if count == 1 else 's'}"


def lockout() -> Lockout:
    return Lockout(current_app.config["SIGN_IN_LOCKOUT_ATTEMPTS"], current_app.config["SIGN_IN_LOCKOUT_PERIOD"])


def lockout_message() -> str:
    """The same for every email address, known or not, so that the message never says which exist."""
    wait = plain_duration(current_app.config["SIGN_IN_LOCKOUT_PERIOD"])
    return f"You have tried to sign in too many times. Wait {wait}, then try again"


def unknown_email_failure(email: str) -> bool:
    """Count a failed sign-in with an email address that is no user's, as a user's would be counted; True if that
    address is now locked out. Kept in the rate limiter's store (shared by every server process), since these
    addresses have no row in the database."""
    settings = lockout()
    storage = limiter.storage
    seconds = int(settings.period.total_seconds())
    key = "cme-sign-in/" + hashlib.sha256(email.encode()).hexdigest()
    try:
        if storage.get(key + "/locked"):
            return True
        if storage.incr(key + "/failures", seconds) >= settings.attempts:
            storage.incr(key + "/locked", seconds)
            storage.clear(key + "/failures")
            return True
    except Exception:  # the store (Redis) is down: the per-address limits, counted in memory meanwhile, still hold
        current_app.logger.warning("sign-in failures of unknown addresses not counted: the rate-limit store failed")
    return False


def start_pending(user: User, next_url: str | None) -> None:
    session.clear()  # a new session on sign-in: nothing carried over from before
    session[PENDING] = {"user": user.id, "version": user.session_version, "at": _now(), "next": next_url}


def pending_user() -> User | None:
    """The user whose sign-in waits for a security code, or None (none waiting, or it has expired)."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    age = _now() - pending.get("at", 0)
    user = db_session().get(User, pending.get("user"))
    valid = (
        0 <= age <= current_app.config["SIGN_IN_PENDING_PERIOD"].total_seconds()
        and user is not None
        and user.active
        and user.session_version == pending.get("version")
    )
    if not valid:
        session.pop(PENDING, None)
        return None
    return user


def pending_key() -> str:
    """The rate limit's key for security codes: the user whose sign-in is pending."""
    pending = session.get(PENDING)
    return f"user-{pending.get('user')}" if isinstance(pending, dict) else "-"


def end_pending() -> None:
    session.pop(PENDING, None)


def finish_sign_in(user: User, next_url: str | None, recovery_codes_due: bool = False) -> None:
    session.clear()
    login_user(user)
    now = _now()
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN] = now
    if recovery_codes_due:
        session[RECOVERY_CODES_DUE] = True
        session[AFTER_SIGN_IN] = next_url


def pending_next() -> str | None:
    pending = session.get(PENDING)
    return pending.get("next") if isinstance(pending, dict) else None


def _expiry_reason() -> str | None:
    now = _now()
    signed_in_at, last_seen = session.get(SIGNED_IN_AT), session.get(LAST_SEEN)
    if not isinstance(signed_in_at, int | float) or not isinstance(last_seen, int | float):
        return "your session began before the service's last update"
    absolute = current_app.config["SESSION_ABSOLUTE_TIMEOUT"]
    idle = current_app.config["SESSION_IDLE_TIMEOUT"]
    if now - signed_in_at > absolute.total_seconds():
        return f"you had been signed in for {plain_duration(absolute)}"
    if now - last_seen > idle.total_seconds():
        return f"you had not used the service for {plain_duration(idle)}"
    return None


def _is_dashboard_background_request() -> bool:
    # As dashboard/__init__.py's rule: Dash's own requests get 401, which dashboard/assets/signed-out.js follows.
    return request.path.startswith(("/dashboard/_", "/dashboard/assets/"))


def enforce_session_limits():
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    reason = _expiry_reason()
    if reason is None:
        session[LAST_SEEN] = _now()
        return None
    logout_user()
    session.clear()
    flash(f"You were signed out because {reason}", "info")
    if _is_dashboard_background_request():
        return jsonify(error="Sign in to use the dashboard"), 401
    if request.method != "GET" or request.blueprint == "auth":
        return redirect(url_for("auth.sign_in"))
    # As Flask-Login's own sign-in redirect writes it, so the person comes back to the page afterwards.
    return redirect(login_url("auth.sign_in", next_url=request.full_path.rstrip("?")))


def init_app(app: Flask) -> None:
    app.before_request(enforce_session_limits)
