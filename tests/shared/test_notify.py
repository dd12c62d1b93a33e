"""GOV.UK Notify: with an API key configured, the outbox goes through Notify's real client to a fake Notify on this
machine. A message Notify refuses (400) is marked and the others still go; a refused key, a rate limit or Notify
being down keeps everything for the next try; without a key, email goes over SMTP as before."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from sqlalchemy import select

import config
from shared.models import OutboxMessage
from shared.services import mail
from tests.conftest import _SMTP, make_app

SERVICE_ID = str(uuid.UUID(int=1))
SECRET = str(uuid.UUID(int=2))
API_KEY = f"cme_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
REPLY_TO_ID = "8e222534-7f05-4972-86e3-17c5d9f894e2"


class FakeNotify:
    """Notify's email endpoint: records each request and answers with `answer(payload)` (status, JSON)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answer = lambda payload: (201, {"id": str(uuid.uuid4()), "reference": payload.get("reference")})
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "headers": dict(self.headers), "json": payload})
                status, answer = fake.answer(payload)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # the test's output stays quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def notify():
    fake = FakeNotify()
    yield fake
    fake.close()


def notify_settings(base_url: str) -> mail.MailSettings:
    return mail.MailSettings(
        "127.0.0.1",
        _SMTP["port"],
        False,
        None,
        None,
        "cme-service@northbridge.example",
        notify_api_key=API_KEY,
        notify_template_id=TEMPLATE_ID,
        notify_reply_to_id=REPLY_TO_ID,
        notify_base_url=base_url,
    )


def queue(database, *addresses: str) -> list[int]:
    with database.session() as session:
        messages = [
            mail.queue(session, address, f"Case CS-643D-ZVM9 is assigned to you ({n})", f"Body {n} for the officer.\n")
            for n, address in enumerate(addresses)
        ]
        session.commit()
        return [message.id for message in messages]


def outbox(database) -> list[OutboxMessage]:
    with database.session() as session:
        messages = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        session.expunge_all()
        return messages


def test_each_email_goes_to_notify_as_its_template_with_subject_and_body_and_is_then_deleted(app, notify, mailbox):
    database = app.extensions["cme.database"]
    ids = queue(database, "jo@example.com", "sam@example.com")
    outcome = mail.send_pending(database.sessionmaker, notify_settings(notify.url))
    assert outcome == mail.Outcome(sent=2, waiting=0, given_up=0)
    assert [request["path"] for request in notify.requests] == ["/v2/notifications/email"] * 2
    assert [request["json"] for request in notify.requests] == [
        {
            "email_address": address,
            "template_id": TEMPLATE_ID,
            "personalisation": {
                "subject": f"Case CS-643D-ZVM9 is assigned to you ({n})",
                "body": f"Body {n} for the officer.\n",
            },
            "reference": str(ids[n]),
            "email_reply_to_id": REPLY_TO_ID,
        }
        for n, address in enumerate(["jo@example.com", "sam@example.com"])
    ]
    for request in notify.requests:
        scheme, _, token = request["headers"]["Authorization"].partition(" ")
        assert scheme == "Bearer"
        claims = jwt.decode(token, SECRET, algorithms=["HS256"])
        assert claims["iss"] == SERVICE_ID and isinstance(claims["iat"], int)
        assert request["headers"]["Content-type"] == "application/json"
    assert outbox(database) == []
    assert mailbox.messages == []  # nothing went over SMTP


def test_a_message_notify_refuses_is_marked_and_the_others_still_go_and_nothing_personal_is_logged(app, notify, caplog):
    database = app.extensions["cme.database"]
    queue(database, "jo@example.com", "not-an-address@example", "sam@example.com")

    def answer(payload):
        if payload["email_address"] == "not-an-address@example":
            return 400, {
                "status_code": 400,
                "errors": [{"error": "ValidationError", "message": "email_address Not a valid email address"}],
            }
        return 201, {"id": str(uuid.uuid4())}

    notify.answer = answer
    with caplog.at_level("DEBUG"):
        outcome = mail.send_pending(database.sessionmaker, notify_settings(notify.url))
    assert outcome == mail.Outcome(sent=2, waiting=1, given_up=0)
    assert len(notify.requests) == 3
    [left] = outbox(database)
    assert (left.to_address, left.attempts, left.claimed_until) == ("not-an-address@example", 1, None)
    assert left.last_error == "NotifyError: 400 email_address Not a valid email address"
    assert "1 email(s) not sent, kept in the outbox: NotifyError" in caplog.text
    for private in ("jo@example.com", "not-an-address@example", "sam@example.com", "Body", "assigned to you"):
        assert private not in caplog.text


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (403, {"status_code": 403, "errors": [{"error": "AuthError", "message": "Invalid token: API key not found"}]}),
        (429, {"status_code": 429, "errors": [{"error": "RateLimitError", "message": "Exceeded rate limit"}]}),
        (500, {"status_code": 500, "errors": [{"error": "Exception", "message": "Internal server error"}]}),
    ],
)
def test_a_refused_key_a_rate_limit_or_notify_failing_keeps_everything_for_the_next_try(app, notify, status, answer):
    database = app.extensions["cme.database"]
    queue(database, "jo@example.com", "sam@example.com", "alex@example.com")
    notify.answer = lambda payload: (status, answer)
    outcome = mail.send_pending(database.sessionmaker, notify_settings(notify.url))
    assert outcome == mail.Outcome(sent=0, waiting=3, given_up=0)
    assert len(notify.requests) == 1  # the first failure stops the run: the rest are not tried
    left = outbox(database)
    assert [message.attempts for message in left] == [1, 1, 1]
    assert all(message.claimed_until is None for message in left)
    assert {message.last_error for message in left} == {f"NotifyError: {status} {answer['errors'][0]['message']}"}

    notify.answer = lambda payload: (201, {"id": str(uuid.uuid4())})
    assert mail.send_pending(database.sessionmaker, notify_settings(notify.url)) == mail.Outcome(3, 0, 0)
    assert outbox(database) == []


def test_when_notify_cannot_be_reached_everything_waits(app):
    database = app.extensions["cme.database"]
    queue(database, "jo@example.com", "sam@example.com")
    outcome = mail.send_pending(database.sessionmaker, notify_settings("http://127.0.0.1:1"))
    assert outcome == mail.Outcome(sent=0, waiting=2, given_up=0)
    assert [message.attempts for message in outbox(database)] == [1, 1]


def test_a_key_without_a_template_keeps_everything_rather_than_have_notify_refuse_each(app, notify):
    database = app.extensions["cme.database"]
    queue(database, "jo@example.com")
    settings = mail.MailSettings(
        "127.0.0.1", _SMTP["port"], False, None, None, "x@northbridge.example", notify_api_key=API_KEY
    )
    assert mail.send_pending(database.sessionmaker, settings) == mail.Outcome(sent=0, waiting=1, given_up=0)
    assert notify.requests == []
    [left] = outbox(database)
    assert left.last_error == "ValueError: NOTIFY_TEMPLATE_ID is not set"


def test_without_a_key_email_goes_over_smtp(app, notify, mailbox):
    database = app.extensions["cme.database"]
    queue(database, "jo@example.com")
    settings = mail.MailSettings.from_config(app.config)
    assert not settings.uses_notify and settings.transport == f"SMTP server 127.0.0.1:{_SMTP['port']}"
    assert mail.send_pending(database.sessionmaker, settings) == mail.Outcome(sent=1, waiting=0, given_up=0)
    [message] = mailbox.wait_for(1)
    assert (message["To"], message["Subject"]) == ("jo@example.com", "Case CS-643D-ZVM9 is assigned to you (0)")
    assert notify.requests == []


def test_cme_mail_send_says_it_sent_through_notify_and_never_shows_the_key(database_url, notify, mailbox):
    app = make_app(database_url, NOTIFY_API_KEY=API_KEY, NOTIFY_TEMPLATE_ID=TEMPLATE_ID, NOTIFY_BASE_URL=notify.url)
    try:
        queue(app.extensions["cme.database"], "jo@example.com")
        result = app.test_cli_runner().invoke(args=["mail", "send"])
    finally:
        app.extensions["cme.database"].dispose()
    assert (result.exit_code, result.output) == (0, "Sent 1 email(s) through GOV.UK Notify; 0 still waiting.\n")
    assert [request["json"]["email_address"] for request in notify.requests] == ["jo@example.com"]
    assert "email_reply_to_id" not in notify.requests[0]["json"]  # none configured
    assert mailbox.messages == []
    assert SECRET not in repr(mail.MailSettings.from_config(app.config))


def test_the_notify_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CME_NOTIFY_API_KEY", API_KEY)
    monkeypatch.setenv("NOTIFY_TEMPLATE_ID", TEMPLATE_ID)
    monkeypatch.delenv("CME_NOTIFY_TEMPLATE_ID", raising=False)
    monkeypatch.delenv("CME_NOTIFY_EMAIL_REPLY_TO_ID", raising=False)
    monkeypatch.delenv("NOTIFY_EMAIL_REPLY_TO_ID", raising=False)
    monkeypatch.delenv("CME_NOTIFY_BASE_URL", raising=False)
    monkeypatch.delenv("NOTIFY_BASE_URL", raising=False)
    settings = config.load(CME_ENV="test", SECRET_KEY="k" * 48)
    assert (settings["NOTIFY_API_KEY"], settings["NOTIFY_TEMPLATE_ID"]) == (API_KEY, TEMPLATE_ID)
    assert settings["NOTIFY_EMAIL_REPLY_TO_ID"] is None
    assert settings["NOTIFY_BASE_URL"] == "https://api.notifications.service.gov.uk"
    assert mail.MailSettings.from_config(settings).transport == "GOV.UK Notify"


def test_production_refuses_a_notify_key_without_its_template(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgresql://cme@db.internal/cme")
    monkeypatch.delenv("CME_COOKIE_SECURE", raising=False)
    monkeypatch.delenv("MAIL_USE_TLS", raising=False)
    monkeypatch.setenv("CME_SERVICE_URL", "https://cme.northbridge.example")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379")
    monkeypatch.setenv("CME_TASKS_URL", "redis://127.0.0.1:6379/1")
    for name in ("TEMPLATE_ID", "BASE_URL"):
        monkeypatch.delenv(f"CME_NOTIFY_{name}", raising=False)
        monkeypatch.delenv(f"NOTIFY_{name}", raising=False)
    monkeypatch.setenv("NOTIFY_API_KEY", API_KEY)
    with pytest.raises(config.InsecureConfiguration) as error:
        config.load(CME_ENV="production")
    assert error.value.reasons == [
        "NOTIFY_TEMPLATE_ID must be set with NOTIFY_API_KEY: the GOV.UK Notify email template whose subject is "
        "((subject)) and body ((body))"
    ]
    monkeypatch.setenv("NOTIFY_TEMPLATE_ID", TEMPLATE_ID)
    assert config.load(CME_ENV="production")["NOTIFY_TEMPLATE_ID"] == TEMPLATE_ID
