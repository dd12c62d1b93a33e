"""Public pages, error pages, health and the headers every response carries."""

import shutil

import pytest
from flask import abort
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from tests.conftest import (
    csrf_token,
    database_unreachable,
    error_summary,
    get_page,
    make_app,
    parse,
    sign_in,
    text_of,
)
from tests.tcp_proxy import TcpProxy
from webcommon.forms import NOT_SAVED


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/", "Tell us about a child who may be missing education"),
        ("/sign-in", "Sign in"),
        ("/accessibility", "Accessibility statement for the Children Missing Education service"),
        ("/privacy", "Privacy notice"),
        ("/cookies", "Cookies"),
    ],
)
def test_public_pages(client, url, heading):
    page = get_page(client, url)
    assert page.h1.get_text(strip=True) == heading
    assert page.title.get_text(strip=True) == f"{heading} - Children missing education - Northbridge Council"


def test_the_start_page_gives_the_urgent_numbers_first(client):
    page = get_page(client, "/")
    urgent = text_of(page.find(class_="cme-urgent"))
    assert urgent == (
        "If a child is in immediate danger, call 999. If you are worried about a child's safety, "
        "contact children's social care on 01632 960111 (out of hours 01632 960999). Do this "
        "before you contact us."
    )


def test_the_header_is_the_council_s_not_gov_uk_s(client):
    page = get_page(client, "/")
    assert text_of(page.find(class_="govuk-generic-header")) == "Northbridge Council"
    assert page.find("a", class_="govuk-footer__link", href="/accessibility")
    assert "Crown copyright" not in page.get_text()
    assert page.find("link", rel="icon")["href"] == "/assets/favicon.svg"


def test_the_cookies_page_names_the_one_cookie_the_service_sets(client, users):
    sign_in(client, "officer@northbridge.example")
    names = {cookie.key for cookie in client._cookies.values()}
    assert names == {"cme_session"}
    assert "cme_session" in get_page(client, "/cookies").find("table").get_text()


def test_unknown_pages_get_the_404_page(client):
    page = get_page(client, "/no-such-page", status=404)
    assert page.h1.get_text(strip=True) == "Page not found"


def test_a_failure_shows_the_500_page_and_never_a_stack_trace(database_url):
    app = make_app(database_url)

    @app.route("/broken")
    def broken():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/broken")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert parse(response).h1.get_text(strip=True) == "Sorry, there is a problem with the service"
    assert "secret internals" not in body and "Traceback" not in body


def test_a_failure_after_reading_the_database_shows_the_500_page_to_a_signed_in_user(database_url, users):
    app = make_app(database_url)

    @app.route("/broken-after-reading")
    def broken_after_reading():
        from flask_login import current_user

        assert current_user.role == "officer"  # the user was loaded from the request's database session
        raise RuntimeError("secret internals")

    client = app.test_client()
    sign_in(client, "officer@northbridge.example")
    response = client.get("/broken-after-reading")
    assert response.status_code == 500
    page = parse(response)
    assert page.h1.get_text(strip=True) == "Sorry, there is a problem with the service"
    assert "Sign out" in page.get_text()  # the page still knows who is signed in
    app.extensions["cme.database"].dispose()


def test_an_answer_made_stands_when_the_database_drops_the_connection_before_the_request_ends(database_url):
    """A database restart or failover just after a page's last query: the request's end cannot roll back on that
    connection, and the page already made is still the answer (not a bare error from the server)."""
    from sqlalchemy import text

    from portal.database import db_session

    app = make_app(database_url)

    @app.route("/read-then-lost")
    def read_then_lost():
        session = db_session()
        session.execute(text("SELECT 1"))

        def dropped():
            raise OperationalError("ROLLBACK", {}, Exception("terminating connection due to administrator command"))

        session.rollback = dropped
        return "the page"

    response = app.test_client().get("/read-then-lost")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "the page")
    app.extensions["cme.database"].dispose()


def test_other_error_codes_keep_their_status_with_their_class_s_page(database_url):
    app = make_app(database_url)

    @app.get("/gone")
    def gone():
        abort(410)

    @app.get("/not-built")
    def not_built():
        abort(501)

    client = app.test_client()
    gone_response, not_built_response = client.get("/gone"), client.get("/not-built")
    assert (gone_response.status_code, parse(gone_response).h1.get_text(strip=True)) == (
        410,
        "There is a problem with your request",
    )
    assert (not_built_response.status_code, parse(not_built_response).h1.get_text(strip=True)) == (
        501,
        "Sorry, there is a problem with the service",
    )


def test_a_wrong_method_gets_405_with_the_allowed_methods(client):
    response = client.delete("/sign-in")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert parse(response).h1.get_text(strip=True) == "There is a problem with your request"


def test_a_request_over_the_size_limit_gets_the_413_page(database_url):
    app = make_app(database_url, MAX_CONTENT_LENGTH=1024)
    response = app.test_client().post("/sign-in", data={"email": "x" * 5000})
    assert response.status_code == 413
    assert parse(response).h1.get_text(strip=True) == "The file is too large"


def test_healthz_says_the_database_is_reachable(client):
    response = client.get("/healthz")
    assert (response.status_code, response.json) == (200, {"status": "ok", "database": "ok", "schema": "0010"})


def test_healthz_says_503_for_a_database_that_was_never_migrated(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.json) == (
        503,
        {"status": "unavailable", "database": "unreachable or not migrated"},
    )


def test_when_the_database_cannot_be_reached_pages_say_503_and_recover_by_themselves(database_template, tmp_path):
    if database_template.kind == "sqlite":
        folder = tmp_path / "gone"
        app = make_app(f"sqlite:///{folder / 'cme.sqlite'}")

        def restore():
            folder.mkdir()
            shutil.copyfile(database_template.template_path, folder / "cme.sqlite")
    else:
        url = make_url(database_template.url)
        proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
        proxy.start()
        app = make_app(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
        assert app.test_client().get("/healthz").status_code == 200
        proxy.cut()
        restore = proxy.start
    client = app.test_client()
    assert client.get("/healthz").status_code == 503
    assert client.get("/healthz").json == {"status": "unavailable", "database": "unreachable or not migrated"}
    # Pages that need no records still work; signing in needs them: the page comes back (503) with the email
    # address kept and the message that nothing was sent.
    page = get_page(client, "/sign-in")
    response = client.post(
        "/sign-in", data={"csrf_token": csrf_token(page), "email": "a@b.example", "password": "x" * 12}
    )
    assert response.status_code == 503
    shown = parse(response)
    assert shown.h1.get_text(strip=True) == "Sign in"
    assert error_summary(shown) == [(NOT_SAVED, "#email")]
    assert shown.find(id="email")["value"] == "a@b.example"
    assert shown.find(id="password").get("value") is None
    # The database comes back: no restart needed.
    restore()
    assert client.get("/healthz").status_code == 200
    app.extensions["cme.database"].dispose()


def test_a_database_outage_mid_request_gives_the_503_page(database_url, users):
    app = make_app(database_url)
    client = app.test_client()
    sign_in(client, "officer@northbridge.example")
    with database_unreachable(app):
        response = client.get("/staff/")
    assert response.status_code == 503
    page = parse(response)
    assert page.h1.get_text(strip=True) == "Sorry, the service is unavailable"
    assert "01632 960000" in page.get_text()
    assert client.get("/staff/").status_code == 200
    app.extensions["cme.database"].dispose()


def test_every_response_carries_the_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("style-src")[0]  # no inline script
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["Cache-Control"] == "no-store"
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.get_data(as_text=True)
    assert client.get("/").headers["Content-Security-Policy"] != csp  # a fresh nonce each time


def test_static_files_may_be_cached_but_a_missing_one_s_error_page_may_not(client):
    assert client.get("/assets/cme.css").headers.get("Cache-Control", "") != "no-store"
    assert client.get("/assets/no-such-file.css").headers["Cache-Control"] == "no-store"


def test_behind_a_trusted_proxy_each_client_has_its_own_sign_in_limit(database_url, users):
    app = make_app(database_url, PROXY_HOPS=1, SIGN_IN_RATE_LIMIT="2 per minute")

    def attempt(client_address: str, email: str) -> int:
        client = app.test_client()
        page = parse(client.get("/sign-in"))
        return client.post(
            "/sign-in",
            headers={"X-Forwarded-For": client_address},
            data={"csrf_token": csrf_token(page), "email": email, "password": "wrong"},
        ).status_code

    assert [attempt("203.0.113.1", f"a{n}@northbridge.example") for n in range(3)] == [200, 200, 429]
    assert attempt("203.0.113.2", "b@northbridge.example") == 200
    app.extensions["cme.database"].dispose()
