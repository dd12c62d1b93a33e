"""The settings admins change at /admin/settings (the authority's name and code here), read once a request from
the dashboard's own database; the configured values when it cannot be read."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session

from shared.db import Database
from shared.domain.settings import Settings, defaults
from shared.services import settings as settings_service

CACHE = "cme_settings"  # the portal's name for the same thing: one read a request, whichever side asks first


def authority_settings(database: Database) -> Settings:
    if CACHE not in g:
        setattr(g, CACHE, settings_service.current_or_defaults(database, defaults(current_app.config)))
    return getattr(g, CACHE)


def settings_in(session: Session) -> Settings:
    """The settings, read in a page's own session (the page needs the database anyway)."""
    if CACHE not in g:
        setattr(g, CACHE, settings_service.current(session, defaults(current_app.config)))
    return getattr(g, CACHE)
