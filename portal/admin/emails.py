"""Every email the service sends, shown as it is sent."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin_emails", __name__, url_prefix="/admin/emails")
