"""Logs: one line per record on standard error, JSON for a log collector or plain text for a person
(`CME_LOG_FORMAT`), every line written during a request carrying that request's id, and one access line per
request.

Nothing personal is logged. The access line has the path without its query string (search terms travel
there) and without the token in an invitation's link, never the client's address, the body or form values. An
exception is logged with its type and its traceback's frames but not its message, which can quote what was sent
(`int("Amira")` says "Amira").
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler
from gunicorn.glogging import Logger as GunicornBaseLogger

REQUEST_ID_HEADER = "X-Request-ID"
# A request id from the proxy is kept only if it is a short token: it is written into every line of the log.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
ACCESS_LOGGER = "portal.access"
# The service's own loggers log from INFO (a report received, each request); the libraries' from WARNING.
SERVICE_LOGGERS = ("portal", "shared", "dashboard", "webcommon")
# Load balancers ask these every few seconds: their answers are logged only when they are not OK.
PROBES = frozenset({"/healthz", "/readyz"})

# A record's `event` field names something to count, a log metric: the log collector counts the records with it
# (over every server and worker process), so the service keeps no count of its own.
EVENT = "event"

access_log = logging.getLogger(ACCESS_LOGGER)


def event(name: str) -> dict:
    """The `extra` of a record that counts one `name` event: `log.warning("...", extra=event("..."))`."""
    return {EVENT: name}


def request_id() -> str:
    """This request's id: the caller's `X-Request-ID` if it is a safe token, else a new one."""
    if "request_id" not in g:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if SAFE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    return g.request_id


def _type_name(kind: type) -> str:
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def exception_fields(exc_info) -> dict:
    """The exception's type and where it was raised: the frames' file, line, function and code, no message."""
    kind, _error, tb = exc_info
    frames = traceback.format_list(traceback.extract_tb(tb))
    return {"type": _type_name(kind), "traceback": "Traceback (most recent call last):\n" + "".join(frames)}


# Paths that carry a credential: an invitation's link works once and is the only thing needed to choose the
# account's password, so the log keeps the path's shape but never the token in it.
SECRET_PATHS = re.compile(r"^(/invitation/)[^/]+")


def logged_path() -> str:
    return SECRET_PATHS.sub(r"\1…", request.path)


def fields(record: logging.LogRecord) -> dict:
    """A record as the fields of its log line, in order."""
    entry = {
        "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "level": record.levelname,
        "logger": record.name,
        "message": record.getMessage(),
    }
    if has_request_context():
        entry.update(request_id=request_id(), method=request.method, path=logged_path())
    for name in ("status", "duration_ms", EVENT):
        if hasattr(record, name):
            entry[name] = getattr(record, name)
    if record.exc_info and record.exc_info[0] is not None:
        entry["exception"] = exception_fields(record.exc_info)
    return entry


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(fields(record), ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`time LEVEL logger [request id] message`, then the traceback's frames for an exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = fields(record)
        line = f"{entry['time']} {entry['level']} {entry['logger']}"
        if "request_id" in entry:
            line += f" [{entry['request_id']}]"
        line += f" {entry['message']}"
        if "duration_ms" in entry:
            line += f" {entry['duration_ms']}ms"
        if "exception" in entry:
            line += f"\n{entry['exception']['traceback']}{entry['exception']['type']}"
        return line


FORMATTERS = {"json": JsonFormatter, "text": TextFormatter}


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a record arrives, so a test runner's capture sees it."""

    def __init__(self):
        logging.Handler.__init__(self)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def configure(log_format: str) -> None:
    """Write the service's records of INFO and above, and other libraries' warnings and errors, to standard
    error in `log_format`. Making the app again (as tests do) replaces the handler rather than adding another."""
    root = logging.getLogger()
    for handler in [handler for handler in root.handlers if getattr(handler, "_cme", False)]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler._cme = True
    handler.setFormatter(FORMATTERS[log_format]())
    root.addHandler(handler)
    for name in SERVICE_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)


def init_app(app: Flask) -> None:
    configure(app.config["LOG_FORMAT"])
    # Flask's own handler would print the app's records a second time, in its format.
    logging.getLogger(app.name).removeHandler(default_handler)

    @app.before_request
    def start_request():
        g.request_started = time.perf_counter()
        request_id()

    @app.after_request
    def log_request(response):
        response.headers[REQUEST_ID_HEADER] = request_id()
        started = g.get("request_started")
        duration = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
        level = logging.DEBUG if request.path in PROBES and response.status_code < 400 else logging.INFO
        access_log.log(
            level,
            "%s %s %s",
            request.method,
            logged_path(),
            response.status_code,
            extra={"status": response.status_code, "duration_ms": duration},
        )
        return response


class GunicornLogger(GunicornBaseLogger):
    """Gunicorn's own lines (workers starting, stopping, timing out) in the service's JSON, for `cme serve`."""

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())
