"""Managing users (admins only): the list, inviting someone, and each user's page with its changes: role and
school, deactivating and reactivating, resetting two-factor sign-in, sending a new invitation. Thin views over
shared.services.invitations and shared.services.user_admin."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.admin.forms import ROLE_HINTS, ConfirmForm, InviteForm, RoleForm
from portal.database import db_session
from portal.tasks.work import send_mail_later
from shared import queries
from shared.domain.problems import Refused
from shared.domain.roles import Area, Role
from shared.models import User
from shared.services import invitations, two_factor, user_admin
from webcommon.access import requires

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@requires(Area.ADMIN)
def users():
    session = db_session()
    waiting = invitations.waiting(session)
    rows = [(user, invitations.status(user, waiting.get(user.id))) for user in queries.users_for_admin(session)]
    return render_template("admin/users.html", rows=rows, roles=Role)


def _user_or_404(user_id: int) -> User:
    user = db_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _sent(invited: invitations.Invited) -> str:
    send_mail_later((invited.message.id,))
    until = invitations.plain_time(invited.invitation.expires_at)
    return f"Invitation sent to {invited.user.email}. The link works until {until}"


@bp.route("/invite", methods=["GET", "POST"])
@requires(Area.ADMIN)
def invite():
    form = InviteForm() if request.method == "POST" else InviteForm(formdata=None)

    def page():
        hours = int(current_app.config["INVITATION_PERIOD"].total_seconds() // 3600)
        return render_template("admin/invite.html", form=form, hints=ROLE_HINTS, hours=hours)

    if request.method == "GET" or not form.fresh():
        return page()
    try:
        invited = invitations.invite(
            db_session(),
            email=form.email.data,
            name=form.name.data,
            role=form.role.data,
            school_urn=form.school_urn.data,
            actor=current_user,
            service_url=current_app.config["SERVICE_URL"],
            period=current_app.config["INVITATION_PERIOD"],
        )
    except Refused as refused:
        form.show(refused.problems)
        return page()
    flash(_sent(invited), "success")
    return redirect(url_for("admin.user", user_id=invited.user.id))


@bp.route("/users/<int:user_id>")
@requires(Area.ADMIN)
def user(user_id: int):
    person = _user_or_404(user_id)
    session = db_session()
    waiting = invitations.waiting(session).get(person.id)
    return render_template(
        "admin/user.html",
        person=person,
        status=invitations.status(person, waiting),
        invitation=waiting,
        expires=invitations.plain_time(waiting.expires_at) if waiting else None,
        two_factor_applies=two_factor.required_for(person),
        enrolled=two_factor.is_enrolled(person),
    )


@bp.route("/users/<int:user_id>/role", methods=["GET", "POST"])
@requires(Area.ADMIN)
def change_role(user_id: int):
    person = _user_or_404(user_id)
    if request.method == "POST":
        form = RoleForm()
    else:
        urn = str(person.school.urn) if person.school else ""
        form = RoleForm(data={"role": person.role, "school_urn": urn, "seen": user_admin.seen(person)})

    def page():
        return render_template("admin/role.html", form=form, person=person, hints=ROLE_HINTS)

    if request.method == "GET" or not form.fresh():
        return page()
    try:
        changed = user_admin.change_role(
            db_session(),
            person,
            current_user,
            role=form.role.data,
            school_urn=form.school_urn.data,
            seen_values=form.seen.data,
        )
    except Refused as refused:
        form.show(refused.problems)
        form.seen.data = user_admin.seen(person)
        return page()
    school = f", {person.school.name}" if person.school else ""
    flash(
        f"{person.name} is now: {Role(person.role).label}{school}" if changed else "Nothing was changed",
        "success" if changed else "info",
    )
    return redirect(url_for("admin.user", user_id=person.id))


def _confirmation(user_id: int, template: str, act, done: str, allowed):
    """A confirmation page and what it does once confirmed; `allowed(person)` says whether it applies now."""
    person = _user_or_404(user_id)
    if not allowed(person):
        return redirect(url_for("admin.user", user_id=person.id))
    form = ConfirmForm() if request.method == "POST" else ConfirmForm(data={"seen": user_admin.seen(person)})

    def page():
        return render_template(template, form=form, person=person)

    if request.method == "GET" or not form.fresh():
        return page()
    try:
        message = act(person, form)
    except Refused as refused:
        form.show(refused.problems)
        form.seen.data = user_admin.seen(person)
        return page()
    flash(message or done.format(name=person.name), "success")
    return redirect(url_for("admin.user", user_id=person.id))


@bp.route("/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@requires(Area.ADMIN)
def deactivate(user_id: int):
    def act(person, form):
        user_admin.deactivate(db_session(), person, current_user, seen_values=form.seen.data)

    return _confirmation(
        user_id,
        "admin/deactivate.html",
        act,
        "{name} is deactivated: they cannot sign in, and any session they had open has ended",
        lambda person: person.active,
    )


@bp.route("/users/<int:user_id>/reactivate", methods=["GET", "POST"])
@requires(Area.ADMIN)
def reactivate(user_id: int):
    def act(person, form):
        user_admin.reactivate(db_session(), person, current_user, seen_values=form.seen.data)

    return _confirmation(
        user_id,
        "admin/reactivate.html",
        act,
        "{name} is active again and can sign in",
        lambda person: not person.active,
    )


@bp.route("/users/<int:user_id>/reset-two-factor", methods=["GET", "POST"])
@requires(Area.ADMIN)
def reset_two_factor(user_id: int):
    def act(person, form):
        user_admin.reset_two_factor(db_session(), person, current_user)

    return _confirmation(
        user_id,
        "admin/reset_two_factor.html",
        act,
        "{name}'s two-factor sign-in is reset: they set up their authenticator app again when they next sign in",
        two_factor.required_for,
    )


@bp.route("/users/<int:user_id>/resend-invitation", methods=["GET", "POST"])
@requires(Area.ADMIN)
def resend_invitation(user_id: int):
    def act(person, form):
        invited = invitations.resend(
            db_session(),
            person,
            current_user,
            current_app.config["SERVICE_URL"],
            current_app.config["INVITATION_PERIOD"],
        )
        return _sent(invited) + ". The link sent before no longer works"

    return _confirmation(
        user_id,
        "admin/resend_invitation.html",
        act,
        "",
        lambda person: person.active and invitations.has_set_password(db_session(), person) is False,
    )
