"""The tasks. Each starts work the database records, so a task lost with a worker loses nothing: the outbox keeps
the email, the attendance file's row its bytes and its lease, and the tick's claims their periods."""

from __future__ import annotations

import logging

from flask import current_app
from huey import crontab

from portal.database import database
from portal.tasks import engine, schedule
from portal.tasks.engine import huey
from shared.clock import utcnow
from shared.services import attendance_files, mail

log = logging.getLogger(__name__)


@huey.task(name="send_email")
def send_email(outbox_ids: list[int]) -> None:
    """Send these outbox messages now (they were written with the change they report). What the mail server does not
    take waits in the outbox for the scheduled retry."""
    with engine.app_context():
        mail.send_pending(database().sessionmaker, mail.MailSettings.from_config(current_app.config), outbox_ids)


@huey.task(name="attendance_file")
def attendance_file(import_id: int) -> None:
    """Check, or check and import, a stored attendance file, if no other worker has it."""
    with engine.app_context():
        alive = engine.trusted_alive(utcnow())
        outcome = attendance_files.run(database().sessionmaker, import_id, engine.worker_id(), alive=alive)
        log.info("attendance file %s: %s", import_id, outcome)


@huey.periodic_task(crontab(), name="tick")
def tick() -> None:
    """Every minute, on every worker's scheduler: the scheduled work whose period has come, each done once."""
    with engine.app_context() as app:
        schedule.run_due(app)


def send_mail_later(outbox_ids) -> None:
    """Send these outbox messages in the background, after the request that wrote them has committed."""
    if outbox_ids:
        engine.later(send_email, list(outbox_ids))


def check_attendance_later(import_id: int) -> None:
    """Check or import the file in the background (its row, committed, says which)."""
    engine.later(attendance_file, import_id)
