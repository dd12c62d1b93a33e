"""The permission check every staff and school route uses, and the marker for public routes.

tests/test_policies.py walks the URL map and fails for any route that has neither.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, g
from flask_login import current_user

from portal.extensions import login_manager
from shared.domain.roles import Area, may


def requires(area: Area):
    def decorator(view):
        @wraps(view)
        def checked(*args, **kwargs):
            if not current_user.is_authenticated:
                if g.get("database_unavailable"):
                    abort(503)
                return login_manager.unauthorized()
            if not may(current_user.role, area):
                abort(403)
            return view(*args, **kwargs)

        checked.permission_area = area
        return checked

    return decorator


def public(view):
    view.permission_area = "public"
    return view
