"""The `cme` command line: database, users, demo data and the server."""

from __future__ import annotations

import os
import signal
import subprocess  # nosec B404: `cme serve --with-worker` runs the service's own commands
import sys
import tempfile
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from portal.cli_common import database_problem
from portal.cli_imports import import_attendance_command, import_group
from portal.cli_reminders import reminders_group
from portal.cli_retention import GROUPS as RETENTION_GROUPS
from portal.cli_schools import schools_group
from portal.cli_security import audit_group, backup, restore
from portal.cli_term_dates import term_dates_group
from portal.database import database
from portal.schema import upgrade_database
from portal.tasks.worker import worker
from shared.domain.problems import Refused
from shared.domain.roles import Role
from shared.services import users as user_service

db_group = AppGroup("db", help="Manage the database schema.")


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Build or upgrade the schema to the latest migration."""
    try:
        upgrade_database(current_app.config["DATABASE_URL"], revision)
    except SQLAlchemyError as error:
        raise database_problem(error, hint="is the database server running?") from None
    click.echo(f"Database upgraded to {revision}.")


users_group = AppGroup("users", help="Manage user accounts.")


@users_group.command("create")
@click.argument("email")
@click.option("--role", required=True, help=f"One of: {', '.join(r.value for r in Role)}.")
@click.option("--name", required=True, help="The person's full name.")
@click.option("--school", "school_urn", type=int, help="URN of the school (school users only).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(email: str, role: str, name: str, school_urn: int | None, password_stdin: bool) -> None:
    """Create a user who can sign in."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with database().session() as session:
        try:
            user = user_service.create_user(
                session, email, name, role, password, school_urn, actor_label="command line"
            )
        except user_service.UserError as error:
            raise click.ClickException(str(error)) from None
        except SQLAlchemyError as error:
            raise database_problem(error) from None
    click.echo(f"Created {user.role} {user.email}.")


@users_group.command("invite")
@click.argument("email")
@click.option("--role", required=True, help=f"One of: {', '.join(r.value for r in Role)}.")
@click.option("--name", required=True, help="The person's full name.")
@click.option("--school", "school_urn", help="URN of the school (school users only).")
@click.option(
    "--print-link",
    is_flag=True,
    help="Also print the link (for a first administrator where email is not set up yet); it works once.",
)
def users_invite(email: str, role: str, name: str, school_urn: str | None, print_link: bool) -> None:
    """Invite a user: they are emailed a one-time link to choose their password (as Invite a user at /admin/)."""
    from shared.services import invitations, mail

    config = current_app.config
    with database().session() as session:
        try:
            invited = invitations.invite(
                session,
                email=email,
                name=name,
                role=role,
                school_urn=school_urn,
                actor=None,
                actor_label="command line",
                service_url=config["SERVICE_URL"],
                period=config["INVITATION_PERIOD"],
            )
        except Refused as refused:
            raise click.ClickException(str(refused)) from None
        except SQLAlchemyError as error:
            raise database_problem(error) from None
        expires = invitations.plain_time(invited.invitation.expires_at)
        message_id = invited.message.id
    outcome = mail.send_pending(database().sessionmaker, mail.MailSettings.from_config(config), [message_id])
    sent = "emailed" if outcome.sent else "queued (not sent yet: run `cme mail send`)"
    click.echo(f"Invited {role} {invited.user.email}: the link is {sent}. It works once, until {expires}.")
    if print_link:
        click.echo(invited.link)


@users_group.command("reset-two-factor")
@click.argument("email")
def users_reset_two_factor(email: str) -> None:
    """Forget a staff user's authenticator app and recovery codes, and end their sessions (a lost phone)."""
    from shared.services import two_factor

    with database().session() as session:
        try:
            user = two_factor.reset_for_email(session, email, actor_label="command line")
        except user_service.UserError as error:
            raise click.ClickException(str(error)) from None
        except SQLAlchemyError as error:
            raise database_problem(error) from None
        click.echo(
            f"Two-factor sign-in reset for {user.email}: "
            "they set up their authenticator app again when they next sign in."
        )


demo_group = AppGroup("demo", help="Demonstration data for a fictional authority.")


@demo_group.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing (and say so) if the database already has users.")
def demo_seed(if_empty: bool) -> None:
    """Fill an empty database with a fictional authority's schools, users, children and cases."""
    if current_app.config["CME_ENV"] == "production":
        raise click.ClickException("Demo data is never loaded in production")
    try:
        credentials = _seed(if_empty)
    except SQLAlchemyError as error:
        raise database_problem(error) from None
    if credentials is None:
        click.echo("The database already has data: demo data not loaded.")
        return
    click.echo("Demo data loaded. Sign in with these accounts (shown only this once):")
    for email, role, password in credentials:
        click.echo(f"  {role:<8} {email:<40} {password}")


def _seed(if_empty: bool) -> list | None:
    """The accounts made, or None when the database has data and --if-empty was given. The demo schools get the
    term's attendance so far too, imported as a school's file is (so the pages have marks and the queue alerts)."""
    from shared.clock import uk_today
    from shared.demo import seeding
    from shared.domain.settings import defaults
    from shared.importers.attendance_checked import FileRejected
    from shared.services import settings
    from shared.services.attendance import ImportRefused
    from shared.services.calendar import school_calendar

    with database().session() as session:
        calendar = school_calendar(session)
        if seeding.has_data(session):
            if if_empty:
                return None
            raise click.ClickException("The database already has data: demo data goes into an empty database")
        la_code = settings.current(session, defaults(current_app.config)).authority_la_code
        credentials = seeding.seed(session, la_code=la_code, calendar=calendar)
        try:
            with tempfile.TemporaryDirectory() as folder:
                seeding.seed_demo_attendance(session, calendar, uk_today(), Path(folder))
        except (FileRejected, ImportRefused) as refused:  # the rest of the demo is there: say so, and go on
            click.echo(f"The demo's attendance could not be imported: {refused}", err=True)
        return credentials


@demo_group.command("attendance")
@click.option("--pupils", type=click.IntRange(min=0), default=1000, show_default=True, help="Pupils to generate.")
@click.option("--days", type=click.IntRange(min=1), default=65, show_default=True, help="School days of marks.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True, path_type=Path),
    default="-",
    show_default=True,
    help="The CSV file to write ('-': standard output).",
)
@click.option("--seed", type=int, default=None, help="The same seed gives the same file.  [default: fixed]")
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The first school day (YYYY-MM-DD).  [default: the start of the latest term with DAYS school days past]",
)
@click.option(
    "--import",
    "then_import",
    is_flag=True,
    help="Then import the file, as `cme import attendance` does (into the register's schools).",
)
@click.pass_context
def demo_attendance(
    context: click.Context, pupils: int, days: int, out: Path, seed: int | None, start, then_import: bool
) -> None:
    """Write a realistic attendance CSV (the import's format) for PUPILS pupils over DAYS school days, spread
    over the open schools in the register; with --import, import it too."""
    if not then_import:
        _write_demo_attendance(pupils, days, out, seed, start)
    elif out != Path("-"):
        _write_demo_attendance(pupils, days, out, seed, start)
        context.invoke(import_attendance_command, file=out, skip_bad_lines=False)
    else:  # a file only while it is imported
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "attendance.csv"
            _write_demo_attendance(pupils, days, path, seed, start, say_where=False)
            context.invoke(import_attendance_command, file=path, skip_bad_lines=False)


def _write_demo_attendance(pupils: int, days: int, out: Path, seed: int | None, start, say_where: bool = True):
    from shared.clock import uk_today
    from shared.demo import marks as generator
    from shared.services.calendar import school_calendar

    with database().session() as session:
        calendar = school_calendar(session)
    seed = generator.SEED if seed is None else seed
    try:
        first = start.date() if start else generator.latest_term_start(calendar, days, uk_today())
        dates = generator.school_days_from(calendar, first, days)
        with database().session() as session:
            schools = generator.schools_in(session)
        if out == Path("-"):
            written = generator.write_attendance(sys.stdout, schools=schools, days=dates, pupils=pupils, seed=seed)
            sys.stdout.flush()
        else:
            with out.open("w", encoding="utf-8", newline="") as stream:
                written = generator.write_attendance(stream, schools=schools, days=dates, pupils=pupils, seed=seed)
    except generator.GeneratorError as error:
        raise click.ClickException(str(error)) from None
    except SQLAlchemyError as error:
        raise database_problem(error) from None
    where = f", to {out}" if say_where and out != Path("-") else ""
    click.echo(
        f"Wrote {written.rows:,} marks for {written.pupils:,} pupils at {written.schools:,} schools, "
        f"{written.first_day.isoformat()} to {written.last_day.isoformat()}{where}.",
        err=True,
    )


mail_group = AppGroup("mail", help="Email waiting in the outbox.")


@mail_group.command("send")
def mail_send() -> None:
    """Send email still waiting in the outbox (for example after the mail server was down), over SMTP or through
    GOV.UK Notify when NOTIFY_API_KEY is set."""
    from shared.services import mail

    settings = mail.MailSettings.from_config(current_app.config)
    try:
        outcome = mail.send_pending(database().sessionmaker, settings)
    except SQLAlchemyError as error:
        raise database_problem(error) from None
    click.echo(f"Sent {outcome.sent} email(s) through {settings.transport}; {outcome.waiting} still waiting.")
    if outcome.given_up:
        click.echo(
            f"{outcome.given_up} email(s) refused {mail.MAX_ATTEMPTS} times are no longer tried: "
            "see last_error in the outbox_messages table."
        )
    if outcome.waiting or outcome.given_up:
        raise SystemExit(1)


reports_group = AppGroup("reports", help="Reports from the public.")


@reports_group.command("purge-drafts")
def reports_purge_drafts() -> None:
    """Delete unsent drafts and confirmation receipts past their time (saved drafts: 7 days)."""
    from shared.clock import utcnow
    from shared.services import reports

    try:
        with database().session() as session:
            deleted = reports.purge_expired(session, utcnow())
            session.commit()
    except SQLAlchemyError as error:
        raise database_problem(error) from None
    click.echo(f"Deleted {deleted} expired draft(s).")


MAX_DEFAULT_WORKERS = 8
# Seconds: a worker silent for longer is killed and replaced; on a restart, how long requests get to finish.
WORKER_TIMEOUT, GRACEFUL_TIMEOUT = 60, 30


def worker_count(requested: int | None, rate_limit_storage: str, cores: int) -> int:
    """Gunicorn workers: 2 per core + 1 (at most 8: more processes on one server mostly add memory and database
    connections), but one when rate limits are kept in memory, because each process would keep its own count and
    multiply the sign-in limit."""
    if rate_limit_storage.startswith("memory"):
        return 1
    return requested or min(cores * 2 + 1, MAX_DEFAULT_WORKERS)


def usable_cores() -> int:
    """The cores this process may run on (a container or `taskset` can give it fewer than the machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def gunicorn_argv(host: str, port: int, workers: int, forwarded_allow_ips: str, log_format: str) -> list[str]:
    """The gunicorn command `cme serve` runs. Sync workers: pages are CPU-bound template rendering, which
    threads would share one core for (docs/deployment.md). No gunicorn access log: the app writes its own
    access line, with the request id and without the query string or the client's address."""
    argv = [
        "gunicorn",
        "--no-control-socket",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--timeout",
        str(WORKER_TIMEOUT),
        "--graceful-timeout",
        str(GRACEFUL_TIMEOUT),
        "--forwarded-allow-ips",
        forwarded_allow_ips,
    ]
    if log_format == "json":
        argv += ["--logger-class", "portal.logs.GunicornLogger"]
    return [*argv, "wsgi:create_app()"]


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--dev", is_flag=True, help="Flask's development server with reloading, not gunicorn.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Gunicorn worker processes (default: CME_WORKERS, or 2 per core + 1, at most 8).",
)
@click.option(
    "--with-worker",
    is_flag=True,
    help="Run the background worker (`cme worker`) beside the web server: one command, one Ctrl-C (`make run`).",
)
def serve(host: str, port: int, dev: bool, workers: int | None, with_worker: bool) -> None:
    """Serve the service."""
    app: Flask = current_app._get_current_object()
    if with_worker:
        argv = [arg for arg in sys.argv[1:] if arg != "--with-worker"]
        raise SystemExit(run_together([_cme(*argv), _cme("worker")]))
    if dev:
        # Bandit's B201 (the debugger) is wanted here: only `cme serve --dev`, on a developer's own machine.
        app.run(host=host, port=port, debug=True, use_reloader=True)  # nosec B201
        return
    storage = app.config["RATELIMIT_STORAGE_URI"]
    count = worker_count(workers or app.config["WORKERS"], storage, usable_cores())
    if count == 1 and storage.startswith("memory"):
        click.echo(
            "One worker process, since rate limits are kept in memory: set RATELIMIT_STORAGE_URI to a "
            "redis:// address to run more."
        )
    argv = gunicorn_argv(host, port, count, app.config["FORWARDED_ALLOW_IPS"], app.config["LOG_FORMAT"])
    # Bandit's B606: a fixed argv, no shell; this process becomes gunicorn.
    os.execvp(sys.executable, [sys.executable, "-m", *argv])  # noqa: S606  # nosec B606


def _cme(*args: str) -> list[str]:
    """The `cme` command line again, in a process of its own."""
    return [sys.executable, "-c", "import wsgi; wsgi.main()", *args]


def run_together(commands: list[list[str]]) -> int:
    """Run the commands side by side until one ends or Ctrl-C (or SIGTERM) comes, then stop the others the way
    systemd would (SIGTERM, then SIGKILL after 40 seconds). Returns the first to end's status."""
    processes = [subprocess.Popen(command) for command in commands]  # noqa: S603  # nosec B603: our own argv

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    status = 0
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.2)  # nosec: a parent waiting on its children
        status = next(process.returncode for process in processes if process.returncode is not None)
    except KeyboardInterrupt:
        pass  # Ctrl-C reached every process of the terminal's group; SIGTERM reached this one only
    finally:
        signal.signal(signal.SIGTERM, previous)
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
    return status


def register(app: Flask) -> None:
    for group in (
        db_group,
        users_group,
        demo_group,
        mail_group,
        reports_group,
        import_group,
        schools_group,
        reminders_group,
        term_dates_group,
        audit_group,
        backup,
        restore,
        *RETENTION_GROUPS,
        serve,
        worker,
    ):
        app.cli.add_command(group)
