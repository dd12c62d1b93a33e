"""Email the portal's pages queue: sent after the response, so nobody waits for the mail server."""

from __future__ import annotations

import logging
import threading

from flask import current_app

from portal.database import database
from shared.services import mail

log = logging.getLogger(__name__)


def send_mail_later(outbox_ids: tuple[int, ...]) -> None:
    """Send after the response: nobody waits for the mail server. Anything not sent stays in
    the outbox for `cme mail send`."""
    if not outbox_ids:
        return
    sessions = database().sessionmaker
    settings = mail.MailSettings.from_config(current_app.config)

    def send():
        try:
            mail.send_pending(sessions, settings, list(outbox_ids))
        except Exception:
            log.exception("sending queued email failed")

    threading.Thread(target=send, name="outbox", daemon=True).start()
