"""The property tests' app: the same as every test's, but with rate limits high enough that hundreds of hostile
posts in one test are each answered on their merits rather than with 429. (The limiter stays on: sign-in keeps its
count of unknown addresses in the limiter's store.)"""

from __future__ import annotations

import pytest

from tests.conftest import sign_in


@pytest.fixture
def app(app):
    """The worker's app with these limits for this test (each test starts again from make_app's settings)."""
    plenty = "100000 per minute"
    app.config.update(
        SIGN_IN_RATE_LIMIT=plenty,
        REPORT_SUBMIT_RATE_LIMIT=plenty,
        REPORT_PAGE_RATE_LIMIT=plenty,
        REPORT_LOOKUP_RATE_LIMIT=plenty,
    )
    return app


class SignedIn:
    """A client signed in as each user asked for, made once per test: signing in hashes a password, too slow to do
    for every example. Each example still fetches its own form, with its own token."""

    def __init__(self, app):
        self.app = app
        self.clients = {}

    def __call__(self, email: str):
        if email not in self.clients:
            client = self.app.test_client()
            sign_in(client, email)
            self.clients[email] = client
        return self.clients[email]


@pytest.fixture
def signed_in(app, users) -> SignedIn:
    return SignedIn(app)
