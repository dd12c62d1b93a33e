"""Fixtures: each test worker's database built once by the migrations (SQLite, or PostgreSQL when TEST_DATABASE_URL
is set) and put back as they left it before each test, the worker's one app on it, the one clock set in a line, and
helpers to read pages and sign in as a user would."""

from __future__ import annotations

import copy
import os
import re
import socket
import threading
from collections import Counter
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage

import pytest
from bs4 import BeautifulSoup

from shared.clock import UK
from shared.models import TermPeriod
from shared.services import users as user_service
from tests.databases import PostgresDatabase, SqliteDatabase

# CI sets this: a leg that cannot run (no PostgreSQL, no Chromium) fails instead of skipping.
REQUIRE_ALL_LEGS = os.environ.get("CME_REQUIRE_ALL_LEGS") == "1"
PASSWORD = "correct horse battery staple"
# Every staff user the `users` fixture makes has set up an authenticator app with this secret (base32).
TEST_TOTP_SECRET = "NORTHBRIDGECMETESTTOTPSECRET2345"
SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"


def pytest_addoption(parser):
    parser.addoption(
        "--today",
        metavar="YYYY-MM-DD",
        help="the day in England the run takes place on (default: today); the clock starts at 10:30 and runs on",
    )


_TRAVEL: list = []


def pytest_configure(config):
    """Every run takes place from 10:30 in England on one day: today, or the day --today names. A run never
    crosses midnight, the date in England and in UTC are the same all run long, and a date a test module takes at
    import is the service's date too (this starts before any module is imported). Under pytest-xdist the workers
    are given the day the run chose, so a run started at midnight has one day in every worker."""
    import time_machine

    chosen = getattr(config, "workerinput", {}).get("cme_day") or config.getoption("--today")
    day = date.fromisoformat(chosen) if chosen else datetime.now(UK).date()
    config.cme_day = day.isoformat()
    # A timestamp, not a datetime with a zone: time-machine would set the process's TZ to the datetime's zone.
    start = datetime.combine(day, time(10, 30), tzinfo=UK).timestamp()
    _TRAVEL.append(time_machine.travel(start, tick=True))
    _TRAVEL[-1].start()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist: a worker runs on the day the run chose."""
    node.workerinput["cme_day"] = node.config.cme_day


def pytest_unconfigure(config):
    while _TRAVEL:
        _TRAVEL.pop().stop()


def pytest_collection_modifyitems(config, items):
    """The PostgreSQL leg runs the tests that use the test database (through the app, the services or a browser).
    The others run in the SQLite leg only: pure rules and parsers, and an app on a file of its own, do the same
    whatever the database."""
    if not os.environ.get("TEST_DATABASE_URL"):
        return
    kept, left = [], []
    for item in items:
        uses_database = DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
        (kept if uses_database else left).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


DATABASE_FIXTURES = frozenset({"database_url", "database_template"})


def pytest_report_header(config):
    from shared.clock import uk_now

    return f"the service's clock: {uk_now():%A %-d %B %Y %H:%M} in England, running on"


def skip_or_fail(reason: str):
    if REQUIRE_ALL_LEGS:
        pytest.fail(f"{reason} (CME_REQUIRE_ALL_LEGS=1: this leg must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _instance_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("instance")
    os.environ["CME_INSTANCE_PATH"] = str(path)
    # Chromium writes crash reports and caches under these; keep them out of the home directory.
    os.environ.setdefault("XDG_CONFIG_HOME", str(path / "xdg-config"))
    os.environ.setdefault("XDG_CACHE_HOME", str(path / "xdg-cache"))
    yield


def worker() -> str:
    """This test process's name: gw0, gw1… under pytest-xdist, main when the suite runs in one process."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """This worker's database, migrated once: a SQLite file (copied back from its migrated template before each
    test), or a PostgreSQL database of its own on TEST_DATABASE_URL's server (emptied back to the migrations' rows)."""
    server = os.environ.get("TEST_DATABASE_URL")
    database = PostgresDatabase(server, worker()) if server else SqliteDatabase(tmp_path_factory.mktemp("db"))
    yield database
    database.drop()


@pytest.fixture
def database_url(database_template) -> str:
    """The worker's database as the migrations left it: every test starts from it, and nothing one test writes is
    seen by the next. Background work runs at once where it is queued (Huey's immediate mode), so none is left."""
    database_template.reset()
    return database_template.url


@pytest.fixture(scope="session")
def _session_app(database_template):
    """The one app of this worker's run: built once, on the worker's database."""
    app = make_app(database_template.url)
    state = SessionAppState(app)
    yield app, state
    app.extensions["cme.database"].dispose()


class SessionAppState:
    """What a test may change in the session's app and the process around it, and how it was before."""

    def __init__(self, app):
        self.config = copy.deepcopy(dict(app.config))

    def restore(self, app) -> None:
        from portal import logs
        from portal.extensions import limiter
        from portal.tasks import engine
        from shared import hashing

        app.config.clear()
        app.config.update(copy.deepcopy(self.config))
        # The limiter, the log handler and the hashing parameters belong to the process: an app a test made for
        # itself (make_app with other settings) took them over, and each test starts with empty rate-limit counts.
        limiter.init_app(app)
        _forget_a_dead_rate_limit_store()
        logs.configure(app.config["LOG_FORMAT"])
        hashing.use(app.config["ARGON2_PARAMETERS"])
        engine.configure(app.config["TASKS_URL"])  # tasks run at once again, in this app
        engine.bind(app)
        app.extensions["cme.database"].dispose()


def set_term_dates(app, csv_text: str) -> None:
    """Put these term dates (CSV, as the shipped file) in place of the app's database's."""
    from shared.clock import utcnow
    from shared.domain.school_days import parse_term_dates

    with app.extensions["cme.database"].session() as session:
        session.execute(TermPeriod.__table__.delete())
        session.add_all(
            TermPeriod(kind=p.kind, starts_on=p.start, ends_on=p.end, description=p.description, updated_at=utcnow())
            for p in parse_term_dates(csv_text)
        )
        session.commit()


def calendar_of(app):
    """The school-day calendar the app uses: its database's term dates."""
    from shared.services.calendar import school_calendar

    with app.extensions["cme.database"].session() as session:
        return school_calendar(session)


class Mailbox:
    """A real SMTP server (aiosmtpd) on loopback that keeps every message it is sent."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=email_policy.default)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted"

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """The messages once at least `count` have arrived (the service sends after answering the request)."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
            assert len(self.messages) >= count, f"expected {count} email(s), {len(self.messages)} arrived"
            return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]


_SMTP = {}


@pytest.fixture(scope="session", autouse=True)
def _smtp_server():
    from aiosmtpd.controller import Controller

    handler = Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    _SMTP.update(port=port, handler=handler)
    yield
    controller.stop()


@pytest.fixture
def mailbox() -> Mailbox:
    """The test SMTP server's messages, emptied for this test."""
    handler: Mailbox = _SMTP["handler"]
    with handler._arrived:
        handler.messages.clear()
    return handler


@contextmanager
def database_unreachable(app):
    """Within the block, every new session of the app fails as a database server that cannot be reached does."""
    from sqlalchemy.exc import OperationalError

    database = app.extensions["cme.database"]
    original = database.sessionmaker

    def unreachable(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    database.sessionmaker = unreachable
    try:
        yield
    finally:
        database.sessionmaker = original


def make_app(database_url: str, **overrides):
    from wsgi import create_app

    settings = {
        "CME_ENV": "test",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SIGN_IN_RATE_LIMIT": "1000 per minute",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": _SMTP.get("port", 25),
        "MAIL_USE_TLS": False,
        "SERVICE_URL": "https://cme.northbridge.example",
        "TASKS_URL": "memory://",  # tasks run at once, where they are queued
    }
    settings.update(overrides)
    app = create_app(settings)
    _forget_a_dead_rate_limit_store()
    return app


def _forget_a_dead_rate_limit_store() -> None:
    """The limiter is one object per process, and init_app gives it a new store but keeps its mark that the old
    store had failed: left set, the next app would count in the in-memory fallback until a back-off check cleared
    it. Only a process that builds many apps (a test run) needs this; the library offers no public way."""
    from portal.extensions import limiter

    limiter._storage_dead = False


@pytest.fixture
def app(database_url, _session_app):
    """The worker's app, built once for the whole run, on a database as the migrations left it and with its
    settings as make_app gave them. A test that needs other settings at start-up makes its own with make_app."""
    app, state = _session_app
    state.restore(app)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    with app.extensions["cme.database"].session() as session:
        yield session


class Clock:
    """The service's one clock (shared.clock), stopped for this test wherever the test puts it. time-machine moves
    the process's own clock, so the service, its threads (the live server's included) and the libraries it uses
    (security codes, signed cookies) all read the same moment; the clock runs normally again after the test."""

    def __init__(self, machine):
        self.machine = machine
        self.stopped = False

    def set(self, moment: datetime | date) -> None:
        """Stop the clock at this moment; a date means 10:30 that morning in England."""
        if not isinstance(moment, datetime):
            moment = datetime.combine(moment, time(10, 30), tzinfo=UK)
        if moment.tzinfo is None:
            raise ValueError("give the moment a time zone")
        # A timestamp, not a datetime with a zone: time-machine would set the process's TZ to the datetime's zone.
        self.machine.move_to(moment.timestamp(), tick=False)
        self.stopped = True

    def advance(self, **delta) -> None:
        """Move the clock on; it stops where it is now first, if no test has set it."""
        if not self.stopped:
            self.set(self.now)
        self.machine.shift(timedelta(**delta))

    @property
    def now(self) -> datetime:
        from shared.clock import utcnow

        return utcnow()


@pytest.fixture
def clock(time_machine) -> Clock:
    """Set the clock in one line: `clock.set(date(2028, 2, 29))`."""
    return Clock(time_machine)


def a_school(urn: int, establishment_number: str, name: str, postcode: str):
    from shared.models import School

    return School(
        urn=urn,
        la_code="999",
        establishment_number=establishment_number,
        name=name,
        establishment_type="Community school",
        type_group="Local authority maintained schools",
        phase="Primary",
        status="Open",
        postcode=postcode,
    )


@pytest.fixture
def school(db):
    """The signed-in school user's school; a second school (URN 990102) exists too."""
    school = a_school(990101, "2101", "Millfield Primary School", "NB1 1AA")
    other = a_school(990102, "2102", "Riverside Junior School", "NB2 2BB")
    db.add_all([school, other])
    db.commit()
    return school


@pytest.fixture
def users(db, school):
    """One active user per role, all with PASSWORD; the staff have set up two-factor sign-in with TEST_TOTP_SECRET."""
    made = {}
    for role in ("school", "officer", "lead", "manager", "admin"):
        made[role] = user_service.create_user(
            db,
            f"{role}@northbridge.example",
            f"Test {role.title()}",
            role,
            PASSWORD,
            school_urn=school.urn if role == "school" else None,
        )
        if role != "school":
            enrol_two_factor(made[role])
    db.commit()
    return made


def enrol_two_factor(user) -> None:
    """As if the user had set up their authenticator app with TEST_TOTP_SECRET (the caller commits)."""
    from shared.clock import utcnow

    user.totp_secret = TEST_TOTP_SECRET
    user.totp_confirmed_at = utcnow()
    user.totp_last_step = None


def security_code(secret: str = TEST_TOTP_SECRET) -> str:
    """The code an authenticator app with this secret shows now, by the service's clock (which tests may set)."""
    import pyotp

    from shared.services import two_factor

    return pyotp.TOTP(secret).at(two_factor.utcnow())


def ready_for_two_factor(app, email: str) -> str | None:
    """Make a staff user with this email ready to give a security code: set up with TEST_TOTP_SECRET if they had no
    app, and with no code yet used (so that signing the same person in twice within 30 seconds is not refused as a
    replayed code). Returns their secret, or None for an unknown or school user."""
    from sqlalchemy import select

    from shared.models import User
    from shared.services import two_factor

    with app.extensions["cme.database"].session() as session:
        user = session.scalar(select(User).where(User.email == user_service.normalise_email(email)))
        if user is None or not two_factor.required_for(user):
            return None
        if not two_factor.is_enrolled(user):
            enrol_two_factor(user)
        user.totp_last_step = None
        session.commit()
        return user.totp_secret


def csrf_token(page: BeautifulSoup) -> str:
    return page.find("input", {"name": "csrf_token"})["value"]


def parse(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def get_page(client, url: str, status: int = 200) -> BeautifulSoup:
    """Fetch a page, check it is well-formed for the service, and return it parsed."""
    response = client.get(url)
    assert response.status_code == status, f"{url}: {response.status_code}"
    page = parse(response)
    check_page(page)
    return page


def check_page(page: BeautifulSoup) -> None:
    assert len(page.find_all("h1")) == 1, "a page has exactly one h1"
    ids = Counter(element["id"] for element in page.find_all(id=True))
    duplicates = [name for name, count in ids.items() if count > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"
    title = page.title.get_text(strip=True)
    has_errors = page.find(class_="govuk-error-summary") is not None
    assert title.startswith("Error: ") == has_errors, title
    assert "GDS Transport" not in str(page)
    assert page.find(class_="govuk-header__crown") is None and page.find(class_="govuk-footer__crown") is None


def sign_in(client, email: str, password: str = PASSWORD, next_url: str | None = None):
    """Sign in as a person would, giving the security code too for staff: the response is the last step's.

    Staff users without an authenticator app get TEST_TOTP_SECRET first, and the user's last used code is
    forgotten in the database before the code is sent (see ready_for_two_factor), so a test may sign the same
    person in more than once. Tests of the two-factor pages themselves post to them directly."""
    page = get_page(client, "/sign-in" + (f"?next={next_url}" if next_url else ""))
    secret = ready_for_two_factor(client.application, email)
    response = client.post(
        "/sign-in" + (f"?next={next_url}" if next_url else ""),
        data={"csrf_token": csrf_token(page), "email": email, "password": password},
    )
    if secret is None or response.status_code != 302 or response.headers["Location"] != "/sign-in/two-factor":
        return response
    page = get_page(client, "/sign-in/two-factor")
    return client.post("/sign-in/two-factor", data={"csrf_token": csrf_token(page), "code": security_code(secret)})


def error_summary(page: BeautifulSoup) -> list[tuple[str, str]]:
    """(message, link target) for each error in the summary."""
    summary = page.find(class_="govuk-error-summary")
    return [(link.get_text(strip=True), link["href"]) for link in summary.find_all("a")] if summary else []


def text_of(element) -> str:
    return re.sub(r"\s+", " ", element.get_text(" ", strip=True))
