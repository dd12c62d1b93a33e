"""The second step of a staff sign-in: a security code from an authenticator app (or a recovery code), and
setting the app up the first time.

Every page here needs a pending sign-in (the right password given less than SIGN_IN_PENDING_PERIOD ago), except
the recovery codes page, which is shown once, just after set-up.
"""

from __future__ import annotations

import segno
from flask import current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user

from portal.auth import sessions
from portal.auth.forms import RecoveryCodeForm, SecurityCodeForm
from portal.auth.routes import bp, home_for
from portal.database import db_session
from portal.extensions import limiter
from portal.settings import authority_settings
from shared.models import User
from shared.services import two_factor as two_factor_service
from shared.services import users
from webcommon.access import public

WRONG_CODE = "The security code is not correct. Enter the code your authenticator app shows now"
WRONG_RECOVERY_CODE = "The recovery code is not correct or has already been used"
ENROLMENT = "two_factor_enrolment"  # the session's mark of the secret it was shown while setting up the app
QR_SCALE = 5  # pixels per module: big enough for a phone's camera held at arm's length


def _code_limits(view):
    """Limited as the password is: per client address, and per user whose sign-in is pending."""
    view = limiter.limit(
        lambda: current_app.config["SIGN_IN_RATE_LIMIT"],
        methods=["POST"],
        key_func=sessions.pending_key,
        scope="sign-in-code-user",
    )(view)
    return limiter.limit(lambda: current_app.config["SIGN_IN_RATE_LIMIT"], methods=["POST"])(view)


def _start_again():
    flash("Your sign-in took too long or has ended. Enter your email address and password again", "info")
    return redirect(url_for("auth.sign_in"))


def _locked_out():
    sessions.end_pending()
    flash(sessions.lockout_message(), "info")
    return redirect(url_for("auth.sign_in"))


def _pending_user():
    """(the user whose sign-in is pending, None) or (None, where to send the person instead)."""
    user = sessions.pending_user()
    if user is None:
        return None, _start_again()
    if users.is_locked(user):  # locked since the password was given, by wrong attempts elsewhere
        return None, _locked_out()
    return user, None


def _this_step(enrolled: bool):
    """(the user whose sign-in is pending, None), or (None, where to send the person instead): home if they are
    signed in already, to sign in if no sign-in is under way, or to the other step if their app is (or is not yet)
    set up, as this step needs."""
    if current_user.is_authenticated:
        return None, redirect(home_for(current_user))
    user, elsewhere = _pending_user()
    if user is None:
        return None, elsewhere
    if two_factor_service.is_enrolled(user) != enrolled:
        return None, redirect(url_for("auth.two_factor" if not enrolled else "auth.set_up_two_factor"))
    return user, None


def _refused(user: User, step: str):
    """Count a wrong code; once that locks the account, the sign-in ends there. None if it may go on."""
    if users.record_failure(db_session(), user, step, sessions.lockout()):
        return _locked_out()
    return None


def _signed_in(user: User, second_step: str, recovery_codes_due: bool = False):
    next_url = sessions.pending_next()
    users.complete_sign_in(db_session(), user, second_step)
    sessions.finish_sign_in(user, next_url, recovery_codes_due)
    if recovery_codes_due:
        return redirect(url_for("auth.recovery_codes"))
    return redirect(next_url or home_for(user))


@bp.route("/sign-in/two-factor", methods=["GET", "POST"])
@public
@_code_limits
def two_factor():
    user, elsewhere = _this_step(enrolled=True)
    if user is None:
        return elsewhere
    form = SecurityCodeForm()
    if form.validate_on_submit():
        if two_factor_service.accept_code(db_session(), user, form.code.data):
            return _signed_in(user, "security code")
        if refused := _refused(user, "security code"):
            return refused
        form.code.errors.append(WRONG_CODE)
    form.code.data = None
    return render_template("auth/two_factor.html", form=form)


@bp.route("/sign-in/recovery-code", methods=["GET", "POST"])
@public
@_code_limits
def recovery_code():
    user, elsewhere = _this_step(enrolled=True)
    if user is None:
        return elsewhere
    form = RecoveryCodeForm()
    if form.validate_on_submit():
        if two_factor_service.use_recovery_code(db_session(), user, form.code.data):
            left = two_factor_service.unused_recovery_codes(db_session(), user)
            response = _signed_in(user, "recovery code")
            flash(
                f"You have {left} recovery code{'' if left == 1 else 's'} left. If you have lost your authenticator "
                "app, ask your service administrator to reset your two-factor sign-in",
                "info",
            )
            return response
        if refused := _refused(user, "recovery code"):
            return refused
        form.code.errors.append(WRONG_RECOVERY_CODE)
    form.code.data = None
    return render_template("auth/recovery_code.html", form=form)


@bp.route("/sign-in/set-up-two-factor", methods=["GET", "POST"])
@public
@_code_limits
def set_up_two_factor():
    user, elsewhere = _this_step(enrolled=False)
    if user is None:
        return elsewhere
    secret = two_factor_service.start_enrolment(db_session(), user, session.get(ENROLMENT))
    session[ENROLMENT] = two_factor_service.enrolment_mark(secret)
    form = SecurityCodeForm()
    if form.validate_on_submit():
        if two_factor_service.confirm_enrolment(db_session(), user, form.code.data, session.get(ENROLMENT)):
            return _signed_in(user, "security code (set up)", recovery_codes_due=True)
        if refused := _refused(user, "security code"):
            return refused
        form.code.errors.append(WRONG_CODE)
    form.code.data = None
    uri = two_factor_service.provisioning_uri(user, f"{authority_settings().authority_name} CME")
    qr = segno.make(uri, error="m")
    key = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render_template(
        "auth/set_up_two_factor.html",
        form=form,
        qr_code=qr.svg_data_uri(scale=QR_SCALE, dark="#0b0c0c"),
        qr_size=qr.symbol_size(scale=QR_SCALE)[0],
        key=key,
    )


@bp.route("/sign-in/recovery-codes")
@public
def recovery_codes():
    """Shown once, just after the app is set up: new codes each time, only their hashes kept."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in"))
    if not session.pop(sessions.RECOVERY_CODES_DUE, False):
        return redirect(home_for(current_user))
    next_url = session.pop(sessions.AFTER_SIGN_IN, None) or home_for(current_user)
    codes = two_factor_service.first_recovery_codes(db_session(), current_user)
    if codes is None:
        return redirect(next_url)
    return render_template("auth/recovery_codes.html", codes=codes, next_url=next_url)
