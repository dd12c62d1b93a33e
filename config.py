"""Configuration from environment variables (see README.md, "Configuration").

CME_ENV picks the settings: development (the default), test or production. Production refuses to start
with an insecure configuration and says why.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from shared.domain.enquiries import parse_due_days
from shared.domain.retention import DEFAULTS as RETENTION_DEFAULTS
from shared.domain.retention import parse_whole_number

ROOT = Path(__file__).resolve().parent
ENVIRONMENTS = ("development", "test", "production")
LOG_FORMATS = ("json", "text")


class InvalidSetting(ValueError):
    """An environment variable the service cannot use, named with what is wrong."""


def _parsed(name: str, default: str, parse):
    value = os.environ.get(name, default)
    try:
        return parse(value)
    except ValueError as error:
        raise InvalidSetting(f"{name}: {error}") from None


def _log_format(value: str) -> str:
    if value.strip().lower() not in LOG_FORMATS:
        raise ValueError(f"'{value}' must be one of {', '.join(LOG_FORMATS)}")
    return value.strip().lower()


def _whole_number(unit: str, least: int, most: int, note: str = "", then=None, named: str = ""):
    """A parser of a setting's whole number (shared.domain.retention.parse_whole_number), turned into what `then`
    makes of it."""

    def parse(value: str):
        number = parse_whole_number(value, unit, least, most, named=named, note=note)
        return then(number) if then else number

    return parse


def _workers(value: str) -> int | None:
    return _whole_number("worker processes", 1, 64)(value) if value.strip() else None


_school_days = _whole_number("school days", 1, 200)
_reminder_days = _whole_number("school days", 0, 200)


def _decimal_seconds(value: str) -> float:
    try:
        seconds = float(value.strip())
    except ValueError:
        seconds = None
    if seconds is None or not 0 < seconds <= 300:
        raise ValueError(f"'{value}' must be a number of seconds more than 0 and at most 300, such as 10 or 2.5")
    return seconds


# Retention (`cme retention run`, docs/retention.md): setting, unit, least and most; defaults and the reasons for
# them in shared/domain/retention.py. CME_RETENTION_KEEP_UNTIL_AGE=0 turns the age rule off.
RETENTION_SETTINGS = {
    "closed_case_years": ("CME_RETENTION_CLOSED_CASE_YEARS", "years", 1, 100),
    "keep_until_age": ("CME_RETENTION_KEEP_UNTIL_AGE", "years of age", 0, 100),
    "no_case_years": ("CME_RETENTION_NO_CASE_YEARS", "years", 1, 100),
    "attendance_years": ("CME_RETENTION_ATTENDANCE_YEARS", "years", 1, 100),
    "file_days": ("CME_RETENTION_FILE_DAYS", "days", 1, 36500),
    "outbox_days": ("CME_RETENTION_OUTBOX_DAYS", "days", 1, 36500),
}


def _retention_settings() -> dict:
    return {
        f"RETENTION_{key.upper()}": _parsed(name, str(RETENTION_DEFAULTS[key]), _whole_number(unit, least, most))
        for key, (name, unit, least, most) in RETENTION_SETTINGS.items()
    }


_attempts = _whole_number("attempts", 1, 100)
_minutes = _whole_number("minutes", 1, 24 * 60, then=lambda n: timedelta(minutes=n))
_invitation_hours = _whole_number("hours", 1, 14 * 24, " (14 days)", then=lambda n: timedelta(hours=n))
_session_minutes = _whole_number("minutes", 1, 12 * 60, " (12 hours)", then=lambda n: timedelta(minutes=n))
# Each thread may hold two of the database pool's 15 connections (an import writes its progress on a second).
_worker_threads = _whole_number("threads", 1, 6)
_port = _whole_number("", 1, 65535, named="a port number")
_proxy_hops = _whole_number("proxies", 0, 10)
_upload_bytes = _whole_number("bytes", 1024, 10 * 1024**3)


def _time_of_day(value: str) -> str | None:
    """A time of day in England, HH:MM on the 24-hour clock (kept as text: the worker's schedule reads it); blank
    for work that is not scheduled."""
    if not value.strip():
        return None
    hours, _, minutes = value.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and int(hours) < 24 and int(minutes) < 60):
        raise ValueError(f"'{value}' must be a time of day such as 06:30 (24-hour clock, UK time)")
    return f"{int(hours):02d}:{minutes}"


def _tasks_url(value: str) -> str:
    scheme, separator, _ = value.strip().partition("://")
    if not separator or scheme not in TASK_QUEUE_SCHEMES:
        raise ValueError(f"must start with one of {', '.join(s + '://' for s in TASK_QUEUE_SCHEMES)}")
    return value.strip()


# Where the background worker's queue is kept (portal/tasks/engine.py): Redis, shared by several workers on several
# servers; a SQLite file of its own beside the embedded database; or memory, the tasks run at once where they are
# queued (the tests).
TASK_QUEUE_SCHEMES = ("redis", "rediss", "sqlite", "memory")
# The scheduled work at a time of day (UK time): setting, default. The rest runs every few minutes or hourly. The
# retention run deletes what it deletes for good: it is scheduled only once a council sets its time, after the
# records manager has agreed a dry run (docs/retention.md).
SCHEDULE_TIMES = {
    "digests": ("CME_DIGESTS_AT", "06:30"),
    "return_reminders": ("CME_RETURN_REMINDERS_AT", "06:40"),
    "term_dates_check": ("CME_TERM_DATES_CHECK_AT", "07:00"),
    "retention": ("CME_RETENTION_AT", ""),
}


class InsecureConfiguration(RuntimeError):
    def __init__(self, reasons: list[str]):
        super().__init__("The service will not start in production: " + "; ".join(reasons))
        self.reasons = reasons


NOTIFY_API_URL = "https://api.notifications.service.gov.uk"


def _either(*names: str, default: str | None = None) -> str | None:
    """The first of these environment variables that is set and not blank."""
    return next((value.strip() for name in names if (value := os.environ.get(name, "")).strip()), default)


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def instance_path() -> Path:
    return Path(os.environ.get("CME_INSTANCE_PATH", ROOT / "instance")).resolve()


def environment() -> str:
    env = os.environ.get("CME_ENV", "development").strip().lower()
    if env not in ENVIRONMENTS:
        raise RuntimeError(f"CME_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    return env


def database_url() -> str:
    """DATABASE_URL, or the embedded SQLite file under instance/ (development and test only)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    return url or f"sqlite:///{instance_path() / 'cme.sqlite'}"


def _development_secret_key() -> str:
    path = instance_path() / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load(**overrides) -> dict:
    """The settings as a dict for Flask's config, with `overrides` (used by tests) applied last."""
    env = overrides.get("CME_ENV") or environment()
    production = env == "production"
    settings = {
        "CME_ENV": env,
        "TESTING": env == "test",
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "DATABASE_URL": database_url(),
        "AUTHORITY_NAME": os.environ.get("CME_AUTHORITY_NAME", "Northbridge Council"),
        "AUTHORITY_LA_CODE": os.environ.get("CME_AUTHORITY_LA_CODE", "999"),
        "AUTHORITY_EMAIL": os.environ.get("CME_AUTHORITY_EMAIL", "cme@northbridge.example"),
        "AUTHORITY_PHONE": os.environ.get("CME_AUTHORITY_PHONE", "01632 960000"),
        "SOCIAL_CARE_PHONE": os.environ.get("CME_SOCIAL_CARE_PHONE", "01632 960111"),
        "SOCIAL_CARE_OUT_OF_HOURS_PHONE": os.environ.get("CME_SOCIAL_CARE_OUT_OF_HOURS_PHONE", "01632 960999"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": _parsed("MAIL_PORT", "25", _port),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS", production),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "cme-service@northbridge.example"),
        "MAIL_TIMEOUT": _parsed("MAIL_TIMEOUT", "10", _decimal_seconds),
        # GOV.UK Notify instead of SMTP when its API key is set: every email goes through one Notify email template
        # whose subject is ((subject)) and body ((body)); the reply-to address is optional.
        "NOTIFY_API_KEY": _either("CME_NOTIFY_API_KEY", "NOTIFY_API_KEY"),
        "NOTIFY_TEMPLATE_ID": _either("CME_NOTIFY_TEMPLATE_ID", "NOTIFY_TEMPLATE_ID"),
        "NOTIFY_EMAIL_REPLY_TO_ID": _either("CME_NOTIFY_EMAIL_REPLY_TO_ID", "NOTIFY_EMAIL_REPLY_TO_ID"),
        "NOTIFY_BASE_URL": _either("CME_NOTIFY_BASE_URL", "NOTIFY_BASE_URL", default=NOTIFY_API_URL),
        # School days before a term's part-time timetable return is due (its last school day) that reminders start.
        "TIMETABLE_RETURN_REMINDER_SCHOOL_DAYS": _parsed(
            "CME_TIMETABLE_RETURN_REMINDER_SCHOOL_DAYS", "10", _reminder_days
        ),
        # School days each reasonable enquiry is given when a case opens: overrides of the defaults in
        # shared/domain/enquiries.py, like "health=3,police=10".
        "CHECK_DUE_SCHOOL_DAYS": _parsed("CME_CHECK_DUE_SCHOOL_DAYS", "", parse_due_days),
        # School days the team waits for another authority to confirm a child who moved there (or came from it).
        "OTHER_LA_WAIT_SCHOOL_DAYS": _parsed("CME_OTHER_LA_WAIT_SCHOOL_DAYS", "20", _school_days),
        # School days after a child is placed in a school that the team reviews their attendance, by default.
        "MONITORING_REVIEW_SCHOOL_DAYS": _parsed("CME_MONITORING_REVIEW_SCHOOL_DAYS", "30", _school_days),
        **_retention_settings(),
        # Whether a registered pupil's long unexplained absence is children missing education in this authority:
        # continuous-absence notices and attendance alerts go to the CME team's intake (the starting value of the
        # setting admins change at /admin/settings, as are the authority's details, due days and retention above).
        "LONG_ABSENCE_IS_CME": _flag("CME_LONG_ABSENCE_IS_CME", True),
        # The address people reach the service at: links in emails are built on it, never on a request's Host.
        "SERVICE_URL": os.environ.get("CME_SERVICE_URL", "http://127.0.0.1:8000").rstrip("/"),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # If the rate-limit store (Redis) is down, count in memory meanwhile rather than refuse every report.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "SIGN_IN_RATE_LIMIT": os.environ.get("CME_SIGN_IN_RATE_LIMIT", "10 per minute;50 per hour"),
        # Wrong passwords or security codes in a row that lock an account, and for how long (ASVS 2.2.1).
        "SIGN_IN_LOCKOUT_ATTEMPTS": _parsed("CME_SIGN_IN_LOCKOUT_ATTEMPTS", "5", _attempts),
        "SIGN_IN_LOCKOUT_PERIOD": _parsed("CME_SIGN_IN_LOCKOUT_MINUTES", "15", _minutes),
        # How long staff have after the right password to give their security code.
        "SIGN_IN_PENDING_PERIOD": _parsed("CME_SIGN_IN_PENDING_MINUTES", "10", _minutes),
        # How long the link in an invitation to set a password works for.
        "INVITATION_PERIOD": _parsed("CME_INVITATION_HOURS", "72", _invitation_hours),
        # A signed-in session ends once unused this long, and this long after sign-in whatever happens; the
        # second is at most PERMANENT_SESSION_LIFETIME (below), after which the cookie's own signature expires.
        "SESSION_IDLE_TIMEOUT": _parsed("CME_SESSION_IDLE_MINUTES", "30", _minutes),
        "SESSION_ABSOLUTE_TIMEOUT": _parsed("CME_SESSION_ABSOLUTE_MINUTES", "720", _session_minutes),
        # Per client address: sending a report, every other answer posted on the report's pages, and attempts
        # to resume a saved report or add to a sent one (also limited per report reference).
        "REPORT_SUBMIT_RATE_LIMIT": os.environ.get("CME_REPORT_SUBMIT_RATE_LIMIT", "10 per minute;60 per hour"),
        "REPORT_PAGE_RATE_LIMIT": os.environ.get("CME_REPORT_PAGE_RATE_LIMIT", "60 per minute;600 per hour"),
        "REPORT_LOOKUP_RATE_LIMIT": os.environ.get("CME_REPORT_LOOKUP_RATE_LIMIT", "10 per minute;30 per hour"),
        "MAX_CONTENT_LENGTH": _parsed("CME_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024), _upload_bytes),
        # A file of attendance marks may be larger: a secondary school's term is about 10 MB, an authority's several
        # hundred (import those with `cme import attendance`).
        "ATTENDANCE_UPLOAD_BYTES": _parsed("CME_ATTENDANCE_UPLOAD_BYTES", str(100 * 1024 * 1024), _upload_bytes),
        "SESSION_COOKIE_NAME": "cme_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("CME_COOKIE_SECURE", production),
        # A signed-in session lasts at most this long after sign-in (the cookie's signature expires).
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        # Reverse proxies in front of the service whose X-Forwarded-For/-Proto headers are trusted.
        "PROXY_HOPS": _parsed("CME_PROXY_HOPS", "0", _proxy_hops),
        # The addresses gunicorn (`cme serve`) trusts to say a request came over HTTPS (X-Forwarded-Proto).
        "FORWARDED_ALLOW_IPS": os.environ.get("CME_FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
        # The background worker's queue (`cme worker`), its threads, and the times of day its scheduled work runs.
        "TASKS_URL": _parsed("CME_TASKS_URL", f"sqlite:///{instance_path() / 'tasks.sqlite'}", _tasks_url),
        "WORKER_THREADS": _parsed("CME_WORKER_THREADS", "3", _worker_threads),
        "SCHEDULE_TIMES": {
            name: _parsed(variable, default, _time_of_day) for name, (variable, default) in SCHEDULE_TIMES.items()
        },
        # Gunicorn worker processes for `cme serve`; None: 2 per core + 1, at most 8.
        "WORKERS": _parsed("CME_WORKERS", "", _workers),
        # One JSON object per log line for a log collector, or plain lines for a person at a terminal.
        "LOG_FORMAT": _parsed("CME_LOG_FORMAT", "json" if production else "text", _log_format),
        # Argon2 parameters for passwords and secret phrases (shared/hashing.py): the test configuration's are the
        # cheapest argon2 allows, so that the test suite does not spend minutes hashing. Not an environment variable.
        "ARGON2_PARAMETERS": "test" if env == "test" else "production",
        "REMEMBER_COOKIE_DURATION": 0,
        "WTF_CSRF_TIME_LIMIT": None,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
    }
    settings.update(overrides)
    if not settings["SECRET_KEY"] and env == "development":
        settings["SECRET_KEY"] = _development_secret_key()
    if production:
        given = bool(os.environ.get("DATABASE_URL", "").strip() or overrides.get("DATABASE_URL"))
        check_production(settings, database_url_given=given)
    elif not settings["SECRET_KEY"]:
        raise RuntimeError("SECRET_KEY must be set when CME_ENV is not development")
    return settings


def check_production(settings: dict, database_url_given: bool) -> None:
    reasons = []
    key = settings.get("SECRET_KEY") or ""
    if len(key) < 32:
        reasons.append("SECRET_KEY must be set to a random value of at least 32 characters")
    if not database_url_given:
        reasons.append("DATABASE_URL must be set (the embedded SQLite default is for development)")
    if not settings["SESSION_COOKIE_SECURE"]:
        reasons.append("CME_COOKIE_SECURE must not be turned off: session cookies go over HTTPS only")
    if settings["ARGON2_PARAMETERS"] != "production":
        reasons.append("ARGON2_PARAMETERS must be production: the test configuration's hashes are cheap to guess")
    if settings["RATELIMIT_STORAGE_URI"].startswith("memory"):
        reasons.append(
            "RATELIMIT_STORAGE_URI must name a shared store such as redis://: each server process "
            "would otherwise keep its own count and multiply the sign-in limit"
        )
    if not settings["TASKS_URL"].startswith(("redis://", "rediss://")):
        reasons.append(
            "CME_TASKS_URL must name a Redis server (redis://): the background workers of every server share its "
            "queue, and tasks kept in memory would run inside the web servers' requests"
        )
    if not settings["SERVICE_URL"].startswith("https://"):
        reasons.append("CME_SERVICE_URL must be the service's https:// address: links in emails use it")
    if settings["MAIL_SERVER"] not in {"localhost", "127.0.0.1"} and not settings["MAIL_USE_TLS"]:
        reasons.append("MAIL_USE_TLS must be on when mail goes to another host")
    if settings.get("NOTIFY_API_KEY") and not settings.get("NOTIFY_TEMPLATE_ID"):
        reasons.append(
            "NOTIFY_TEMPLATE_ID must be set with NOTIFY_API_KEY: the GOV.UK Notify email template whose subject is "
            "((subject)) and body ((body))"
        )
    if settings.get("NOTIFY_API_KEY") and not str(settings.get("NOTIFY_BASE_URL", "")).startswith("https://"):
        reasons.append("NOTIFY_BASE_URL must be an https:// address: the API key signs every request")
    if reasons:
        raise InsecureConfiguration(reasons)
