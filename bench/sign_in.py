"""Signing a benchmark's user in as a person does: the sign-in page's form with the password, then, for staff, the
security code their authenticator app shows. Every benchmark's users have the one password, and its staff the one
authenticator app, set up before the run (`enrol`).

Each benchmark has its own HTTP client (Flask's test client, `requests`, `http.client`): it hands `sign_in` two
functions that send a GET and a POST with that client, keeping its cookies, and give back what came back."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

import pyotp

PASSWORD = "spruce lantern harbour 7"  # not containing a user's name or email address, as the rules require
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # the staff users' authenticator app
TWO_FACTOR = "/sign-in/two-factor"
SCHOOL_HOME = "/schools/"

_CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
_VALUE = re.compile(r'value="([^"]*)"')


class Unexpected(Exception):
    """A page a benchmark did not expect: another status, another place, or a form with no token."""


class Answer(NamedTuple):
    status: int
    location: str  # the Location header, "" when there is none
    body: str


Get = Callable[[str], Answer]
Post = Callable[[str, dict], Answer]


def csrf_token(page: str) -> str:
    """The form token in a page's form."""
    found = _CSRF_INPUT.search(page)
    if not found:
        raise Unexpected("no form token on the page")
    return html.unescape(_VALUE.search(found.group(0)).group(1))


def enrol(user, now: datetime) -> None:
    """As if the staff user had set up their authenticator app at a first sign-in."""
    user.totp_secret, user.totp_confirmed_at = TOTP_SECRET, now


def sign_in(get: Get, post: Post, email: str, staff: bool = True) -> None:
    """Sign in: a school user lands on their school's pages after the password, staff give the security code next
    and land anywhere but the sign-in pages."""
    answer = post("/sign-in", {"csrf_token": csrf_token(get("/sign-in").body), "email": email, "password": PASSWORD})
    arrived = answer.location == TWO_FACTOR if staff else answer.location.startswith(SCHOOL_HOME)
    if answer.status != 302 or not arrived:
        raise Unexpected(f"signing in as {email} answered {answer.status} {answer.location}".rstrip())
    if not staff:
        return
    code = pyotp.TOTP(TOTP_SECRET).now()
    answer = post(TWO_FACTOR, {"csrf_token": csrf_token(get(TWO_FACTOR).body), "code": code})
    if answer.status != 302 or answer.location.startswith("/sign-in"):
        raise Unexpected(f"{email}'s security code answered {answer.status} {answer.location}".rstrip())
