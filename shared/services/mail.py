"""Email through a real SMTP client. Messages are written to the outbox in the same transaction as the change
they report, and sent after it commits: a mail server that is down delays an email but never loses a report."""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import select
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
    email = EmailMessage()
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


def send_pending(sessions: sessionmaker, settings: MailSettings, ids: list[int] | None = None) -> tuple[int, int]:
    """Send queued messages (only `ids`, when given); returns (sent, still waiting). A sent message is deleted:
    the outbox keeps no copy of what was sent or to whom."""
    with sessions() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if ids is not None:
            if not ids:
                return 0, 0
            query = query.where(OutboxMessage.id.in_(ids))
        messages = list(session.scalars(query))
        if not messages:
            return 0, 0
        try:
            smtp = _connect(settings)
        except (OSError, smtplib.SMTPException) as error:
            _failed(session, messages, error)
            return 0, len(messages)
        sent = 0
        try:
            for position, message in enumerate(messages):
                try:
                    smtp.send_message(_email(settings, message))
                except smtplib.SMTPRecipientsRefused as error:
                    _failed(session, [message], error)
                    continue
                except (OSError, smtplib.SMTPException) as error:
                    # The connection failed part-way: this message and the rest wait for the next try.
                    _failed(session, messages[position:], error)
                    break
                session.delete(message)
                session.commit()
                sent += 1
        finally:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.quit()
        return sent, len(messages) - sent


def _failed(session: Session, messages: list[OutboxMessage], error: Exception) -> None:
    now = utcnow()
    for message in messages:
        message.attempts += 1
        message.last_attempt_at = now
        message.last_error = f"{type(error).__name__}: {error}"[:200]
    session.commit()
    # The log says how many and why, never to whom or what.
    log.warning("%d email(s) not sent, kept in the outbox: %s", len(messages), type(error).__name__)
