"""The link in an invitation: the invited person chooses their password, then signs in as anyone does (staff then
set up their authenticator app). Public, and limited per client address as signing in is."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput
from wtforms import PasswordField

from portal.auth.routes import bp
from portal.database import db_session
from portal.extensions import limiter
from shared.domain.passwords import MIN_PASSWORD_LENGTH
from shared.domain.problems import Problem, Refused
from shared.services import invitations
from shared.services.invitations import LinkGone, LinkState
from webcommon.access import public
from webcommon.forms import BaseForm


class ChoosePasswordForm(BaseForm):
    password = PasswordField(
        "Create a password",
        widget=GovPasswordInput(),
        description=(
            f"At least {MIN_PASSWORD_LENGTH} characters. Not a password many people use, and not your name or email "
            "address. Three random words together are easy to remember and hard to guess."
        ),
    )
    confirmation = PasswordField("Confirm your password", widget=GovPasswordInput())


def _gone(state: LinkState):
    """The page for a link that does not work: not right (404), expired or already used (410)."""
    if state is LinkState.UNKNOWN:
        return render_template("auth/invitation_gone.html", state=state.value), 404
    return render_template("auth/invitation_gone.html", state=state.value), 410


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["SIGN_IN_RATE_LIMIT"])
def invitation(token: str):
    session = db_session()
    state, found = invitations.look_up(session, token)
    if state is not LinkState.VALID:
        return _gone(state)
    form = ChoosePasswordForm()

    def page():
        form.password.data = form.confirmation.data = None  # a password is never sent back in a page
        return render_template("auth/invitation.html", form=form, person=found.user)

    if request.method == "GET":
        return page()
    if not form.validate():
        return page()
    try:
        invitations.accept(session, token, form.password.data or "", form.confirmation.data or "")
    except LinkGone as gone:
        return _gone(gone.state)
    except Refused as refused:
        _show(form, refused.problems)
        return page()
    flash("Your password is set. Sign in with your email address and new password", "success")
    return redirect(url_for("auth.sign_in"))


def _show(form: ChoosePasswordForm, problems: list[Problem]) -> None:
    for problem in problems:
        getattr(form, problem.field, form.password).errors = [problem.message]
