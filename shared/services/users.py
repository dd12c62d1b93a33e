"""Staff and school user accounts: creation, password checks, and the lockout after repeated failures.

A sign-in is complete after the password for school users, and after the password and a security code (or a
recovery code, see shared/services/two_factor.py) for staff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from sqlalchemy import case, func, literal, or_, select, update
from sqlalchemy.orm import Session

from shared import hashing
from shared.clock import utcnow
from shared.db import rows_changed
from shared.domain.passwords import password_problem
from shared.domain.roles import Role
from shared.models import User
from shared.models.base import UTCDateTime
from shared.queries import school_by_urn
from shared.services import audit

MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 120
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UserError(ValueError):
    """A user that cannot be created as asked; the message says why in one line."""


def hash_password(password: str) -> str:
    return hashing.passwords.hash(password)


@cache
def common_passwords() -> frozenset[str]:
    """The 30,000 passwords seen most often in leaked password sets, as the zxcvbn package ships them (its
    frequency list "passwords"). Loaded the first time a password is set, not at every start."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def check_new_password(password: str, email: str, name: str) -> None:
    """Raise UserError saying why, if this password cannot be set for the person with this email and name."""
    problem = password_problem(password, email=email, name=name, common=common_passwords())
    if problem:
        raise UserError(problem)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def create_user(
    session: Session,
    email: str,
    name: str,
    role: str,
    password: str,
    school_urn: int | None = None,
    actor: User | None = None,
    actor_label: str | None = None,
) -> User:
    email = normalise_email(email)
    if not _EMAIL.match(email):
        raise UserError(f"'{email}' is not an email address")
    if len(email) > MAX_EMAIL_LENGTH:
        raise UserError(f"The email address must be {MAX_EMAIL_LENGTH} characters or fewer")
    if not (name or "").strip():
        raise UserError("A user needs a name")
    if len(name.strip()) > MAX_NAME_LENGTH:
        raise UserError(f"The name must be {MAX_NAME_LENGTH} characters or fewer")
    try:
        role = Role(role)
    except ValueError:
        raise UserError(f"Unknown role '{role}': use one of {', '.join(r.value for r in Role)}") from None
    check_new_password(password, email, name)
    school = None
    if role is Role.SCHOOL:
        if school_urn is None:
            raise UserError("A school user needs a school: give its URN with --school")
        school = school_by_urn(session, school_urn)
        if school is None:
            raise UserError(f"No school with URN {school_urn} is in the schools register")
    elif school_urn is not None:
        raise UserError(f"Only school users belong to a school; a {role.label.lower()} does not")
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise UserError(f"A user with the email {email} already exists")
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        school=school,
        password_hash=hash_password(password),
        password_changed_at=utcnow(),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "create",
        "user",
        user.id,
        after=audit.snapshot(user, ["email", "name", "role", "school_id"]),
        actor_label=actor_label,
    )
    session.commit()
    return user


def end_sessions(session: Session, user: User) -> None:
    """Sign the user out everywhere: sessions carry the old version and are no longer accepted."""
    user.session_version += 1
    audit.record(session, user, "sign_out", "user", user.id)
    session.commit()


@dataclass(frozen=True)
class Lockout:
    """How many wrong passwords or codes in a row lock an account, and for how long (settings
    SIGN_IN_LOCKOUT_ATTEMPTS and SIGN_IN_LOCKOUT_PERIOD)."""

    attempts: int = 5
    period: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class PasswordCheck:
    """What a password check found. `user` is set only when the password was right and the account may sign in;
    `known` says whether the email is a user's (for the caller's count of unknown addresses, never to show)."""

    user: User | None
    locked: bool = False
    known: bool = True


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > utcnow()


def check_password(session: Session, email: str, password: str, lockout: Lockout = Lockout()) -> PasswordCheck:
    """Check the password, counting a wrong one towards the lockout. Takes as long for an unknown email."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    # Checked against a made-up hash when the email is unknown, so a wrong email takes as long as a wrong password.
    right = hashing.passwords.verify(user.password_hash if user else None, password)
    if user is None:
        return PasswordCheck(None, known=False)
    if is_locked(user):
        return PasswordCheck(None, locked=True)
    if not right or not user.active:
        return PasswordCheck(None, locked=record_failure(session, user, "password", lockout))
    if hashing.passwords.needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.commit()
    return PasswordCheck(user)


def record_failure(session: Session, user: User, step: str, lockout: Lockout = Lockout()) -> bool:
    """Count a wrong password or code; returns True if that locked the account (or it already was).

    The count lasts one lockout period from its first failure, exactly as an unknown address's count does in the
    rate limiter's store, so that waiting and trying again never shows which addresses have accounts. It is
    moved on by one UPDATE, so failures sent at the same moment are all counted."""
    now = utcnow()
    if is_locked(user):
        return True
    fresh = or_(User.failures_since.is_(None), User.failures_since <= literal(now - lockout.period, UTCDateTime()))
    count = session.execute(
        update(User)
        .where(User.id == user.id)
        .values(
            failed_sign_ins=case((fresh, 1), else_=User.failed_sign_ins + 1),
            failures_since=case((fresh, literal(now, UTCDateTime())), else_=User.failures_since),
        )
        .returning(User.failed_sign_ins)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    audit.record(session, user, "sign_in_failed", "user", user.id, after={"step": step})
    locked = count >= lockout.attempts
    if locked:
        until = now + lockout.period
        took = rows_changed(
            session,
            update(User)
            .where(
                User.id == user.id, or_(User.locked_until.is_(None), User.locked_until <= literal(now, UTCDateTime()))
            )
            .values(locked_until=until, failed_sign_ins=0, failures_since=None)  # the count starts again after
            .execution_options(synchronize_session=False),
        )
        if took:
            audit.record(session, user, "locked", "user", user.id, after={"locked_until": until.isoformat()})
    session.commit()
    session.refresh(user)
    return locked


def complete_sign_in(session: Session, user: User, second_step: str | None = None) -> None:
    """Record a finished sign-in: the failure count starts again."""
    user.failed_sign_ins = 0
    user.failures_since = None
    user.locked_until = None
    user.last_signed_in_at = utcnow()
    audit.record(session, user, "sign_in", "user", user.id, after={"second_step": second_step} if second_step else None)
    session.commit()


def authenticate(session: Session, email: str, password: str, lockout: Lockout = Lockout()) -> User | None:
    """The active user with this email and password, signed in with the password alone (as school users are), or
    None. Never says which part was wrong."""
    check = check_password(session, email, password, lockout)
    if check.user is not None:
        complete_sign_in(session, check.user)
    return check.user
