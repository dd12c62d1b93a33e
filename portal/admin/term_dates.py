"""The authority's term dates, which the school-day calendar uses with England's bank holidays."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin_terms", __name__, url_prefix="/admin/term-dates")
