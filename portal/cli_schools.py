"""`cme schools ...`: scheduled work for schools."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from portal.database import database
from shared.clock import long_date, uk_today, utcnow
from shared.domain.terms import RETURN_REMINDER_SCHOOL_DAYS
from shared.services import mail
from shared.services.calendar import school_calendar
from shared.services.timetables import send_return_reminders

schools_group = AppGroup("schools", help="Scheduled work for schools, such as part-time timetable return reminders.")


@schools_group.command("remind-returns")
def remind_returns() -> None:
    """Email each school whose part-time timetable return for this term is not made, once reminders are due.

    A school is reminded once a term, from 10 school days before the return is due (the term's last school day),
    so it is safe to run every day. Email the mail server does not take waits for `cme mail send`."""
    config = current_app.config
    today = uk_today()
    try:
        with database().session() as session:
            reminders = send_return_reminders(
                session,
                today,
                utcnow(),
                school_calendar(session),
                config["SERVICE_URL"],
                reminder_school_days=config.get("TIMETABLE_RETURN_REMINDER_SCHOOL_DAYS", RETURN_REMINDER_SCHOOL_DAYS),
            )
    except SQLAlchemyError as error:
        detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise click.ClickException(
            f"The database could not be used ({detail}). Is DATABASE_URL right, and has `cme db upgrade` run?"
        ) from None
    schedule = reminders.schedule
    label, due = schedule.term.label, long_date(schedule.due_on)
    if today < schedule.reminders_from:
        click.echo(
            f"No schools reminded: reminders about the {label} return (due by {due}) start on "
            f"{long_date(schedule.reminders_from)}."
        )
        return
    click.echo(f"Reminded {reminders.schools} school(s) about the {label} return, due by {due}.")
    if reminders.outbox_ids:
        outcome = mail.send_pending(
            database().sessionmaker, mail.MailSettings.from_config(config), list(reminders.outbox_ids)
        )
        waiting = f"; {outcome.waiting} waiting for `cme mail send`" if outcome.waiting else ""
        click.echo(f"Sent {outcome.sent} email(s){waiting}.")
