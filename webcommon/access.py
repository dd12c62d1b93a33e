"""Who may use a route: the one check every staff and school page, and the dashboard, use, and the marker for
public routes. tests/test_policies.py walks the URL map and fails for any route that has neither."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, current_app, g, jsonify
from flask_login import current_user

from shared.domain.roles import Area, may

# Set on `g` once a request has found the database unreachable.
DATABASE_UNAVAILABLE = "database_unavailable"


def mark_records_unreachable() -> None:
    """This request found the database unreachable (the user loader, the error handler)."""
    setattr(g, DATABASE_UNAVAILABLE, True)


def records_unreachable() -> bool:
    """True once this request has found the database unreachable: a page drawn now must not ask it again."""
    return bool(g.get(DATABASE_UNAVAILABLE))


def requires(area: Area, background: Callable[[], str | None] | None = None):
    """Only a signed-in user whose role may use `area`: someone signed out is sent to sign in, another role gets
    403, and 503 when the database cannot say who is signed in. `background` gives the message of the 401 that a
    script's own request gets instead of the sign-in page (None for a page)."""

    def decorator(view):
        @wraps(view)
        def checked(*args, **kwargs):
            if not current_user.is_authenticated:
                if records_unreachable():
                    abort(503)
                if background is not None and (message := background()):
                    return jsonify(error=message), 401
                return current_app.login_manager.unauthorized()
            if not may(current_user.role, area):
                abort(403)
            return view(*args, **kwargs)

        checked.permission_area = area
        return checked

    return decorator


def public(view):
    view.permission_area = "public"
    return view
