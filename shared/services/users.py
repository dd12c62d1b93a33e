"""Staff and school user accounts: creation and password sign-in."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.domain.roles import Role
from shared.models import School, User, utcnow
from shared.services import audit

_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200  # the sign-in form accepts no longer
MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 120
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UserError(ValueError):
    """A user that cannot be created as asked; the message says why in one line."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


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
    if len(password.strip()) < MIN_PASSWORD_LENGTH:
        raise UserError(
            f"The password must be at least {MIN_PASSWORD_LENGTH} characters, not counting spaces at either end"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"The password must be {MAX_PASSWORD_LENGTH} characters or fewer")
    school = None
    if role is Role.SCHOOL:
        if school_urn is None:
            raise UserError("A school user needs a school: give its URN with --school")
        school = session.scalar(select(School).where(School.urn == school_urn))
        if school is None:
            raise UserError(f"No school with URN {school_urn} is in the schools register")
    elif school_urn is not None:
        raise UserError(f"Only school users belong to a school; a {role.label.lower()} does not")
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise UserError(f"A user with the email {email} already exists")
    user = User(email=email, name=name.strip(), role=role, school=school, password_hash=hash_password(password))
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


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None. Never says which part was wrong."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_signed_in_at = utcnow()
    audit.record(session, user, "sign_in", "user", user.id)
    session.commit()
    return user
