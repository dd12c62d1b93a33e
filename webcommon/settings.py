"""The settings admins change (the authority's details, due days, retention periods, long absence), read once a
request whichever front end asks first. Every page shows the authority's name and numbers, the error pages
included: when the database cannot be read the configured values are shown, and reading them never raises."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session

from shared.db import Database
from shared.domain.settings import Settings, defaults
from shared.services import settings as settings_service

CACHE = "cme_settings"


def configured() -> Settings:
    """The settings as the configuration gives them, before any admin's change."""
    return Settings(defaults(current_app.config))


def authority_settings(database: Database) -> Settings:
    if CACHE not in g:
        setattr(g, CACHE, settings_service.current_or_defaults(database, defaults(current_app.config)))
    return getattr(g, CACHE)


def settings_in(session: Session) -> Settings:
    """The settings, read in a page's own session (the page needs the database anyway)."""
    if CACHE not in g:
        setattr(g, CACHE, settings_service.current(session, defaults(current_app.config)))
    return getattr(g, CACHE)


def unreadable() -> None:
    """The database is down: this request's pages show the configured settings without trying it again."""
    if CACHE not in g:
        setattr(g, CACHE, configured())


def forget() -> None:
    """Read them again (after a save in this request)."""
    g.pop(CACHE, None)
