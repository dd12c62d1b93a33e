"""Fixtures: a database built by the migrations (SQLite, or PostgreSQL when TEST_DATABASE_URL is set), a fresh
copy of it for each test, the app on it, and helpers to read pages and sign in as a user would."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import threading
from collections import Counter
from contextlib import contextmanager
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import text
from sqlalchemy.engine import make_url

from portal.cli import upgrade_database
from shared.db import make_engine, normalise_database_url
from shared.models import Base, TermPeriod
from shared.services import users as user_service

# CI sets this: a leg that cannot run (no PostgreSQL, no Chromium) fails instead of skipping.
REQUIRE_ALL_LEGS = os.environ.get("CME_REQUIRE_ALL_LEGS") == "1"
PASSWORD = "correct horse battery staple"
# Every staff user the `users` fixture makes has set up an authenticator app with this secret (base32).
TEST_TOTP_SECRET = "NORTHBRIDGECMETESTTOTPSECRET2345"
SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"


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


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """One migrated database per run: a SQLite file to copy, or a PostgreSQL database to truncate."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        path = tmp_path_factory.mktemp("db") / "template.sqlite"
        upgrade_database(f"sqlite:///{path}")
        yield {"kind": "sqlite", "path": path}
        return
    server = normalise_database_url(server)
    name = f"cme_test_{secrets.token_hex(4)}"
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_database(url)
        yield {"kind": "postgresql", "url": url, "engine": make_engine(url)}
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def database_url(database_template, tmp_path) -> str:
    if database_template["kind"] == "sqlite":
        path = tmp_path / "cme.sqlite"
        shutil.copyfile(database_template["path"], path)
        return f"sqlite:///{path}"
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with database_template["engine"].begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        # As the migrations left it: the shipped term dates, which every copy of the SQLite template has too.
        connection.execute(TermPeriod.__table__.insert(), shipped_term_periods())
    return database_template["url"]


SHIPPED_TERM_DATES = Path(__file__).resolve().parents[1] / "shared" / "data" / "term_dates.csv"


def shipped_term_periods() -> list[dict]:
    from shared.clock import utcnow
    from shared.domain.school_days import parse_term_dates

    return [
        {"kind": p.kind, "starts_on": p.start, "ends_on": p.end, "description": p.description, "updated_at": utcnow()}
        for p in parse_term_dates(SHIPPED_TERM_DATES.read_text(encoding="utf-8-sig"))
    ]


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
    }
    settings.update(overrides)
    return create_app(settings)


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    yield app
    app.extensions["cme.database"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    with app.extensions["cme.database"].session() as session:
        yield session


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
