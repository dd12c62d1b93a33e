"""The schema as this code's migrations make it: where they are, building or upgrading a database with them, and
the revisions they know (for `/readyz` and `cme restore`)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["url"] = url
    return cfg


def upgrade_database(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


@cache
def revisions() -> tuple[str, frozenset[str]]:
    """The head revision and every revision: read once, since the code on disk is the code running."""
    script = ScriptDirectory(str(MIGRATIONS))
    return script.get_current_head(), frozenset(revision.revision for revision in script.walk_revisions())
