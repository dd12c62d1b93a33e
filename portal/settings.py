"""The settings admins change, as the portal's pages read them: once a request, from the portal's database
(webcommon.settings keeps them for the request, for the dashboard too)."""

from __future__ import annotations

from portal.database import database
from shared.domain.settings import Settings
from webcommon import settings as request_settings
from webcommon.settings import configured, forget, unreadable

__all__ = ["authority_settings", "configured", "forget", "unreadable"]


def authority_settings() -> Settings:
    return request_settings.authority_settings(database())
