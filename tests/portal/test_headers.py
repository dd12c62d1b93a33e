"""Security headers on every answer the service gives: pages, redirects, refusals, error pages, static files, the
dashboard's scripts and callbacks, health checks and downloads. The values are exact; the content security policy
never lets an inline script run without its nonce or hash."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.exc import OperationalError

from tests.conftest import make_app, sign_in
from tests.test_permission_matrix import form_token, probes  # noqa: F401  (probes: the fixture)

HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
NONCE = re.compile(r"'nonce-[A-Za-z0-9_-]{24}'")
HASH = re.compile(r"'sha256-[A-Za-z0-9+/]{43}='")
POLICY = {
    "default-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# Dash's renderer and plotly add <style> elements as they draw, so the dashboard allows inline styles (never
# scripts): without it Chromium reports a style-src violation on every dashboard page and the charts lose their look.
DASHBOARD_POLICY = {**POLICY, "style-src": "'self' 'unsafe-inline'"}


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def header_problems(response, url: str) -> list[str]:
    """What is missing or wrong in the answer's security headers (nothing, when they are right). `url` may start
    with the method."""
    dashboard = url.split(" ")[-1].startswith("/dashboard/")
    problems = [
        f"{url}: {name} is {response.headers.get(name)!r}"
        for name, value in HEADERS.items()
        if response.headers.get(name) != value
    ]
    path = url.split(" ")[-1]
    # Files that hold nothing about anyone may be cached, and so may the school picker's answers (the register's
    # public facts, kept by the person's own browser only); everything else may hold a child's details.
    cacheable = path.startswith(("/assets/", "/dashboard/_dash-component-suites/", "/dashboard/assets/")) or (
        path.startswith("/schools/school-search") and response.headers.get("Cache-Control") == "private, max-age=300"
    )
    if not cacheable and response.headers.get("Cache-Control") != "no-store":
        problems.append(f"{url}: Cache-Control is {response.headers.get('Cache-Control')!r}")
    found = directives(response)
    script_src = found.pop("script-src", "").split(" ")
    if script_src[:2] != ["'self'", script_src[1]] or not NONCE.fullmatch(script_src[1]):
        problems.append(f"{url}: script-src starts {script_src[:2]}")
    # The dashboard's pages add the hashes of Dash's own inline scripts; nothing else may run inline.
    extra = script_src[2:]
    if any(not HASH.fullmatch(source) for source in extra) or (extra and not dashboard):
        problems.append(f"{url}: script-src allows {extra}")
    if found != (DASHBOARD_POLICY if dashboard else POLICY):
        problems.append(f"{url}: the policy is {found}")
    return problems


def nonce_of(response) -> str:
    return NONCE.search(response.headers["Content-Security-Policy"]).group(0)[7:-1]


@pytest.mark.parametrize("role", [None, "school", "admin"], ids=["anonymous", "school", "admin"])
def test_every_route_answers_with_the_security_headers(app, users, probes, role):  # noqa: F811
    client = app.test_client()
    if role:
        sign_in(client, f"{role}@northbridge.example")
    problems, statuses = [], set()
    for probe in probes:
        if probe.method == "POST" and probe.json is not None:
            response = client.post(probe.url, json=probe.json)
        elif probe.method == "POST":
            response = client.post(probe.url, data={"csrf_token": form_token(client, app)})
        else:
            response = client.open(probe.url, method=probe.method)
        statuses.add(response.status_code)
        problems += header_problems(response, f"{probe.method} {probe.url}")
    assert problems == []
    # Between them the three cover pages, redirects, refusals and the other school's records.
    assert statuses >= ({200, 302, 401} if role is None else {200, 302, 403})


def test_the_dashboard_allows_only_dash_s_own_inline_scripts(app, client, users):
    sign_in(client, "officer@northbridge.example")
    response = client.get("/dashboard/")
    script_src = directives(response)["script-src"].split(" ")
    assert len(script_src) > 2 and all(HASH.fullmatch(source) for source in script_src[2:])
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src


def test_each_answer_has_a_fresh_nonce_and_the_page_s_scripts_carry_it(client):
    first, second = client.get("/"), client.get("/")
    assert nonce_of(first) != nonce_of(second)
    inline = [tag for tag in re.findall(r"<script[^>]*>", second.get_data(as_text=True)) if " src=" not in tag]
    assert inline == [f'<script nonce="{nonce_of(second)}">']


def test_static_files_and_health_checks_carry_the_headers(client):
    for url in ("/assets/cme.css", "/assets/init.mjs", "/assets/favicon.svg", "/healthz", "/readyz"):
        response = client.get(url)
        assert (response.status_code, header_problems(response, url)) == (200, [])


# Error pages: each provoked as it happens ---------------------------------------------------------------------------


def test_not_found_method_not_allowed_and_a_stale_form_carry_the_headers(client):
    answers = {
        "/no-such-page": client.get("/no-such-page"),
        "DELETE /": client.delete("/"),
        "/assets/no-such-file.css": client.get("/assets/no-such-file.css"),
        "a report page without a token": client.post("/report/child-name", data={"child_first_name": "Ava"}),
    }
    assert {url: response.status_code for url, response in answers.items()} == {
        "/no-such-page": 404,
        "DELETE /": 405,
        "/assets/no-such-file.css": 404,
        "a report page without a token": 200,  # the page again, with the stale-page message
    }
    assert [problem for url, response in answers.items() for problem in header_problems(response, url)] == []


def test_a_body_too_large_carries_the_headers(database_url):
    app = make_app(database_url, MAX_CONTENT_LENGTH=1024)
    try:
        response = app.test_client().post("/sign-in", data={"email": "x" * 4096})
        assert (response.status_code, header_problems(response, "/sign-in")) == (413, [])
    finally:
        app.extensions["cme.database"].dispose()


def test_too_many_attempts_carry_the_headers(database_url, users):
    # A day, not a minute: a window that ends between the two requests (a slow machine) would let the second in.
    app = make_app(database_url, SIGN_IN_RATE_LIMIT="1 per day")
    try:
        client = app.test_client()
        statuses = [client.post("/sign-in", data={"email": "a@b.example"}).status_code for _ in range(2)]
        response = client.post("/sign-in", data={"email": "a@b.example"})
        assert (statuses[1], response.status_code, header_problems(response, "/sign-in")) == (429, 429, [])
    finally:
        app.extensions["cme.database"].dispose()


def test_a_failure_and_an_unreachable_database_carry_the_headers(app, client, monkeypatch):
    def broken():
        raise RuntimeError("a bug")

    def database_down():
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setitem(app.view_functions, "main.privacy", broken)
    monkeypatch.setitem(app.view_functions, "main.cookies", database_down)
    failed, unavailable = client.get("/privacy"), client.get("/cookies")
    assert (failed.status_code, header_problems(failed, "/privacy")) == (500, [])
    assert (unavailable.status_code, header_problems(unavailable, "/cookies")) == (503, [])


def test_downloads_carry_the_headers(app, users):
    manager, school = app.test_client(), app.test_client()
    sign_in(manager, "manager@northbridge.example")
    sign_in(school, "school@northbridge.example")
    answers = {
        "/dashboard/export/open-cases.csv": manager.get("/dashboard/export/open-cases.csv"),
        "/dashboard/export/open-cases.xlsx": manager.get("/dashboard/export/open-cases.xlsx"),
        "/schools/notices/csv-template": school.get("/schools/notices/csv-template"),
    }
    for url, response in answers.items():
        assert (response.status_code, header_problems(response, url)) == (200, [])
        assert response.headers["Content-Disposition"].startswith("attachment")


def test_a_request_the_page_cannot_read_carries_the_headers(client, users):
    sign_in(client, "lead@northbridge.example")
    url = "/dashboard/_dash-update-component"
    response = client.post(url, data="{not json", content_type="application/json")
    assert (response.status_code, header_problems(response, url)) == (400, [])
