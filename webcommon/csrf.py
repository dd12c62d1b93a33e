"""The form-token check, one path for every form.

Flask-WTF's CSRFProtect checks every POST. A token that is missing or stale does not stop the request with an error
page: the request goes on to its view held back (`webcommon.forms.hold`), so that the view's own sign-in and
permission checks run as usual, and the base form (`webcommon.forms.BaseForm`) fails with the one stale-page
message. The view then shows the same form again with everything that was typed, and acts on nothing.

This is done in a before-request step rather than an error handler: a view run from an error handler would run
outside Flask's own error handling (a 403 or 404 it raised would become a 500) and after only some of the app's
other before-request steps.
"""

from __future__ import annotations

import logging

from flask import Flask, request
from flask_wtf import CSRFProtect
from flask_wtf.csrf import CSRFError

from webcommon.forms import STALE_PAGE, hold

log = logging.getLogger(__name__)

# The only POST routes whose token is not checked, each with its reason.
UNCHECKED = {
    "/dashboard/_dash-update-component": (
        "Dash posts JSON to its callbacks without a form token. The route answers only a signed-in member of staff "
        "whose role may see the dashboard (dashboard._staff_only), the session cookie is SameSite=Lax, so another "
        "site cannot send it with a POST, and a callback only reads: it changes nothing."
    ),
}


def init_app(app: Flask, csrf: CSRFProtect) -> None:
    # CSRFProtect's own step would answer a failed check with an error; this app's step below checks instead.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)

    @app.before_request
    def check_form_token():
        if not app.config["WTF_CSRF_ENABLED"] or request.method not in app.config["WTF_CSRF_METHODS"]:
            return
        if request.url_rule is not None and request.url_rule.rule in UNCHECKED:
            return
        try:
            csrf.protect()
        except CSRFError as error:
            log.info("form token refused on %s: %s", request.endpoint, error.description)
            hold(STALE_PAGE)
