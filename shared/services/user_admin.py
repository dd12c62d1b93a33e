"""What an admin changes about a user: role and school, deactivating and reactivating, resetting two-factor
sign-in. Each change is audited with what it was before and after, and ends the user's sessions, so that new
permissions (or none) apply at once.

There must always be at least one active administrator. Each change that could take away the last one is one
conditional UPDATE that counts the other active administrators as it writes, after locking the active
administrators' rows on PostgreSQL (SQLite lets one write transaction through at a time): two admins removing each
other at the same moment cannot both succeed.
"""

from __future__ import annotations

from sqlalchemy import and_, func, select, true, update
from sqlalchemy.orm import Session, aliased

from shared.db import rows_changed
from shared.domain.problems import Problem, Refused
from shared.domain.roles import Role
from shared.models import User
from shared.services import audit, invitations, two_factor
from shared.services.invitations import checked_role

LAST_ADMIN = (
    "There must always be at least one active administrator. Make someone else an administrator first, then try again"
)
STALE = (
    "Someone else changed this user while you were looking at them. Nothing has been saved: check the user's details "
    "as they are now and make your change again"
)
_FIELDS = ["role", "school_id", "active"]


def seen(user: User) -> str:
    """The user's values an admin's page was shown with: a change made on that page applies only if they still are
    the user's (a hidden field carries them)."""
    return f"{user.role}:{user.school_id or ''}:{int(user.active)}"


def _lock_active_admins(session: Session) -> None:
    # PostgreSQL: a second admin's change waits here until the first commits, then sees it. SQLite has no row
    # locks (SQLAlchemy leaves FOR UPDATE out) and needs none: its writes are one at a time.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(User.id).where(User.role == Role.ADMIN, User.active.is_(True)).with_for_update())


def _guarded_update(session: Session, user: User, seen_values: str, values: dict) -> None:
    """Write `values` to the user if the page's values are still the user's and, if the user is an active
    administrator who would stop being one, another active administrator remains."""
    _lock_active_admins(session)
    other = aliased(User)
    others = (
        select(func.count())
        .select_from(other)
        .where(other.role == Role.ADMIN, other.active.is_(True), other.id != user.id)
        .scalar_subquery()
    )
    stays_admin = values.get("role", user.role) == Role.ADMIN and values.get("active", user.active)
    guard = true() if stays_admin else ~and_(User.role == Role.ADMIN, User.active.is_(True)) | (others >= 1)
    role, _, rest = (seen_values or "").partition(":")
    school_id, _, active = rest.partition(":")
    unchanged = and_(
        User.role == role,
        (
            User.school_id.is_(None)
            if not school_id
            # A school id as the page wrote it; anything else (a forged value) matches no school.
            else User.school_id
            == (int(school_id) if school_id.isascii() and school_id.isdigit() and len(school_id) <= 9 else -1)
        ),
        User.active.is_(active == "1"),
    )
    written = rows_changed(
        session,
        update(User)
        .where(User.id == user.id, unchanged, guard)
        .values(**values, session_version=User.session_version + 1)
        .execution_options(synchronize_session=False),
    )
    if written == 1:
        return
    session.rollback()
    session.refresh(user)
    if seen(user) != seen_values:
        raise Refused([Problem("", STALE)])
    raise Refused([Problem("", LAST_ADMIN)])


def change_role(
    session: Session, user: User, actor: User, *, role: str, school_urn: str | None, seen_values: str
) -> bool:
    """Give the user a new role (and the school a school user belongs to; any other role has none). Returns False
    when nothing was different."""
    problems: list[Problem] = []
    chosen = checked_role(role)
    if chosen is None:
        problems.append(Problem("role", "Select the person's role"))
    school = invitations.school_for(session, chosen, school_urn, problems)
    if problems or chosen is None:  # (a role is always asked for)
        raise Refused(problems)
    school_id = school.id if school else None
    if chosen == user.role and school_id == user.school_id:
        if seen(user) != seen_values:
            raise Refused([Problem("", STALE)])
        return False
    before = audit.snapshot(user, _FIELDS)
    _guarded_update(session, user, seen_values, {"role": chosen.value, "school_id": school_id})
    session.refresh(user)
    audit.record(
        session, actor, "user.role_changed", "user", user.id, before=before, after=audit.snapshot(user, _FIELDS)
    )
    session.commit()
    return True


def deactivate(session: Session, user: User, actor: User, *, seen_values: str) -> None:
    """The user can no longer sign in, their sessions end now, and any link sent to them stops working."""
    if not user.active:
        return
    before = audit.snapshot(user, _FIELDS)
    _guarded_update(session, user, seen_values, {"active": False})
    ended = invitations.end_links(session, user)
    session.refresh(user)
    after = audit.snapshot(user, _FIELDS) | ({"invitation_links_ended": ended} if ended else {})
    audit.record(session, actor, "user.deactivated", "user", user.id, before=before, after=after)
    session.commit()


def reactivate(session: Session, user: User, actor: User, *, seen_values: str) -> None:
    if user.active:
        return
    before = audit.snapshot(user, _FIELDS)
    _guarded_update(session, user, seen_values, {"active": True, "failed_sign_ins": 0, "locked_until": None})
    session.refresh(user)
    audit.record(
        session, actor, "user.reactivated", "user", user.id, before=before, after=audit.snapshot(user, _FIELDS)
    )
    session.commit()


def reset_two_factor(session: Session, user: User, actor: User) -> None:
    """A staff user's lost phone: they set up their authenticator app again at their next sign-in."""
    if not two_factor.required_for(user):
        raise Refused([Problem("", "School users sign in without two-factor: there is nothing to reset")])
    two_factor.reset(session, user, actor, action="user.two_factor_reset")
