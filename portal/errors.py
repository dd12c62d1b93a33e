"""One path for every error page: the service's own look, a plain message, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, render_template, request
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from portal import settings
from portal.database import committed, end_session
from portal.extensions import limiter
from webcommon.access import mark_records_unreachable
from webcommon.csrf import UNCHECKED
from webcommon.forms import NOT_SAVED, held, hold

log = logging.getLogger(__name__)

PAGES = {
    400: (
        "There is a problem with your request",
        "The page could not use what was sent. Go back and try again.",
    ),
    403: (
        "You do not have permission to see this page",
        "Your account cannot see this page. If you think it should, ask your service administrator.",
    ),
    404: (
        "Page not found",
        "If you typed the web address, check it is correct. If you pasted the web address, check you copied "
        "the entire address.",
    ),
    405: ("There is a problem with your request", "This page cannot be used in that way."),
    413: (
        "The file is too large",
        "The file you sent is bigger than this service accepts. Send a smaller file.",
    ),
    429: (
        "Too many attempts",
        "You have tried too many times in a short time. Wait a few minutes, then try again.",
    ),
    500: (
        "Sorry, there is a problem with the service",
        "Try again later. Nothing you sent has been half-saved. If you were sending something, check whether you "
        "were given a reference before you send it again.",
    ),
    503: (
        "Sorry, the service is unavailable",
        "The service cannot reach its records at the moment. Nothing you sent has been half-saved. "
        "Try again in a few minutes.",
    ),
}


def error_response(status: int, message: str | None = None, headers=None):
    """The service's error page for `status`; codes without their own wording use their class's."""
    title, default_message = PAGES.get(status) or PAGES[400 if status < 500 else 500]
    page = render_template("errors/error.html", title=title, message=message or default_message, status=status)
    return page, status, headers or {}


def database_unavailable(error: Exception) -> bool:
    if isinstance(error, OperationalError | PoolTimeout):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


# Set on `g`: the database error this request met, and that its form's page is being drawn again after it.
FAILURE = "database_failure"
SHOWN_AGAIN = "form_shown_again"


@limiter.request_filter
def _shown_again() -> bool:
    """A page drawn again after a failure (form_again) was counted by the rate limits when it was sent."""
    return bool(g.get(SHOWN_AGAIN))


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        # Keep headers such as Allow (405) and Retry-After (429, 503), but not the default HTML's type.
        headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
        return error_response(error.code, headers=headers)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        end_session()  # the error page must not run inside a failed transaction
        g.pop("_login_user", None)  # the signed-in user was that session's: Flask-Login loads them again
        if database_unavailable(error):
            log.error("database unavailable", exc_info=error)
            setattr(g, FAILURE, error)
            settings.unreadable()  # the page shows the configured numbers without waiting on the database again
            return form_again() or error_response(503)
        if isinstance(error, InternalServerError):
            error = error.original_exception or error
        log.exception("unexpected error", exc_info=error)
        return error_response(500)


def form_again():
    """A form posted while the database failed: its page again (503), with what was typed and the message that
    nothing was saved, by running the view once more held back, so it acts on nothing. None when that cannot be
    said or done: something was already committed, the pool was exhausted (trying again would wait again), the
    page cannot be drawn without the database (a signed-in page, whose user cannot be checked), or the request
    was no form's."""
    rule = request.url_rule
    if request.method != "POST" or held() is not None or rule is None or rule.rule in UNCHECKED:
        return None
    if committed() or isinstance(g.get(FAILURE), PoolTimeout):
        return None
    hold(NOT_SAVED)
    mark_records_unreachable()
    setattr(g, SHOWN_AGAIN, True)
    try:
        response = current_app.make_response(current_app.view_functions[rule.endpoint](**(request.view_args or {})))
    except Exception as error:  # the page needs the database, or it is still down: the 503 page says so
        end_session()
        g.pop("_login_user", None)
        if database_unavailable(error) or isinstance(error, HTTPException):
            log.info("the form could not be shown again without the database", exc_info=True)
        else:
            log.exception("the form could not be shown again", exc_info=error)
        return None
    if response.status_code != 200:
        return None
    response.status_code = 503
    return response
