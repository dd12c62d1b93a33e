"""`cme import ...`: loading reference files into the service."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from portal.database import database
from shared.importers.gias import GiasError, read_establishments
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
        detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise click.ClickException(
            f"The database could not be used ({detail}). Is DATABASE_URL right, and has `cme db upgrade` run? "
            "Nothing was imported."
        ) from None
    click.echo(
        f"Imported {summary.total} schools: {summary.created} created, {summary.updated} updated, "
        f"{summary.unchanged} unchanged."
    )
