"""Alembic environment: the models' metadata and the URL from config.py; never builds the web app."""

from __future__ import annotations

from alembic import context

import config as cme_config
from shared.db import make_engine, normalise_database_url
from shared.models import Base

alembic_config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return normalise_database_url(alembic_config.attributes.get("url") or cme_config.database_url())


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = alembic_config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
