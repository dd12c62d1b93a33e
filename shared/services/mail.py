"""Email through SMTP, or through GOV.UK Notify when an API key is configured. Messages are written to the outbox in
the same transaction as the change they report, and sent after it commits: a mail server (or Notify) that is down
delays an email but never loses a report."""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid

from notifications_python_client.errors import APIError, InvalidResponse
from notifications_python_client.notifications import NotificationsAPIClient
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from shared.clock import utcnow
from shared.db import rows_changed
from shared.models import OutboxMessage

log = logging.getLogger(__name__)

NOTIFY_API_URL = "https://api.notifications.service.gov.uk"


@dataclass(frozen=True)
class MailSettings:
    server: str
    port: int
    use_tls: bool
    username: str | None
    password: str | None
    sender: str
    timeout: float = 10.0
    # GOV.UK Notify, used instead of SMTP when the key is set: one Notify email template whose subject is
    # ((subject)) and body ((body)) carries every email, written here from shared/templates/email.
    notify_api_key: str | None = field(default=None, repr=False)
    notify_template_id: str | None = None
    notify_reply_to_id: str | None = None
    notify_base_url: str = NOTIFY_API_URL

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
            notify_api_key=config.get("NOTIFY_API_KEY") or None,
            notify_template_id=config.get("NOTIFY_TEMPLATE_ID") or None,
            notify_reply_to_id=config.get("NOTIFY_EMAIL_REPLY_TO_ID") or None,
            notify_base_url=config.get("NOTIFY_BASE_URL") or NOTIFY_API_URL,
        )

    @property
    def uses_notify(self) -> bool:
        return bool(self.notify_api_key)

    @property
    def transport(self) -> str:
        """How email goes, in words for people (never the key or the password)."""
        if self.uses_notify:
            return "GOV.UK Notify"
        return f"SMTP server {self.server}:{self.port}"


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


class _Refused(Exception):
    """This message was refused (its address, its content): it is marked, and the others still go."""


class _Unavailable(Exception):
    """The mail server or Notify cannot take email now: this message and the rest wait for the next try."""


Send = Callable[[OutboxMessage], None]


@contextlib.contextmanager
def _smtp(settings: MailSettings) -> Iterator[Send]:
    try:
        smtp = _connect(settings)
    except (OSError, smtplib.SMTPException) as error:
        raise _Unavailable(error) from error

    def send(message: OutboxMessage) -> None:
        try:
            smtp.send_message(_email(settings, message))
        except smtplib.SMTPServerDisconnected as error:
            raise _Unavailable(error) from error
        except smtplib.SMTPException as error:
            raise _Refused(error) from error
        except OSError as error:  # after SMTPException, which is one: the connection itself failed
            raise _Unavailable(error) from error

    try:
        yield send
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.quit()


class NotifyError(Exception):
    """What Notify answered, without the address or the email (its own message says which field was wrong)."""

    def __init__(self, error: APIError):
        message = error.message
        if isinstance(message, list):  # Notify's errors: [{"error": "BadRequestError", "message": "..."}]
            message = "; ".join(
                str(item.get("message", item)) if isinstance(item, dict) else str(item) for item in message
            )
        super().__init__(f"{error.status_code} {message}")
        self.status_code = error.status_code


@contextlib.contextmanager
def _notify(settings: MailSettings) -> Iterator[Send]:
    if not settings.notify_template_id:  # every email would be refused: keep them until it is set
        raise _Unavailable(ValueError("NOTIFY_TEMPLATE_ID is not set"))
    try:
        client = NotificationsAPIClient(
            settings.notify_api_key, base_url=settings.notify_base_url, timeout=settings.timeout
        )
    except AssertionError as error:  # the client's own check of the key's shape (service ID and secret)
        raise _Unavailable(ValueError("NOTIFY_API_KEY is not a GOV.UK Notify API key")) from error

    def send(message: OutboxMessage) -> None:
        try:
            client.send_email_notification(
                email_address=message.to_address,
                template_id=settings.notify_template_id,
                personalisation={"subject": message.subject, "body": message.body},
                reference=str(message.id),
                email_reply_to_id=settings.notify_reply_to_id,
            )
        except InvalidResponse:
            # Notify accepted it (2xx) but its answer could not be read: the email is on its way, and sending it
            # again would send it twice.
            return
        except APIError as error:
            if error.status_code == 400:  # this address or this email: the others still go
                raise _Refused(NotifyError(error)) from error
            # 403 (the key), 429 (the rate limit), 5xx and connection failures (reported as 503): nothing more
            # goes through Notify until the next try.
            raise _Unavailable(NotifyError(error)) from error

    yield send


MAX_ATTEMPTS = 10  # then a person looks at it: `cme mail send` lists what it gave up on
CLAIM = timedelta(minutes=5)  # long enough to send one message, so two senders never send the same one


@dataclass(frozen=True)
class Outcome:
    sent: int
    waiting: int
    given_up: int = 0


def _claim(session: Session, message_id: int, now: datetime) -> bool:
    """Take one message for this sender; False if another sender (the request's thread, `cme mail send`) has it."""
    claimed = rows_changed(
        session,
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .values(claimed_until=now + CLAIM),
    )
    session.commit()
    return claimed == 1


def outbox_counts(session: Session) -> tuple[int, int]:
    """Emails waiting in the outbox, and those refused MAX_ATTEMPTS times and no longer tried."""
    given_up = OutboxMessage.attempts >= MAX_ATTEMPTS
    waiting, refused = session.execute(
        select(func.count().filter(~given_up), func.count().filter(given_up)).select_from(OutboxMessage)
    ).one()
    return waiting, refused


def send_pending(sessions: sessionmaker, settings: MailSettings, ids: list[int] | None = None) -> Outcome:
    """Send queued messages (only `ids`, when given) over SMTP, or through GOV.UK Notify when its key is set. A sent
    message is deleted: the outbox keeps no copy of what was sent or to whom. A message the server or Notify
    refuses is marked and the rest still go; if the connection fails (or Notify refuses the key, is busy or down),
    what is left waits for the next try."""
    with sessions() as session:
        query = select(OutboxMessage.id).order_by(OutboxMessage.id)
        if ids is not None:
            if not ids:
                return Outcome(0, 0)
            query = query.where(OutboxMessage.id.in_(ids))
        given_up = outbox_counts(session)[1]
        pending = list(session.scalars(query.where(OutboxMessage.attempts < MAX_ATTEMPTS)))
        if not pending:
            return Outcome(0, 0, given_up)
        transport = _notify(settings) if settings.uses_notify else _smtp(settings)
        sent = 0
        try:
            with transport as send:
                for position, message_id in enumerate(pending):
                    if not _claim(session, message_id, utcnow()):
                        continue
                    message = session.get(OutboxMessage, message_id)
                    if message is None:  # sent by the other sender between our list and our claim
                        continue
                    try:
                        send(message)
                    except _Refused as refused:
                        _failed(session, [message_id], refused.args[0])
                        continue
                    except _Unavailable as unavailable:
                        _failed(session, pending[position:], unavailable.args[0])
                        break
                    session.delete(message)
                    session.commit()
                    sent += 1
        except _Unavailable as unavailable:  # could not connect at all: everything waits
            _failed(session, pending, unavailable.args[0])
            return Outcome(0, len(pending), given_up)
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
