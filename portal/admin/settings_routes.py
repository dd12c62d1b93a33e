"""The service's settings: the authority's details, check due days, retention periods and what counts as CME."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin_settings", __name__, url_prefix="/admin/settings")
