"""Reports from the public: drafts kept on the server, saving and resuming, sending, and adding to a sent report.

Each function is one transaction. Session keys, resume codes and resume links are random values the reporter
holds; only their SHA-256 hashes are stored (they are long and random, so a fast hash is enough). The secret
phrase is short enough to guess offline, so it is stored as an argon2 hash.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from shared import hashing
from shared.clock import long_date
from shared.db import rows_changed
from shared.domain.reference import new_reference, new_resume_code
from shared.domain.report import (
    RECEIPT_LIFETIME,
    SAVED_DRAFT_LIFETIME,
    UNSAVED_DRAFT_LIFETIME,
    new_secret_phrase,
    normalise_phrase,
)
from shared.domain.roles import Role
from shared.domain.vocab import ReferralSource, ReferralStatus
from shared.models import Referral, ReferralAddition, ReportDraft, User
from shared.services import audit, emails, mail

log = logging.getLogger(__name__)

# Answers that identify the reporter: never kept for an anonymous report.
REPORTER_KEYS = ("reporter_name", "reporter_organisation", "reporter_email", "reporter_phone", "consent_to_contact")


@dataclass(frozen=True)
class Authority:
    """What emails need to say who they are from and where to go."""

    name: str
    phone: str
    service_url: str
    email: str


@dataclass(frozen=True)
class Receipt:
    reference: str
    secret_phrase: str
    email: str | None
    outbox_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class SavedDraft:
    resume_code: str
    expires_at: datetime
    outbox_ids: tuple[int, ...] = ()


class NothingToSend(LookupError):
    """The session has no report in progress (it expired, or was never started)."""


class CouldNotStore(RuntimeError):
    """Sending lost a race three times in a row: the reporter is asked to send again."""


def _lost_a_race(error: Exception) -> bool:
    """Another request from the same reporter wrote first: a unique key already taken, or (SQLite) the other
    writer's commit made this transaction's snapshot stale."""
    return isinstance(error, IntegrityError) or (
        isinstance(error, OperationalError) and "database is locked" in str(error.orig)
    )


def key_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_session_key() -> str:
    return secrets.token_urlsafe(32)


def find_draft(session: Session, session_key: str | None, now: datetime) -> ReportDraft | None:
    """The session's draft or sent report's receipt, unless it has expired."""
    if not session_key:
        return None
    draft = session.scalar(select(ReportDraft).where(ReportDraft.session_key_hash == key_hash(session_key)))
    if draft is None or draft.expires_at <= now:
        return None
    return draft


def discard(session: Session, session_key: str | None) -> None:
    """Delete the session's draft, whatever is in it (a bot's answers)."""
    if session_key:
        session.execute(delete(ReportDraft).where(ReportDraft.session_key_hash == key_hash(session_key)))
        session.commit()


def purge_expired(session: Session, now: datetime) -> int:
    """Delete drafts and receipts past their time; the caller commits."""
    return rows_changed(session, delete(ReportDraft).where(ReportDraft.expires_at <= now))


def _lifetime_end(draft: ReportDraft, now: datetime) -> datetime:
    """A saved draft lives 7 days from saving, as the save page promises, however it changes after; one never
    saved, a day from its last change (or from the resuming that followed a save, whichever is later)."""
    unsaved_end = now + UNSAVED_DRAFT_LIFETIME
    return max(draft.saved_at + SAVED_DRAFT_LIFETIME, unsaved_end) if draft.saved_at else unsaved_end


def record_answers(
    session: Session,
    session_key: str,
    page: str,
    answers: dict,
    cleared: tuple[str, ...],
    now: datetime,
    forget_pages: tuple[str, ...] = (),
) -> ReportDraft:
    """Keep one page's answers in the session's draft, forgetting `cleared` answers and `forget_pages` (pages
    that no longer apply, so they are asked again if they come to apply later)."""
    for attempt in range(2):
        draft = find_draft(session, session_key, now)
        if draft is not None and draft.submitted_reference:
            # A new report from a session that has just sent one: the old receipt lets go of the key.
            draft.session_key_hash = key_hash(new_session_key())
            draft = None
        if draft is None:
            purge_expired(session, now)
            session.execute(delete(ReportDraft).where(ReportDraft.session_key_hash == key_hash(session_key)))
            draft = ReportDraft(
                session_key_hash=key_hash(session_key),
                submission_key=secrets.token_hex(32),
                answers={},
                completed_pages=[],
                created_at=now,
            )
            session.add(draft)
        merged = {**draft.answers, **answers}
        for key in cleared:
            merged.pop(key, None)
        draft.answers = merged
        draft.completed_pages = [p for p in dict.fromkeys([*draft.completed_pages, page]) if p not in forget_pages]
        draft.updated_at = now
        draft.expires_at = _lifetime_end(draft, now)
        try:
            session.commit()
        except (IntegrityError, OperationalError) as error:
            if not _lost_a_race(error):
                raise
            # Two first answers from one session at once: the other made the draft; add to it.
            session.rollback()
            if attempt:
                raise
            continue
        return draft
    raise AssertionError("unreachable")


def save_for_later(
    session: Session, draft: ReportDraft, now: datetime, authority: Authority, email: str | None = None
) -> SavedDraft:
    """Give the draft a resume code (and a link, emailed when an address is given) valid for 7 days."""
    code = new_resume_code()
    link_token = secrets.token_urlsafe(32)
    draft.resume_code_hash = key_hash(code)
    draft.resume_link_hash = key_hash(link_token)
    draft.saved_at = now
    draft.expires_at = now + SAVED_DRAFT_LIFETIME
    outbox = []
    if email:
        subject, body = emails.render(
            "report_saved",
            authority_name=authority.name,
            authority_phone=authority.phone,
            service_url=authority.service_url,
            token=link_token,
            until=long_date(draft.expires_at),
        )
        outbox.append(mail.queue(session, email, subject, body))
    session.commit()
    return SavedDraft(code, draft.expires_at, tuple(message.id for message in outbox))


def resume(
    session: Session, new_key: str, now: datetime, code: str | None = None, link_token: str | None = None
) -> ReportDraft | None:
    """Move a saved, unexpired draft to the session holding `new_key`; None if the code or link is not one."""
    if code:
        match = ReportDraft.resume_code_hash == key_hash(code)
    elif link_token:
        match = ReportDraft.resume_link_hash == key_hash(link_token)
    else:
        return None
    draft = session.scalar(select(ReportDraft).where(match))
    if draft is None or draft.expires_at <= now or draft.submitted_reference:
        return None
    session.execute(delete(ReportDraft).where(ReportDraft.session_key_hash == key_hash(new_key)))
    draft.session_key_hash = key_hash(new_key)
    # A code or link works once: whoever else holds it (an old device, a shared inbox) cannot take the draft
    # back. Saving again gives a new one.
    draft.resume_code_hash = draft.resume_link_hash = None
    session.commit()
    return draft


def _receipt(draft: ReportDraft, outbox_ids: tuple[int, ...] = ()) -> Receipt:
    reference, phrase = draft.submitted_reference, draft.secret_phrase
    if reference is None or phrase is None:
        raise ValueError("only a report that was sent has a receipt")
    return Receipt(reference, phrase, draft.confirmation_email, outbox_ids)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def referral_from_answers(answers: dict, reference: str, submission_key: str, phrase: str, now: datetime) -> Referral:
    named = answers.get("named") == "yes"
    kept = dict(answers) if named else {key: value for key, value in answers.items() if key not in REPORTER_KEYS}
    return Referral(
        reference=reference,
        submission_key=submission_key,
        source=answers.get("reporter_type") or ReferralSource.PUBLIC,
        anonymous=not named,
        status=ReferralStatus.NEW,
        urgent=answers.get("risk_of_harm") == "yes",
        received_at=now,
        answers=kept,
        child_first_name=answers.get("child_first_name") or None,
        child_last_name=answers.get("child_last_name") or None,
        child_date_of_birth=_date(answers.get("date_of_birth")),
        child_postcode=answers.get("address_postcode") or None,
        reporter_name=kept.get("reporter_name") if named else None,
        reporter_email=(kept.get("reporter_email") or None) if named else None,
        reporter_phone=(kept.get("reporter_phone") or None) if named else None,
        reporter_organisation=(kept.get("reporter_organisation") or None) if named else None,
        consent_to_contact=(kept.get("consent_to_contact") == "yes") if named else None,
        secret_phrase_hash=hashing.phrases.hash(normalise_phrase(phrase)),
    )


def _urgent_addresses(session: Session, authority: Authority) -> list[str]:
    """The active CME leads; if there are none, the team's own address, so an urgent report always alerts someone."""
    leads = session.scalars(select(User.email).where(User.role == Role.LEAD, User.active.is_(True)).order_by(User.id))
    addresses = list(leads)
    if not addresses:
        log.warning("no active CME lead to alert about an urgent report: alerting the team's address")
        addresses = [authority.email]
    return addresses


def submit(session: Session, session_key: str | None, now: datetime, authority: Authority) -> Receipt:
    """Turn the session's draft into a new referral, once: sending it again (a double click, a reload, a retry
    after an outage) gives back the first sending's receipt."""
    for _attempt in range(3):
        draft = find_draft(session, session_key, now)
        if draft is None:
            raise NothingToSend
        if draft.submitted_reference:
            return _receipt(draft)
        try:
            answers = dict(draft.answers)
            phrase = new_secret_phrase()
            referral = referral_from_answers(answers, new_reference("RF"), draft.submission_key, phrase, now)
            session.add(referral)
            session.flush()
            audit.record(
                session,
                None,
                "create",
                "referral",
                referral.id,
                after={"reference": referral.reference, "source": referral.source, "urgent": referral.urgent},
                actor_label="public report" if referral.anonymous else "named public report",
            )
            outbox = []
            if referral.urgent:  # first, so nothing queued before it can hold it up
                for address in _urgent_addresses(session, authority):
                    outbox.append(mail.queue(session, address, *_urgent_alert(referral.reference, authority)))
            if referral.reporter_email:
                outbox.append(
                    mail.queue(session, referral.reporter_email, *_confirmation(referral.reference, authority))
                )
            draft.answers = {}
            draft.completed_pages = []
            draft.resume_code_hash = draft.resume_link_hash = None
            draft.submitted_reference = referral.reference
            draft.secret_phrase = phrase
            draft.confirmation_email = referral.reporter_email
            draft.expires_at = now + RECEIPT_LIFETIME
            session.commit()
        except (IntegrityError, OperationalError) as error:
            if not _lost_a_race(error):
                raise
            # The same draft sent twice at once (the other sending won), or, very rarely, a reference
            # already taken: look again.
            session.rollback()
            continue
        return _receipt(draft, tuple(message.id for message in outbox))
    raise CouldNotStore("could not store the report after three attempts")


def _confirmation(reference: str, authority: Authority) -> tuple[str, str]:
    return emails.render(
        "report_received",
        authority_name=authority.name,
        authority_phone=authority.phone,
        service_url=authority.service_url,
        reference=reference,
    )


def _urgent_alert(reference: str, authority: Authority) -> tuple[str, str]:
    return emails.render("urgent_report", service_url=authority.service_url, reference=reference)


def add_information(session: Session, reference: str, phrase: str, text: str, now: datetime) -> Referral | None:
    """Append the reporter's new information to their report; None if the reference and phrase do not match.
    The reporter never sees what the report already says."""
    referral = session.scalar(select(Referral).where(Referral.reference == reference))
    if not hashing.phrases.verify(
        referral.secret_phrase_hash if referral is not None else None, normalise_phrase(phrase)
    ):
        return None
    if referral is None or not referral.secret_phrase_hash:
        return None
    addition = ReferralAddition(referral=referral, text=text, received_at=now)
    session.add(addition)
    session.flush()
    audit.record(
        session,
        None,
        "add_information",
        "referral",
        referral.id,
        after={"addition_id": addition.id, "characters": len(text)},
        actor_label="reporter with secret phrase",
    )
    session.commit()
    return referral
