"""Inviting someone to the service: an admin gives their name, email address and role, and they are emailed a
one-time link to choose their password. The link works once, until it expires (setting INVITATION_PERIOD).

Only the SHA-256 of a link's token is kept with the invitation. The email carrying the link waits in the outbox
only until the mail server (or Notify) takes it, normally at once, and is deleted once sent; while one cannot be
sent, the link in it works until it expires or a new invitation replaces it. The
invited user is made at once with a password nobody knows (the hash of random bytes never shown), so they cannot
sign in until they have chosen their own. Staff still set up their authenticator app at their first sign-in.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.clock import clock_time, long_date, utcnow
from shared.db import rows_changed
from shared.domain.passwords import password_problem
from shared.domain.problems import Problem, Refused
from shared.domain.roles import Role
from shared.models import Invitation, OutboxMessage, School, User
from shared.models.base import UTCDateTime
from shared.queries import school_by_urn
from shared.services import audit, emails, mail
from shared.services.users import MAX_EMAIL_LENGTH, MAX_NAME_LENGTH, common_passwords, hash_password, normalise_email

DEFAULT_PERIOD = timedelta(hours=72)
EXISTING_EMAIL = "A user with this email address already exists"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URN = re.compile(r"^[0-9]{6}$")


class LinkState(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    VALID = "valid"


class LinkGone(Exception):
    """The link was used or expired while the person was choosing a password (another tab, or time ran out)."""

    def __init__(self, state: LinkState):
        super().__init__(state.value)
        self.state = state


@dataclass(frozen=True)
class Invited:
    """A user invited, the link to send them (made once: only its hash is kept) and the email queued with it."""

    user: User
    invitation: Invitation
    link: str
    message: OutboxMessage


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def unusable_password_hash() -> str:
    """A real Argon2 hash, so a sign-in as the invited user takes as long as any other, of random bytes that are
    never shown or kept: no password can match it."""
    return hash_password(secrets.token_urlsafe(32))


def plain_time(moment: datetime) -> str:
    """A moment as GOV.UK writes it, in England's time: "3:15pm on 23 November 2026", "midday on ..."."""
    clock = clock_time(moment)
    if clock == "midnight":
        return f"midnight at the start of {long_date(moment)}"
    return f"{clock} on {long_date(moment)}"


def school_for(session: Session, role: Role | None, urn: str | None, problems: list[Problem]) -> School | None:
    """The school a user of this role belongs to (school users only), from its URN; what is wrong goes in `problems`."""
    if role is not Role.SCHOOL:
        return None
    urn = (urn or "").strip()
    if not urn:
        problems.append(Problem("school_urn", "Enter the school's URN"))
        return None
    if not (urn.isascii() and _URN.match(urn)):
        problems.append(Problem("school_urn", "The school's URN must be 6 digits, like 100001"))
        return None
    school = school_by_urn(session, int(urn))
    if school is None:
        problems.append(Problem("school_urn", f"No school with URN {urn} is in the schools register"))
    return school


def checked_role(value: str | None) -> Role | None:
    try:
        return Role(value or "")
    except ValueError:
        return None


def _details(session: Session, email: str, name: str, role: str, school_urn: str | None):
    problems: list[Problem] = []
    name = (name or "").strip()
    if not name:
        problems.append(Problem("name", "Enter the person's full name"))
    elif len(name) > MAX_NAME_LENGTH:
        problems.append(Problem("name", f"Full name must be {MAX_NAME_LENGTH} characters or fewer"))
    email = normalise_email(email)
    if not email:
        problems.append(Problem("email", "Enter an email address"))
    elif len(email) > MAX_EMAIL_LENGTH:
        problems.append(Problem("email", f"Email address must be {MAX_EMAIL_LENGTH} characters or fewer"))
    elif not _EMAIL.match(email):
        problems.append(Problem("email", "Enter an email address in the correct format, like name@example.com"))
    elif session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        problems.append(Problem("email", EXISTING_EMAIL))
    chosen = checked_role(role)
    if chosen is None:
        problems.append(Problem("role", "Select the person's role"))
    school = school_for(session, chosen, school_urn, problems)
    if problems:
        raise Refused(problems)
    return email, name, chosen, school


def _new_link(session: Session, user: User, actor: User | None, service_url: str, period: timedelta):
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        user_id=user.id,
        token_hash=token_hash(token),
        created_by_id=actor.id if actor else None,
        expires_at=utcnow() + period,
    )
    session.add(invitation)
    link = f"{service_url.rstrip('/')}/invitation/{token}"
    subject, body = emails.render(
        "invitation",
        person=user.name,
        role=Role(user.role).label,
        school=user.school.name if user.school else None,
        two_factor=user.role != Role.SCHOOL,
        invited_by=actor.name if actor else None,
        link=link,
        expires=plain_time(invitation.expires_at),
        service_url=service_url.rstrip("/"),
    )
    message = mail.queue(session, user.email, subject, body)
    session.flush()
    return invitation, link, message


def invite(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    school_urn: str | None,
    actor: User | None,
    service_url: str,
    period: timedelta = DEFAULT_PERIOD,
    actor_label: str | None = None,
) -> Invited:
    """Make the user (with no password anyone knows), their invitation and its email, in one transaction.
    Refused, with nothing saved, if an answer is missing or wrong or the email is already a user's."""
    email, name, role, school = _details(session, email, name, role, school_urn)
    user = User(email=email, name=name, role=role, school=school, password_hash=unusable_password_hash())
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # the same address invited at the same moment by someone else
        session.rollback()
        raise Refused([Problem("email", EXISTING_EMAIL)]) from None
    invitation, link, message = _new_link(session, user, actor, service_url, period)
    audit.record(
        session,
        actor,
        "user.invited",
        "user",
        user.id,
        after={
            **audit.snapshot(user, ["email", "name", "role", "school_id"]),
            "invitation_id": invitation.id,
            "expires_at": invitation.expires_at.isoformat(),
        },
        actor_label=actor_label,
    )
    session.commit()
    return Invited(user, invitation, link, message)


def has_set_password(session: Session, user: User) -> bool | None:
    """None if the user was never invited (made on the command line or by the demo), else whether they have used
    an invitation to choose their password."""
    rows = session.execute(select(Invitation.used_at).where(Invitation.user_id == user.id)).all()
    if not rows:
        return None
    return any(row.used_at is not None for row in rows)


def waiting(session: Session) -> dict[int, Invitation]:
    """The latest invitation of each user who has never used one: their link may still work, or may have expired."""
    accepted = select(Invitation.user_id).where(Invitation.used_at.is_not(None))
    latest = (
        select(Invitation.user_id, func.max(Invitation.id).label("latest"))
        .where(Invitation.user_id.not_in(accepted))
        .group_by(Invitation.user_id)
        .subquery()
    )
    found = session.scalars(select(Invitation).join(latest, Invitation.id == latest.c.latest))
    return {invitation.user_id: invitation for invitation in found}


def status(user: User, invitation: Invitation | None, now: datetime | None = None) -> str:
    """How the admin pages describe a user: Deactivated, Invited – waiting, Invitation expired, or Active."""
    if not user.active:
        return "Deactivated"
    if invitation is not None:
        return "Invited – waiting" if invitation.expires_at > (now or utcnow()) else "Invitation expired"
    return "Active"


def resend(
    session: Session, user: User, actor: User | None, service_url: str, period: timedelta = DEFAULT_PERIOD
) -> Invited:
    """A new link for a user who has not yet chosen a password; their earlier links stop working now."""
    if has_set_password(session, user) is not False:
        raise Refused([Problem("", f"{user.name} has already chosen a password: there is nothing to resend")])
    if not user.active:
        raise Refused([Problem("", f"{user.name} is deactivated: reactivate them first")])
    now = utcnow()
    ended = rows_changed(
        session,
        update(Invitation)
        .where(Invitation.user_id == user.id, Invitation.used_at.is_(None), Invitation.expires_at > now)
        .values(expires_at=now)
        .execution_options(synchronize_session="fetch"),
    )
    invitation, link, message = _new_link(session, user, actor, service_url, period)
    audit.record(
        session,
        actor,
        "user.invitation_resent",
        "user",
        user.id,
        before={"links_ended": ended},
        after={"invitation_id": invitation.id, "expires_at": invitation.expires_at.isoformat()},
    )
    session.commit()
    return Invited(user, invitation, link, message)


def end_links(session: Session, user: User) -> int:
    """Stop the user's unused links working now (the caller commits): a deactivated user cannot use one."""
    now = utcnow()
    return rows_changed(
        session,
        update(Invitation)
        .where(Invitation.user_id == user.id, Invitation.used_at.is_(None), Invitation.expires_at > now)
        .values(expires_at=now)
        .execution_options(synchronize_session="fetch"),
    )


def look_up(session: Session, token: str, now: datetime | None = None) -> tuple[LinkState, Invitation | None]:
    """What a link's token is: unknown, expired, used, or valid (with its invitation)."""
    if not token or len(token) > 100:
        return LinkState.UNKNOWN, None
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
    if invitation is None:
        return LinkState.UNKNOWN, None
    if invitation.used_at is not None:
        return LinkState.USED, invitation
    if invitation.expires_at <= (now or utcnow()) or not invitation.user.active:
        return LinkState.EXPIRED, invitation
    return LinkState.VALID, invitation


def password_problems(invitation: Invitation, password: str, confirmation: str) -> list[Problem]:
    user = invitation.user
    if not password:
        return [Problem("password", "Enter a password")]
    problem = password_problem(password, email=user.email, name=user.name, common=common_passwords())
    if problem:
        return [Problem("password", problem)]
    if not confirmation:
        return [Problem("confirmation", "Enter the password again")]
    if confirmation != password:
        return [Problem("confirmation", "The passwords do not match: enter the same password in both boxes")]
    return []


def accept(session: Session, token: str, password: str, confirmation: str) -> User:
    """Set the invited user's password and use up the link. Refused if the password will not do
    (the link still works); LinkGone if the link is unknown, expired or already used, with nothing changed.

    The link is claimed by one conditional UPDATE, so of two tabs sending at once exactly one succeeds."""
    state, invitation = look_up(session, token)
    if state is not LinkState.VALID or invitation is None:
        raise LinkGone(state)
    problems = password_problems(invitation, password, confirmation)
    if problems:
        raise Refused(problems)
    now = utcnow()
    claimed = rows_changed(
        session,
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.used_at.is_(None),
            Invitation.expires_at > literal(now, UTCDateTime()),
        )
        .values(used_at=now)
        .execution_options(synchronize_session="fetch"),
    )
    if claimed != 1:
        session.rollback()
        session.refresh(invitation)
        raise LinkGone(LinkState.USED if invitation.used_at is not None else LinkState.EXPIRED)
    user = invitation.user
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    user.failed_sign_ins = 0
    user.failures_since = None
    user.locked_until = None
    end_links(session, user)  # any other link sent to them stops working too
    audit.record(session, user, "user.invitation_accepted", "user", user.id, after={"invitation_id": invitation.id})
    session.commit()
    return user
