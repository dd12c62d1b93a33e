from __future__ import annotations

from urllib.parse import quote

from flask import current_app, request
from flask_login import current_user
from govuk_frontend_wtf.wtforms_widgets import GovDateInput

from portal.security import csp_nonce
from portal.settings import authority_settings
from shared.clock import long_date  # noqa: F401  (registered as a template filter)
from shared.domain.roles import Area, Role, may, may_see_names


def signed_in_user():
    """The signed-in user, or None (also when the database cannot say: the user loader then gives None)."""
    return current_user if current_user.is_authenticated else None


# The only settings templates may read: never the secret key, passwords or the database URL. The authority's
# details are the ones admins set (portal.settings); the cookie's name is the configuration's.
PUBLIC_SETTINGS = ("SESSION_COOKIE_NAME",)


def role_label(role: str) -> str:
    try:
        return Role(role).label
    except ValueError:
        return role


def error_items(form) -> list[dict]:
    """The error summary's links, in the page's order: each goes to the field to fix (a date's day box, a set
    of radios' first option). Errors about the whole form go to its first field."""
    fields = [field for field in form if field.name not in ("csrf_token", "website")]
    items = [
        {"text": message, "href": f"#{fields[0].id if fields else 'main-content'}"}
        for message in getattr(form, "form_errors", [])
    ]
    for field in fields:
        if field.errors:
            suffix = "-day" if isinstance(field.widget, GovDateInput) else ""
            items.append({"text": field.errors[0], "href": f"#{field.id}{suffix}"})
    return items


def here() -> str:
    """This page's own address, for its forms to post to: the path and query string, never a fragment."""
    query = quote(request.query_string, safe="/?:@!$&'()*+,;=%")  # as sent, but for what an address cannot hold
    return request.script_root + quote(request.path) + (f"?{query}" if query else "")


def template_context() -> dict:
    user = signed_in_user()
    authority = authority_settings()
    return {
        "cspNonce": csp_nonce(),
        "authority_name": authority.authority_name,
        "service_name": "Children missing education",
        "settings": {
            "AUTHORITY_NAME": authority.authority_name,
            "AUTHORITY_EMAIL": authority.authority_email,
            "AUTHORITY_PHONE": authority.authority_phone,
            "SOCIAL_CARE_PHONE": authority.social_care_phone,
            "SOCIAL_CARE_OUT_OF_HOURS_PHONE": authority.social_care_out_of_hours_phone,
            **{key: current_app.config[key] for key in PUBLIC_SETTINGS},
        },
        "signed_in_user": user,
        "may": (lambda area: user is not None and may(user.role, Area(area))),
        # Whether the page may show children's and pupils' names: shared.domain.roles.may_see_names, the one rule.
        "sees_names": user is not None and may_see_names(user.role),
    }


def percent(value: float | None) -> str:
    """A share as the measures are published, to one decimal place: 0.9512 -> "95.1%"; no sessions -> "No data"."""
    return "No data" if value is None else f"{value * 100:.1f}%"
