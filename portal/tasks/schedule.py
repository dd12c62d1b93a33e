"""The worker's scheduled work, instead of cron: digests, reminders, mail retries, purges, the retention run and the
term dates check.

Every worker's scheduler queues a tick each minute (portal/tasks/work.py). A tick asks each piece of work for its
current period (a day once its time has come, an hour, five minutes) and claims that period in the database, a
`scheduled_runs` row that one worker inserts (shared/services/scheduled_runs.py): however many workers tick, each
period's work is done once. A run whose worker died before it finished is taken again once its lease runs out. A
worker that was stopped at the time catches up when it starts: the day's digests go when it does.

The times of day are read from the environment when the worker starts (CME_DIGESTS_AT and the others, UK time:
config.SCHEDULE_TIMES); docs/deployment.md lists them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from portal.database import database
from portal.tasks import engine
from shared.clock import UK, utcnow
from shared.domain import term_dates as term_date_rules
from shared.domain.settings import defaults
from shared.domain.terms import RETURN_REMINDER_SCHOOL_DAYS
from shared.services import (
    attendance_files,
    mail,
    reminders,
    reports,
    retention,
    scheduled_runs,
    settings,
    timetables,
    uploads,
)
from shared.services.calendar import school_calendar, term_periods

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    text: str  # what the run did, in words for the admin page and the log
    problem: bool = False  # something a person should look at (the coming term has no dates)


@dataclass(frozen=True)
class Scheduled:
    name: str
    title: str
    run: Callable[[Flask, datetime], Outcome]
    at: str | None = None  # HH:MM, UK time, once a day
    every: timedelta | None = None  # or every so often, from midnight; neither: not scheduled
    lease: timedelta = timedelta(minutes=30)
    setting: str | None = None  # the setting that schedules it, said when it is not

    @property
    def when(self) -> str:
        if self.at:
            return f"Daily at {self.at}"
        if self.every is None:
            return f"Not scheduled: {self.setting} is not set"
        minutes = int(self.every.total_seconds() // 60)
        return "Every minute" if minutes == 1 else "Hourly" if minutes == 60 else f"Every {minutes} minutes"

    @property
    def frequent(self) -> bool:
        return self.every is not None and self.every < timedelta(hours=1)

    def period(self, now: datetime) -> str | None:
        """The period `now` falls in, or None if today's time has not come yet (or the work is not scheduled). A day
        is England's (a time of day in the hour the clocks skip comes at the hour after it); shorter periods are
        counted in UTC, so the hour the clocks go back is not the same periods twice."""
        if self.at is None and self.every is None:
            return None
        if self.at:
            now = now.astimezone(UK)
            hours, minutes = (int(part) for part in self.at.split(":"))
            if (now.hour, now.minute) < (hours, minutes):
                return None
            return now.date().isoformat()
        now = now.astimezone(UTC)
        step = int(self.every.total_seconds() // 60)
        minute_of_day = (now.hour * 60 + now.minute) // step * step
        if step >= 60:
            return f"{now.date().isoformat()}T{minute_of_day // 60:02d}"
        return f"{now.date().isoformat()}T{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


# The work


def _send_mail_later(outbox_ids) -> None:
    from portal.tasks.work import send_mail_later  # work imports this module for its tick

    send_mail_later(outbox_ids)


def _send_waiting_mail(app: Flask, now: datetime) -> Outcome:
    config = mail.MailSettings.from_config(app.config)
    outcome = mail.send_pending(database().sessionmaker, config)
    text = f"Sent {outcome.sent} email(s); {outcome.waiting} still waiting"
    if outcome.given_up:
        text += f"; {outcome.given_up} refused {mail.MAX_ATTEMPTS} times, no longer tried"
    return Outcome(text + ".", problem=bool(outcome.given_up))


def _sweep_attendance(app: Flask, now: datetime) -> Outcome:
    from portal.tasks.work import attendance_file

    with database().sessionmaker() as session:
        stalled = attendance_files.stalled_ids(session, now, engine.trusted_alive(now))
    for import_id in stalled:
        engine.later(attendance_file, import_id)
    if not stalled:
        return Outcome("No attendance file was waiting for a worker.")
    return Outcome(f"Handed on {len(stalled)} attendance file(s) nobody was working on.")


def _digests(app: Flask, now: datetime) -> Outcome:
    today = now.astimezone(UK).date()
    with database().session() as session:
        sent = reminders.send_reminders(session, today, app.config["SERVICE_URL"])
    _send_mail_later(sent.outbox_ids)
    return Outcome(
        f"Sent {sent.officer_digests} officer digest(s) and {sent.overdue_summaries} overdue summary(ies); "
        f"{sent.nothing_due} officer(s) had nothing due; {sent.already_sent} already sent today."
    )


def _return_reminders(app: Flask, now: datetime) -> Outcome:
    today = now.astimezone(UK).date()
    with database().session() as session:
        sent = timetables.send_return_reminders(
            session,
            today,
            now,
            school_calendar(session),
            app.config["SERVICE_URL"],
            reminder_school_days=app.config.get("TIMETABLE_RETURN_REMINDER_SCHOOL_DAYS", RETURN_REMINDER_SCHOOL_DAYS),
        )
    _send_mail_later(sent.outbox_ids)
    if today < sent.schedule.reminders_from:
        return Outcome(f"No schools reminded: reminders about the {sent.schedule.term.label} return start later.")
    return Outcome(f"Reminded {sent.schools} school(s) about the {sent.schedule.term.label} return.")


def _purges(app: Flask, now: datetime) -> Outcome:
    with database().session() as session:
        drafts = reports.purge_expired(session, now)
        notice_files = uploads.purge_uploads(session, now)
        session.commit()
        files = attendance_files.purge(session, now)
        scheduled_runs.purge(session, now, [entry.name for entry in entries(app.config) if entry.frequent])
    return Outcome(
        f"Deleted {drafts} expired report draft(s) and receipt(s) and {notice_files} unsent school upload(s); "
        f"{files} attendance file(s) not imported within a day emptied."
    )


def _retention(app: Flask, now: datetime) -> Outcome:
    with database().session() as session:
        periods = settings.current(session, defaults(app.config)).retention
        report = retention.run(session, periods, now, now.astimezone(UK).date())
    return Outcome(f"Anonymised or deleted {report.total:,} record(s) past their retention period.")


def _term_dates_check(app: Flask, now: datetime) -> Outcome:
    with database().session() as session:
        periods = term_periods(session)
    warning = term_date_rules.coming_term_warning(periods, now.astimezone(UK).date())
    if warning:
        log.warning("term dates: %s", warning)
        return Outcome(warning, problem=True)
    last = max(period.end for period in periods if period.kind == "term")
    return Outcome(f"Term dates are in place until {term_date_rules.day_text(last)}.")


def entries(config) -> list[Scheduled]:
    """The scheduled work, with the times of day the configuration gives."""
    times = config["SCHEDULE_TIMES"]
    return [
        Scheduled(
            "attendance-sweep",
            "Hand on attendance files nobody is working on",
            _sweep_attendance,
            every=timedelta(minutes=1),
            lease=timedelta(seconds=50),
        ),
        Scheduled(
            "mail",
            "Send email still waiting in the outbox",
            _send_waiting_mail,
            every=timedelta(minutes=5),
            lease=timedelta(minutes=4),
        ),
        Scheduled(
            "purges",
            "Delete expired report drafts, unsent uploads and files not imported",
            _purges,
            every=timedelta(hours=1),
        ),
        Scheduled("digests", "Reminder digests to officers, leads and managers", _digests, at=times["digests"]),
        Scheduled(
            "return-reminders",
            "Part-time timetable return reminders to schools",
            _return_reminders,
            at=times["return_reminders"],
        ),
        Scheduled(
            "term-dates-check", "Check the coming term has dates", _term_dates_check, at=times["term_dates_check"]
        ),
        Scheduled(
            "retention",
            "Anonymise or delete what is past its retention period",
            _retention,
            at=times["retention"],
            lease=timedelta(hours=2),
            setting="CME_RETENTION_AT",
        ),
    ]


def run_due(app: Flask, now: datetime | None = None) -> list[str]:
    """Do each piece of scheduled work whose period this worker claims; the names of those it ran. Each claim is
    made at the time it is made (`now`, if given, for all: the tests)."""
    ran = []
    worker = engine.worker_id()
    for entry in entries(app.config):
        moment = now or utcnow()
        period = entry.period(moment)
        if period is None:
            continue
        try:
            with database().sessionmaker() as session:
                if not scheduled_runs.claim(session, entry.name, period, moment, entry.lease, worker):
                    continue
        except SQLAlchemyError:  # the database is down or busy (a long import on SQLite): the next tick tries
            log.warning("scheduled work not claimed: the database could not be used; the next tick tries again")
            break
        failed = False
        try:
            outcome = entry.run(app, moment)
        except Exception as error:
            log.exception("scheduled work %s failed", entry.name)
            failed = True
            outcome = Outcome(f"Failed ({type(error).__name__}): tried again in a few minutes.", problem=True)
        if outcome.problem:
            log.warning("%s: %s", entry.name, outcome.text)
        else:
            log.info("%s: %s", entry.name, outcome.text)
        try:
            with database().sessionmaker() as session:
                scheduled_runs.finish(
                    session,
                    entry.name,
                    period,
                    worker,
                    now or utcnow(),
                    outcome.text,
                    problem=outcome.problem,
                    failed=failed,
                )
        except SQLAlchemyError:
            log.warning("scheduled work %s done but not recorded as done", entry.name)
        ran.append(entry.name)
    return ran
