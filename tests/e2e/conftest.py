"""A live server on a free port and Debian's Chromium driven by Playwright (never `playwright install`)."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import skip_or_fail

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) and shutil.which(CHROMIUM)):
        skip_or_fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    if not os.path.exists("portal/static/cme.css"):
        skip_or_fail("the front-end assets are not built (scripts/build-assets.sh)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def app_for_rendering(live_server):
    return live_server.app


@pytest.fixture(scope="session")
def _live_server(_session_app):
    """One server per worker for the whole run, serving the worker's one app."""
    app, _state = _session_app
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def live_server(app, _live_server):
    """The worker's server, its app on a database as the migrations left it."""
    return _live_server


class LiveServer(str):
    """The server's base URL, carrying the app it serves."""

    def __new__(cls, url: str, app):
        server = super().__new__(cls, url)
        server.app = app
        return server


class Browsing:
    """One person's browser: pages opened here report console errors and failed requests."""

    def __init__(self, browser, base_url: str, javascript: bool = True):
        self.base_url = base_url
        self.context = browser.new_context(java_script_enabled=javascript, base_url=base_url)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", self._request_failed)

    def _request_failed(self, request) -> None:
        # A request the browser itself dropped because the page moved on (a favicon still loading when a link is
        # followed) is not a failure of the service.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"failed: {request.url}")

    def close(self):
        self.context.close()


@pytest.fixture
def person(browser, live_server):
    browsing = Browsing(browser, live_server)
    yield browsing
    browsing.close()


@pytest.fixture
def person_without_javascript(browser, live_server):
    browsing = Browsing(browser, live_server, javascript=False)
    yield browsing
    browsing.close()
