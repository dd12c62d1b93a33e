"""Two-factor sign-in for staff: time-based security codes (TOTP, RFC 6238) from an authenticator app, and
single-use recovery codes for when the app is lost (OWASP ASVS 2.7 and 2.8; NCSC multi-factor guidance).

School users sign in with a password alone; every other role needs a second step.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from shared.clock import utcnow
from shared.db import rows_changed
from shared.domain.problems import required
from shared.domain.roles import Role
from shared.models import RecoveryCode, User
from shared.services import audit
from shared.services.users import UserError, normalise_email

RECOVERY_CODE_COUNT = 10
# Codes accepted either side of the current 30-second step, for clocks a little out and codes typed slowly.
VALID_WINDOW = 1
# Recovery codes avoid letters and digits that are easily confused (0/o, 1/l/i).
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_HALF = 5


def required_for(user: User) -> bool:
    return user.role != Role.SCHOOL


def is_enrolled(user: User) -> bool:
    return bool(user.totp_secret) and user.totp_confirmed_at is not None


def normalise_code(code: str | None) -> str:
    return re.sub(r"[\s-]+", "", code or "")


def enrolment_mark(secret: str) -> str:
    """What the person's own session keeps of the secret it was shown: enough to tell it from another's."""
    return hashlib.sha256(secret.encode()).hexdigest()[:32]


def start_enrolment(session: Session, user: User, mark: str | None) -> str:
    """The secret the user's authenticator app is to share. The one not yet confirmed is shown again only to the
    session it was first shown to (`mark`, from enrolment_mark): any other session gets a new one, which replaces
    it. So someone who knows the password and opens this page first cannot hand the user a key they also hold."""
    if user.totp_confirmed_at is None and user.totp_secret and mark == enrolment_mark(user.totp_secret):
        return user.totp_secret
    user.totp_secret = pyotp.random_base32()  # 32 characters: 160 bits, as RFC 4226 recommends
    user.totp_confirmed_at = None
    user.totp_last_step = None
    session.commit()
    return user.totp_secret


def provisioning_uri(user: User, issuer: str) -> str:
    """The otpauth:// link (shown as a QR code) of the secret `start_enrolment` gave the user."""
    return pyotp.TOTP(required(user.totp_secret)).provisioning_uri(name=user.email, issuer_name=issuer)


def accept_code(session: Session, user: User, code: str, now: datetime | None = None) -> bool:
    """True if the code is the app's for now (or a step either side) and is later than the last code accepted:
    a code seen once, by the service or by someone looking over a shoulder, never works again. The step is
    claimed with one conditional UPDATE, so two requests with the same code at once cannot both succeed."""
    code = normalise_code(code)
    if not user.totp_secret or not re.fullmatch(r"\d{6}", code):
        return False
    totp = pyotp.TOTP(user.totp_secret)
    current = totp.timecode(now or utcnow())
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            claimed = rows_changed(
                session,
                update(User)
                .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
                .values(totp_last_step=step)
                .execution_options(synchronize_session=False),
            )
            session.commit()
            session.refresh(user)
            return claimed == 1
    return False


def confirm_enrolment(session: Session, user: User, code: str, mark: str | None) -> bool:
    """Confirm the app is set up, with the first code it shows, from the session the secret was shown to."""
    if user.totp_confirmed_at is not None or not user.totp_secret or mark != enrolment_mark(user.totp_secret):
        return False
    if not accept_code(session, user, code):
        return False
    user.totp_confirmed_at = utcnow()
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))  # codes go with the old app
    audit.record(session, user, "two_factor_enrolled", "user", user.id)
    session.commit()
    return True


def _hash(code: str) -> str:
    # The codes are random (50 bits each) and single use: a fast hash is enough, unlike for passwords.
    return hashlib.sha256(normalise_code(code).lower().encode()).hexdigest()


def first_recovery_codes(session: Session, user: User) -> list[str] | None:
    """The recovery codes for an app just set up, or None if the user already has codes: made once for each set-up,
    so an old copy of the session asking for the page again cannot replace the codes the person wrote down."""
    if session.scalar(select(RecoveryCode.id).where(RecoveryCode.user_id == user.id).limit(1)) is not None:
        return None
    return new_recovery_codes(session, user)


def new_recovery_codes(session: Session, user: User, count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Replace the user's recovery codes; the codes are returned to be shown once, and only their hashes kept."""
    codes = [
        "-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_HALF)) for _ in range(2))
        for _ in range(count)
    ]
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    audit.record(session, user, "recovery_codes_made", "user", user.id, after={"count": count})
    session.commit()
    return codes


def unused_recovery_codes(session: Session, user: User) -> int:
    codes = session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()
    return sum(code.used_at is None for code in codes)


def use_recovery_code(session: Session, user: User, code: str) -> bool:
    """True, and the code is spent, if it is one of the user's unused recovery codes."""
    if not normalise_code(code):
        return False
    found = session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if found is None:
        return False
    spent = rows_changed(
        session,  # conditional: of two requests with one code at once, only one spends it
        update(RecoveryCode)
        .where(RecoveryCode.id == found.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False),
    )
    if spent != 1:
        session.rollback()
        return False
    audit.record(session, user, "recovery_code_used", "user", user.id)
    session.commit()
    return True


def reset(
    session: Session,
    user: User,
    actor: User | None = None,
    actor_label: str | None = None,
    action: str = "two_factor_reset",
) -> None:
    """Forget the user's authenticator and recovery codes (a lost phone): they set up two-factor sign-in again at
    their next sign-in. Their open sessions end too, in case the phone was taken with a session open. One audit
    event, `action`, says whether an app had been set up."""
    before = {"two_factor_set_up": is_enrolled(user)}
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    user.session_version += 1
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(
        session,
        actor,
        action,
        "user",
        user.id,
        before=before,
        after={"two_factor_set_up": False},
        actor_label=actor_label,
    )
    session.commit()


def reset_for_email(session: Session, email: str, actor_label: str) -> User:
    """Reset the two-factor sign-in of the staff user with this email (see reset); UserError if there is none."""
    email = normalise_email(email)
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        raise UserError(f"No user has the email {email}")
    if not required_for(user):
        raise UserError(f"{email} is a school user: school users sign in without two-factor")
    reset(session, user, actor_label=actor_label)
    return user
