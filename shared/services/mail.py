"""Email through a real SMTP client. Messages are written to the outbox in the same transaction as the change
they report, and sent after it commits: a mail server that is down delays an email but never loses a report."""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from shared.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailSettings:
    server: str
    port: int
    use_tls: bool
    username: str | None
    password: str | None
    sender: str
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config) -> MailSettings:
        return cls(
            server=config["MAIL_SERVER"],
            port=config["MAIL_PORT"],
            use_tls=config["MAIL_USE_TLS"],
            username=config["MAIL_USERNAME"],
            password=config["MAIL_PASSWORD"],
            sender=config["MAIL_FROM"],
            timeout=config.get("MAIL_TIMEOUT", 10.0),
        )


def queue(session: Session, to_address: str, subject: str, body: str) -> OutboxMessage:
    """Add an email to the outbox; it is committed with the caller's change."""
    message = OutboxMessage(to_address=to_address, subject=subject, body=body)
    session.add(message)
    return message


def _email(settings: MailSettings, message: OutboxMessage) -> EmailMessage:
    # Headers folded only past RFC 5322's 998-character limit, so a long subject reaches every mail reader whole.
    email = EmailMessage(policy=policy.default.clone(max_line_length=998))
    email["From"] = settings.sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    email.set_content(message.body)
    return email


def _connect(settings: MailSettings) -> smtplib.SMTP:
    smtp = smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout)
    if settings.use_tls:
        smtp.starttls(context=ssl.create_default_context())
    if settings.username:
        smtp.login(settings.username, settings.password or "")
    return smtp


MAX_ATTEMPTS = 10  # then a person looks at it: `cme mail send` lists what it gave up on
CLAIM = timedelta(minutes=5)  # long enough to send one message, so two senders never send the same one


@dataclass(frozen=True)
class Outcome:
    sent: int
    waiting: int
    given_up: int = 0


def _claim(session: Session, message_id: int, now: datetime) -> bool:
    """Take one message for this sender; False if another sender (the request's thread, `cme mail send`) has it."""
    claimed = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .values(claimed_until=now + CLAIM)
    ).rowcount
    session.commit()
    return claimed == 1


def send_pending(sessions: sessionmaker, settings: MailSettings, ids: list[int] | None = None) -> Outcome:
    """Send queued messages (only `ids`, when given). A sent message is deleted: the outbox keeps no copy of what
    was sent or to whom. A message the server refuses is marked and the rest still go; if the connection fails,
    what is left waits for the next try."""
    with sessions() as session:
        query = select(OutboxMessage.id).order_by(OutboxMessage.id)
        if ids is not None:
            if not ids:
                return Outcome(0, 0)
            query = query.where(OutboxMessage.id.in_(ids))
        given_up = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.attempts >= MAX_ATTEMPTS)
        )
        pending = list(session.scalars(query.where(OutboxMessage.attempts < MAX_ATTEMPTS)))
        if not pending:
            return Outcome(0, 0, given_up)
        try:
            smtp = _connect(settings)
        except (OSError, smtplib.SMTPException) as error:
            _failed(session, pending, error)
            return Outcome(0, len(pending), given_up)
        sent = 0
        try:
            for position, message_id in enumerate(pending):
                if not _claim(session, message_id, utcnow()):
                    continue
                message = session.get(OutboxMessage, message_id)
                if message is None:  # sent by the other sender between our list and our claim
                    continue
                try:
                    smtp.send_message(_email(settings, message))
                except smtplib.SMTPServerDisconnected as error:
                    _failed(session, pending[position:], error)
                    break
                except smtplib.SMTPException as error:
                    # Refused for this message only (its address, its content): the others still go.
                    _failed(session, [message_id], error)
                    continue
                except OSError as error:  # after SMTPException, which is one: the connection itself failed
                    _failed(session, pending[position:], error)
                    break
                session.delete(message)
                session.commit()
                sent += 1
        finally:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.quit()
        waiting = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.id.in_(pending), OutboxMessage.attempts < MAX_ATTEMPTS)
        )
        return Outcome(sent, waiting, given_up)


def _failed(session: Session, message_ids: list[int], error: Exception) -> None:
    session.rollback()
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids))
        .values(
            attempts=OutboxMessage.attempts + 1,
            last_attempt_at=utcnow(),
            last_error=f"{type(error).__name__}: {error}"[:200],
            claimed_until=None,
        )
    )
    session.commit()
    # The log says how many and why, never to whom or what.
    log.warning("%d email(s) not sent, kept in the outbox: %s", len(message_ids), type(error).__name__)
