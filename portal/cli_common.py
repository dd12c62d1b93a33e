"""What the `cme` commands share: one way to say the database could not be used."""

from __future__ import annotations

import click
from sqlalchemy.exc import SQLAlchemyError

UPGRADE_HINT = "has `cme db upgrade` run?"


def database_problem(error: SQLAlchemyError, hint: str = UPGRADE_HINT, then: str = "") -> click.ClickException:
    """The error's first line, what to check, and what became of the command's work (`then`)."""
    detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    message = f"The database could not be used ({detail}). Is DATABASE_URL right, and {hint}"
    return click.ClickException(f"{message} {then}" if then else message)
