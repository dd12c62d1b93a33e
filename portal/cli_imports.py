"""`cme import ...`: loading reference files into the service."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from portal.cli_common import database_problem
from portal.database import database
from shared import queries
from shared.clock import long_date, uk_today, utcnow
from shared.domain.settings import defaults
from shared.importers.attendance_checked import FileRejected
from shared.importers.gias import GiasError, read_establishments
from shared.services import attendance as attendance_service
from shared.services import mail, settings
from shared.services import uploads as upload_service
from shared.services.calendar import school_calendar
from shared.services.schools import import_schools

import_group = AppGroup("import", help="Load reference files, such as the schools register from GIAS.")


@import_group.command("schools")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
def import_schools_command(file: Path) -> None:
    """Add or update schools from the GIAS establishment CSV (FILE), matching them by URN.

    Download the CSV from Get Information About Schools ("Establishment fields"). The whole file is stored in
    one transaction: if any row is bad, nothing is stored."""
    try:
        with file.open("rb") as stream, database().session() as session:
            summary = import_schools(session, read_establishments(stream), actor_label="command line", source=file.name)
    except GiasError as error:
        raise click.ClickException(f"{error}\nNothing was imported.") from None
    except SQLAlchemyError as error:
        raise database_problem(error, then="Nothing was imported.") from None
    click.echo(
        f"Imported {summary.total} schools: {summary.created} created, {summary.updated} updated, "
        f"{summary.unchanged} unchanged."
    )


NOTHING_STORED = "Nothing was stored."


@import_group.command("notices")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option("--school", "urn", type=int, required=True, help="URN of the school the notices are from.")
@click.option("--as", "email", required=True, help="Email address of the school's user the notices are sent as.")
@click.option(
    "--ground",
    default="",
    help="For a Common Transfer File: the ground for removal of leavers whose next school is not known "
    f"({', '.join(ground.code for ground in upload_service.CTF_GROUNDS)}).",
)
@click.option("--enquiries", default="", help="The enquiries made by the school and the authority (grounds h and i).")
@click.option("--yes", is_flag=True, help="Send without asking, once the problems are shown.")
def import_notices_command(file: Path, urn: int, email: str, ground: str, enquiries: str, yes: bool) -> None:
    """Send a school's notices from a CSV file or a Common Transfer File (FILE), as the web upload does.

    Every problem is shown with its line. The valid notices are stored in one transaction, routed to the CME
    team or attached to open cases, and acknowledged by email to the user; rows with problems are not sent."""
    try:
        data = file.read_bytes()
    except OSError as error:
        raise click.ClickException(f"The file could not be read ({error.strerror}). {NOTHING_STORED}") from None
    try:
        with database().session() as session:
            sent = _import_notices(session, file.name, data, urn, email, ground, enquiries, yes)
    except SQLAlchemyError as error:
        raise database_problem(error, then=NOTHING_STORED) from None
    if sent.outbox_ids:  # the notices are stored: an email that cannot go yet waits in the outbox
        try:
            outcome = mail.send_pending(
                database().sessionmaker, mail.MailSettings.from_config(current_app.config), list(sent.outbox_ids)
            )
            delivered = outcome.sent == len(sent.outbox_ids)
        except SQLAlchemyError:
            delivered = False
        if not delivered:
            click.echo("The acknowledgement email could not be sent yet: `cme mail send` will try again.")


def _import_notices(session, file_name: str, data: bytes, urn: int, email: str, ground: str, enquiries: str, yes):
    school = queries.school_by_urn(session, urn)
    if school is None:
        raise click.ClickException(f"No school with URN {urn} is in the schools register. {NOTHING_STORED}")
    user = queries.active_school_user(session, school.id, email)
    if user is None:
        raise click.ClickException(
            f"{email} is not an active user of {school.name} (URN {urn}): notices are sent as one of the school's "
            f"users. {NOTHING_STORED}"
        )
    try:
        options = upload_service.ctf_options(ground, enquiries)
        upload = upload_service.store_upload(session, school, user, file_name, data, utcnow(), uk_today(), options)
    except upload_service.UploadRefused as refused:
        raise click.ClickException("\n".join([*refused.messages, NOTHING_STORED])) from None

    absence_is_cme = settings.current(session, defaults(current_app.config)).long_absence_is_cme
    preview = upload_service.preview_upload(session, upload, uk_today(), absence_is_cme=absence_is_cme)
    for problem in preview.problems:
        click.echo(str(problem))
    count = len(preview.notices)
    refused_rows = preview.rows_with_problems
    click.echo(
        f"{count:,} {_notices(count)} can be sent ({preview.to_cme:,} for the CME team to act on); "
        f"{refused_rows:,} {'row has' if refused_rows == 1 else 'rows have'} problems and will not be sent."
    )
    if not count:
        upload_service.discard_upload(session, upload)
        raise click.ClickException(f"No notices in the file can be sent. {NOTHING_STORED}")
    if not yes and not click.confirm(f"Send {count:,} {_notices(count)} from {school.name} as {user.email}?"):
        upload_service.discard_upload(session, upload)
        raise click.ClickException(NOTHING_STORED)

    with click.progressbar(length=count, label="Storing notices") as bar:

        def progress(done: int) -> None:
            bar.update(done - bar.pos)

        try:
            sent = upload_service.confirm_upload(
                session,
                upload,
                user,
                utcnow(),
                uk_today(),
                school_calendar(session).add_school_days,
                current_app.config["SERVICE_URL"],
                expected=count,
                progress=progress,
                absence_is_cme=absence_is_cme,
            )
        except (upload_service.PreviewChanged, upload_service.NothingToSend):
            upload_service.discard_upload(session, upload)
            raise click.ClickException(
                f"The file's notices changed while it was being read. {NOTHING_STORED}"
            ) from None
    click.echo(
        f"Stored {len(sent.references):,} {_notices(len(sent.references))}"
        + (f" in batch {sent.batch_reference}" if sent.batch_reference else f": {sent.references[0]}")
        + "."
    )
    click.echo(f"Routed to the CME team: {sent.routed:,}")
    click.echo(f"Attached to open cases: {sent.attached:,}")
    click.echo(f"Late joiners (more than 5 school days): {sent.late:,}")
    click.echo(f"Rows refused: {refused_rows:,}")
    return sent


def _notices(count: int) -> str:
    return "notice" if count == 1 else "notices"


NOTHING_IMPORTED = "Nothing was imported."
PROBLEMS_SHOWN = 50


@import_group.command("attendance")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option(
    "--skip-bad-lines", is_flag=True, help="Import the file without the lines that have problems (they are listed)."
)
def import_attendance_command(file: Path, skip_bad_lines: bool) -> None:
    """Import pupils' attendance marks from a CSV file (FILE), one row per pupil per session, as
    docs/attendance-file.md describes.

    The whole file is checked first and every problem listed by its line. If any line has a problem, nothing is
    imported unless --skip-bad-lines is given. The marks a school already has on the dates the file covers for it
    are replaced by the file's, never added to; the file is imported in one transaction."""
    try:
        with file.open("rb") as stream, database().session() as session:
            calendar = school_calendar(session)
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b"")) + 1
            stream.seek(0)
            with click.progressbar(length=lines, label="Checking the file") as bar:
                checked = attendance_service.check_file(session, stream, calendar=calendar, progress=_follow(bar))
            _show_problems(checked)
            if checked.problem_count and not skip_bad_lines:
                bad = checked.bad_lines
                raise click.ClickException(
                    f"{bad:,} {'line has' if bad == 1 else 'lines have'} problems: fix them and import the file "
                    f"again, or use --skip-bad-lines to import the other lines. {NOTHING_IMPORTED}"
                )
            with click.progressbar(length=checked.lines, label="Importing the marks") as bar:
                summary = attendance_service.import_marks(
                    session,
                    checked,
                    actor=None,
                    actor_label="command line",
                    skip_bad_lines=skip_bad_lines,
                    today=uk_today(),
                    calendar=calendar,
                    progress=_follow(bar),
                )
    except FileRejected as error:
        message = str(error)
        if NOTHING_IMPORTED.lower() not in message.lower():
            message = f"{message}. {NOTHING_IMPORTED}"
        raise click.ClickException(message) from None
    except attendance_service.NothingToImport as error:
        raise click.ClickException(f"{error}. {NOTHING_IMPORTED}") from None
    except OSError as error:
        raise click.ClickException(f"The file could not be read ({error.strerror}). {NOTHING_IMPORTED}") from None
    except SQLAlchemyError as error:
        raise database_problem(error, then=NOTHING_IMPORTED) from None
    schools, pupils = summary.schools, summary.pupils
    click.echo(
        f"Imported {summary.marks:,} {'mark' if summary.marks == 1 else 'marks'} for {pupils:,} "
        f"{'pupil' if pupils == 1 else 'pupils'} at {schools:,} {'school' if schools == 1 else 'schools'}, "
        f"from {long_date(summary.first_date)} to {long_date(summary.last_date)}."
    )
    click.echo(f"Marks replaced: {summary.marks_replaced:,}")
    click.echo(f"Lines skipped: {summary.lines_skipped:,}")
    click.echo(f"Alerts raised: {summary.alerts:,}")


def _follow(bar):
    """A progress callback moving the bar to `done` (the bar's length is the file's lines)."""

    def progress(done: int) -> None:
        bar.update(max(0, min(done, bar.length) - bar.pos))

    return progress


def _show_problems(checked) -> None:
    for problem in checked.problems[:PROBLEMS_SHOWN]:
        click.echo(str(problem))
    more = checked.problem_count - min(len(checked.problems), PROBLEMS_SHOWN)
    if more:
        click.echo(f"... and {more:,} more {'problem' if more == 1 else 'problems'}")
