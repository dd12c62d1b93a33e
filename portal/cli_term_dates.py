"""`cme term-dates ...`: check that the coming term has dates (for monitoring), import a file of term dates, export
them."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from portal.cli_common import database_problem
from portal.database import database
from shared.clock import uk_today
from shared.domain import term_dates as rules
from shared.services import term_dates as service
from shared.services.calendar import term_periods

term_dates_group = AppGroup("term-dates", help="The authority's term dates: check, import and export them.")


@term_dates_group.command("check")
@click.option("--weeks", type=click.IntRange(min=1, max=52), default=rules.WARN_WEEKS, show_default=True)
def check(weeks: int) -> None:
    """Exit 1, saying why, when the last term ends within WEEKS weeks (or has ended) and no term follows it."""
    try:
        with database().session() as session:
            periods = term_periods(session)
    except SQLAlchemyError as error:
        raise database_problem(error) from None
    warning = rules.coming_term_warning(periods, uk_today(), weeks)
    if warning:
        click.echo(warning, err=True)
        sys.exit(1)
    last = max(period.end for period in periods if period.kind == "term")
    click.echo(f"Term dates are in place until {rules.day_text(last)}.")


@term_dates_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
def import_term_dates(file: Path) -> None:
    """Replace the term dates of the academic years FILE covers (1 September to 31 August) with FILE's.

    FILE is a CSV file with the columns kind, start, end, description, as `cme term-dates export` writes. The whole
    file is checked with the dates kept for other years; if anything is wrong, every problem is listed with its line
    and nothing is saved."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException("The file must be a CSV file saved as UTF-8. Nothing was saved.") from None
    try:
        with database().session() as session:
            done = service.apply_upload(session, None, text, actor_label="command line")
    except service.TermDatesRefused as refused:
        for _, problem in refused.problems:
            click.echo(problem, err=True)
        raise click.ClickException("The file cannot be used. Nothing was saved.") from None
    except SQLAlchemyError as error:
        raise database_problem(error) from None
    years = ", ".join(rules.academic_year_label(year) for year in done.years)
    click.echo(f"Term dates for {years}: {len(done.added)} added, {len(done.replaced)} replaced.")


@term_dates_group.command("export")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True, path_type=Path),
    default="-",
    show_default=True,
    help="The CSV file to write ('-': standard output).",
)
def export(out: Path) -> None:
    """Write the term dates as a CSV file that `cme term-dates import` and the upload page read."""
    try:
        with database().session() as session:
            text = rules.write_term_dates(term_periods(session))
    except SQLAlchemyError as error:
        raise database_problem(error) from None
    if out == Path("-"):
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {text.count(chr(10)) - 1} term dates to {out}.", err=True)
