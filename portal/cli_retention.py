"""`cme retention run` (what is past its retention period is anonymised or deleted) and `cme sar export` (all
the service holds about one child, for a subject access request). docs/retention.md says when to run them."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from portal.cli_common import database_problem
from portal.database import database
from shared.clock import uk_today, utcnow
from shared.domain.settings import defaults
from shared.services import retention, sar, settings

retention_group = AppGroup("retention", help="Anonymise or delete records past their retention period.")


def _periods_line(periods) -> str:
    age = f", and not before the child is {periods.keep_until_age}" if periods.keep_until_age else ""
    return (
        f"Periods: children {periods.closed_case_years} years after their last case closed{age}; reports, notices "
        f"and alerts without a case {periods.no_case_years} years after the decision; attendance marks "
        f"{periods.attendance_years} years; uploaded files {periods.file_days} days; unsent email "
        f"{periods.outbox_days} days."
    )


def report_table(report: retention.RetentionReport) -> list[str]:
    rows = report.rows()
    heading = "Would be" if report.dry_run else "Done"
    width = max(len(label) for label, _ in rows)
    figures = max(len("Would be"), *(len(f"{count:,}") for _, count in rows))  # the same columns either way
    lines = [f"{'Records':<{width}}  {heading:>{figures}}"]
    lines += [f"{label:<{width}}  {count:>{figures},}" for label, count in rows]
    return [*lines, f"{'Total':<{width}}  {report.total:>{figures},}"]


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="Say what would be anonymised or deleted, and change nothing.")
def retention_run(dry_run: bool) -> None:
    """Anonymise or delete what is past its retention period (the periods set at /admin/settings, which start as
    the CME_RETENTION_* settings). Safe to run again: what is done is not done twice. Run it daily or weekly
    (docs/retention.md)."""
    try:
        with database().session() as session:
            periods = settings.current(session, defaults(current_app.config)).retention
            report = retention.run(session, periods, utcnow(), uk_today(), dry_run=dry_run)
    except SQLAlchemyError as error:
        raise database_problem(error) from None
    click.echo(_periods_line(periods))
    if report.total == 0:
        click.echo("Nothing is past its retention period: nothing " + ("would be " if dry_run else "was ") + "changed.")
        return
    if dry_run:
        click.echo("Dry run: nothing was changed. A run now would anonymise or delete these records:")
    else:
        click.echo("Anonymised or deleted these records:")
    for line in report_table(report):
        click.echo(line)


sar_group = AppGroup("sar", help="Subject access requests.")


@sar_group.command("export")
@click.option("--child", "child_id", type=int, help="The child's id (in the address of their page).")
@click.option("--upn", help="The child's unique pupil number.")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The JSON file to write: a new file, readable by its owner only.",
)
def sar_export(child_id: int | None, upn: str | None, out: Path) -> None:
    """Write everything the service holds about one child to a JSON file, for the council's information governance
    team to review (it names carers, reporters and staff too) before anything is disclosed."""
    if (child_id is None) == (upn is None):
        raise click.UsageError("Give the child's --child id or their --upn, one of them")
    if out.exists():
        raise click.ClickException(f"{out} already exists: an export never overwrites a file")
    try:
        with database().session() as session:
            try:
                child = sar.find_child(session, child_id=child_id, upn=upn)
            except sar.UnknownChild as error:
                raise click.ClickException(str(error)) from None
            made = sar.export(session, child, utcnow())
            sar.record_export(session, made)
            session.flush()
            _write_new(out, made.json())
            try:
                session.commit()
            except BaseException:
                out.unlink(missing_ok=True)  # an export the audit trail does not know of is not left behind
                raise
    except SQLAlchemyError as error:
        raise database_problem(error) from None
    counts = made.counts
    click.echo(
        f"Wrote child {made.child_id}'s records to {out}: {counts['cases']} case(s), {counts['referrals']} "
        f"report(s), {counts['school_notices']} school notice(s), {counts['attendance_weeks']} attendance week(s), "
        f"{counts['audit_events']} audit event(s). Review it before disclosure: it names other people too."
    )


def _write_new(path: Path, text: str) -> None:
    """Write a new file only its owner can read; refuse one that appeared meanwhile."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise click.ClickException(f"{path} already exists: an export never overwrites a file") from None
    except OSError as error:
        raise click.ClickException(f"{path} could not be written ({error.strerror})") from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        os.fchmod(stream.fileno(), 0o600)
        stream.write(text)


GROUPS = (retention_group, sar_group)
