"""The service's logs as a council's log collector reads them: one JSON object a line, each request's lines
with its request id, and nothing a reporter typed."""

import json
import re

import pytest

from tests.conftest import csrf_token, get_page, make_app
from webcommon.access import public

ACCESS_KEYS = ["time", "level", "logger", "message", "request_id", "method", "path", "status", "duration_ms"]
GENERATED_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_app(database_url):
    app = make_app(database_url, LOG_FORMAT="json")
    yield app
    app.extensions["cme.database"].dispose()


def log_lines(capsys) -> list[dict]:
    """Every line written to standard error so far, each parsed as JSON (so each must be JSON)."""
    return [json.loads(line) for line in capsys.readouterr().err.splitlines()]


def access_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "portal.access"]


def test_a_request_id_from_the_proxy_is_sent_back_and_is_on_the_access_line(json_app, capsys):
    capsys.readouterr()
    response = json_app.test_client().get("/cookies?search=Okafor", headers={"X-Request-ID": "nginx-7f3a.b_2"})
    assert response.headers["X-Request-ID"] == "nginx-7f3a.b_2"
    [line] = access_lines(log_lines(capsys))
    assert list(line) == ACCESS_KEYS
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    del line["time"], line["duration_ms"]
    assert line == {
        "level": "INFO",
        "logger": "portal.access",
        "message": "GET /cookies 200",
        "request_id": "nginx-7f3a.b_2",
        "method": "GET",
        "path": "/cookies",  # never the query string: search terms travel there
        "status": 200,
    }


def test_an_invitation_links_token_is_never_logged(json_app, capsys):
    capsys.readouterr()
    token = "k3Yq9-secret-token-from-an-email"
    response = json_app.test_client().get(f"/invitation/{token}")
    output = capsys.readouterr().err
    [line] = access_lines([json.loads(text) for text in output.splitlines()])
    assert (response.status_code, line["path"], line["message"]) == (404, "/invitation/…", "GET /invitation/… 404")
    assert token not in output


@pytest.mark.parametrize(
    "given",
    [None, "", "has space", "a" * 65, "<script>", "id;drop", "caf\u00e9"],
    ids=["absent", "empty", "space", "too-long", "markup", "semicolon", "non-ascii"],
)
def test_a_missing_or_unsafe_request_id_is_replaced_by_a_new_one(json_app, capsys, given):
    headers = {} if given is None else {"X-Request-ID": given}
    client = json_app.test_client()
    capsys.readouterr()
    first, second = client.get("/cookies", headers=headers), client.get("/cookies", headers=headers)
    assert GENERATED_ID.fullmatch(first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    ids = [line["request_id"] for line in access_lines(log_lines(capsys))]
    assert ids == [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]


def test_a_request_id_of_64_safe_characters_is_kept(json_app):
    given = "A-z0.9_" * 9 + "x"
    assert len(given) == 64
    assert json_app.test_client().get("/", headers={"X-Request-ID": given}).headers["X-Request-ID"] == given


def test_a_report_of_a_named_child_leaves_no_name_or_query_string_in_the_logs(json_app, capsys):
    client = json_app.test_client()
    assert client.get("/report/start").status_code == 302
    page = get_page(client, "/report/child-name")
    capsys.readouterr()
    response = client.post(
        "/report/child-name?from=Zanele-Okoro",
        data={
            "csrf_token": csrf_token(page),
            "action": "continue",
            "child_first_name": "Amira",
            "child_last_name": "Okafor",
            "child_other_names": "Mira",
        },
    )
    assert response.status_code == 302
    written = capsys.readouterr().err
    for typed in ("Amira", "Okafor", "Mira", "Zanele", "Okoro", "from="):
        assert typed not in written
    [line] = access_lines([json.loads(text) for text in written.splitlines()])
    assert (line["message"], line["path"], line["status"]) == ("POST /report/child-name 302", "/report/child-name", 302)


def test_an_unexpected_error_is_logged_with_its_type_and_traceback_but_not_its_message(database_url, capsys):
    app = make_app(database_url, LOG_FORMAT="json")

    @public
    def explode():
        # The error's message quotes the value ("invalid literal for int() ..."); the source line does not.
        name = "Amira" + " Okafor"
        return int(name)

    app.add_url_rule("/explode", view_func=explode)
    capsys.readouterr()
    response = app.test_client().get("/explode?child=Okafor", headers={"X-Request-ID": "boom-1"})
    app.extensions["cme.database"].dispose()
    assert response.status_code == 500
    written = capsys.readouterr().err
    assert "Amira" not in written and "Okafor" not in written
    lines = [json.loads(text) for text in written.splitlines()]
    [error] = [line for line in lines if line["logger"] == "portal.errors"]
    assert (error["level"], error["message"], error["request_id"], error["path"]) == (
        "ERROR",
        "unexpected error",
        "boom-1",
        "/explode",
    )
    assert error["exception"]["type"] == "ValueError"
    assert error["exception"]["traceback"].startswith("Traceback (most recent call last):\n")
    assert 'test_logs.py", line' in error["exception"]["traceback"]
    assert "in explode\n    return int(name)" in error["exception"]["traceback"]
    [access] = access_lines(lines)
    assert (access["request_id"], access["status"]) == ("boom-1", 500)


def test_health_probes_are_logged_only_when_not_ok(json_app, capsys, tmp_path):
    capsys.readouterr()
    client = json_app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert access_lines(log_lines(capsys)) == []
    never_migrated = make_app(f"sqlite:///{tmp_path / 'empty.sqlite'}", LOG_FORMAT="json").test_client()
    assert never_migrated.get("/healthz").status_code == 503
    assert never_migrated.get("/readyz").status_code == 503
    lines = access_lines(log_lines(capsys))
    assert [(line["level"], line["message"], line["status"]) for line in lines] == [
        ("INFO", "GET /healthz 503", 503),
        ("INFO", "GET /readyz 503", 503),
    ]


def test_text_logs_are_one_plain_line_with_the_request_id(database_url, capsys):
    app = make_app(database_url, LOG_FORMAT="text")
    capsys.readouterr()
    app.test_client().get("/privacy?q=Okafor", headers={"X-Request-ID": "dev-1"})
    app.extensions["cme.database"].dispose()
    [line] = [text for text in capsys.readouterr().err.splitlines() if " portal.access " in text]
    assert re.fullmatch(r"\S+Z INFO portal\.access \[dev-1\] GET /privacy 200 \d+\.\dms", line)
