"""Argon2id for the two secrets the service keeps only as hashes: staff and school users' passwords, and the
secret phrase a reporter adds information to their report with.

Each has its production parameters, fixed here. The test configuration (`CME_ENV=test`) swaps both for the
cheapest parameters argon2 allows, so that a test suite making and checking hundreds of passwords does not spend
minutes hashing; nothing else can choose them, and production refuses to start with them
(config.check_production). A hash records its own parameters, so any hash verifies whichever are in use.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PRODUCTION, TEST = "production", "test"
PROFILES = (PRODUCTION, TEST)


@dataclass(frozen=True)
class Argon2Parameters:
    time_cost: int
    memory_cost: int  # KiB
    parallelism: int


# Passwords: argon2-cffi's defaults, RFC 9106's second recommended option (64 MiB, 3 passes, 4 lanes).
PASSWORD_PARAMETERS = Argon2Parameters(time_cost=3, memory_cost=64 * 1024, parallelism=4)
# Secret phrases: OWASP's recommended argon2id settings (19 MiB, 2 passes, 1 lane), about 25 ms a hash here against
# 160 ms for the password parameters, which every sending would wait on. Guessing a five-word phrase offline still
# takes about 2**40 hashes (hundreds of CPU-years), and online guesses are rate limited per report.
PHRASE_PARAMETERS = Argon2Parameters(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# The test configuration's, for both: the least argon2 accepts (8 KiB, one pass, one lane).
TEST_PARAMETERS = Argon2Parameters(time_cost=1, memory_cost=8, parallelism=1)


class Hasher:
    """One kind of secret's hashing: hash, verify, and whether a stored hash was made with other parameters."""

    def __init__(self, production: Argon2Parameters):
        self.production = production
        self.use(PRODUCTION)

    def use(self, profile: str) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown hashing profile {profile!r}: use one of {', '.join(PROFILES)}")
        parameters = self.production if profile == PRODUCTION else TEST_PARAMETERS
        self.parameters = parameters
        self._hasher = PasswordHasher(
            time_cost=parameters.time_cost, memory_cost=parameters.memory_cost, parallelism=parameters.parallelism
        )
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, secret: str) -> str:
        return self._hasher.hash(secret)

    def verify(self, stored: str | None, secret: str) -> bool:
        """Whether `secret` matches `stored`. With nothing stored (an unknown email, a report without a phrase), a
        made-up hash is checked instead, so the answer (no) takes as long as for a real one."""
        matched: bool
        try:
            matched = self._hasher.verify(stored or self._dummy, secret)
        except (VerificationError, InvalidHashError):
            matched = False
        return matched and bool(stored)

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)


passwords = Hasher(PASSWORD_PARAMETERS)
phrases = Hasher(PHRASE_PARAMETERS)


def use(profile: str) -> None:
    """Hash with the production parameters, or the test configuration's, from now on in this process."""
    for hasher in (passwords, phrases):
        hasher.use(profile)
