"""`cme reminders send`: the daily reminder digests for the CME team."""

from __future__ import annotations

from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from portal.database import database
from shared.clock import uk_today
from shared.services import mail
from shared.services.reminders import send_reminders

reminders_group = AppGroup("reminders", help="Daily reminder emails to the CME team.")


@reminders_group.command("send")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="The day to remind about (YYYY-MM-DD).")
def send(on) -> None:
    """Email each officer their checks due today and overdue, and each lead and manager the overdue work by
    officer. Safe to run more than once a day: nobody gets the same digest twice."""
    today: date = on.date() if on else uk_today()
    config = current_app.config
    try:
        with database().session() as session:
            sent = send_reminders(session, today, config["SERVICE_URL"])
    except SQLAlchemyError as error:
        detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise click.ClickException(
            f"The database could not be used ({detail}). Is DATABASE_URL right, and has `cme db upgrade` run?"
        ) from None
    click.echo(
        f"Sent {sent.officer_digests} officer digest(s) and {sent.overdue_summaries} overdue summary(ies); "
        f"{sent.nothing_due} officer(s) had nothing due; {sent.already_sent} already sent today."
    )
    if sent.outbox_ids:
        outcome = mail.send_pending(
            database().sessionmaker, mail.MailSettings.from_config(config), list(sent.outbox_ids)
        )
        waiting = f"; {outcome.waiting} waiting for `cme mail send`" if outcome.waiting else ""
        click.echo(f"Sent {outcome.sent} email(s){waiting}.")
