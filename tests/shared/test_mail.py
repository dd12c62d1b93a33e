"""The outbox: every email goes once, a refused one does not hold up the rest, and nothing is sent twice."""

from __future__ import annotations

import socket
import threading

from aiosmtpd.controller import Controller
from sqlalchemy import select

from shared.models import OutboxMessage
from shared.services import mail
from tests.conftest import _SMTP, Mailbox


class RefusingMailbox(Mailbox):
    """A mail server that refuses any message to refused@example.com after accepting its recipient."""

    async def handle_DATA(self, server, session, envelope):
        if "refused@example.com" in envelope.rcpt_tos:
            return "554 Message rejected"
        return await super().handle_DATA(server, session, envelope)


def settings(port: int) -> mail.MailSettings:
    return mail.MailSettings("127.0.0.1", port, False, None, None, "cme-service@northbridge.example")


def queue(database, *addresses: str) -> None:
    with database.session() as session:
        for address in addresses:
            mail.queue(session, address, f"To {address}", "Body")
        session.commit()


def test_a_message_the_server_refuses_does_not_hold_up_the_others(app):
    database = app.extensions["cme.database"]
    handler = RefusingMailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        queue(database, "refused@example.com", "lead@northbridge.example", "jo@example.com")
        outcome = mail.send_pending(database.sessionmaker, settings(port))
    finally:
        controller.stop()
    assert outcome == mail.Outcome(sent=2, waiting=1, given_up=0)
    assert sorted(message["To"] for message in handler.wait_for(2)) == ["jo@example.com", "lead@northbridge.example"]
    with database.session() as session:
        [left] = session.scalars(select(OutboxMessage)).all()
        assert (left.to_address, left.attempts, left.claimed_until) == ("refused@example.com", 1, None)
        assert left.last_error.startswith("SMTPDataError: (554")


def test_two_senders_at_once_send_each_message_once(app, mailbox):
    database = app.extensions["cme.database"]
    queue(database, *(f"person{n}@example.com" for n in range(8)))
    start = threading.Barrier(2)
    outcomes = []

    def sender():
        start.wait()
        outcomes.append(mail.send_pending(database.sessionmaker, settings(_SMTP["port"])))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(outcome.sent for outcome in outcomes) == 8
    assert sorted(message["To"] for message in mailbox.wait_for(8)) == sorted(
        f"person{n}@example.com" for n in range(8)
    )
    with database.session() as session:
        assert session.scalars(select(OutboxMessage)).all() == []


def test_a_message_refused_ten_times_is_given_up_and_cme_mail_send_says_so(app, mailbox):
    database = app.extensions["cme.database"]
    queue(database, "someone@example.com")
    with database.session() as session:
        session.scalars(select(OutboxMessage)).one().attempts = mail.MAX_ATTEMPTS
        session.commit()
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 1
    assert result.output == (
        f"Sent 0 email(s) through SMTP server 127.0.0.1:{_SMTP['port']}; 0 still waiting.\n"
        "1 email(s) refused 10 times are no longer tried: see last_error in the outbox_messages table.\n"
    )
    assert mailbox.messages == []


def test_when_the_mail_server_is_down_everything_waits(app):
    database = app.extensions["cme.database"]
    queue(database, "a@example.com", "b@example.com")
    assert mail.send_pending(database.sessionmaker, settings(1)) == mail.Outcome(sent=0, waiting=2, given_up=0)
    with database.session() as session:
        assert [message.attempts for message in session.scalars(select(OutboxMessage))] == [1, 1]
