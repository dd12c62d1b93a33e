"""Passwords and secret phrases are kept as argon2id hashes with production's parameters; only the test
configuration hashes cheaply, and a hash made either way is checked the same way."""

import pytest

from shared import hashing
from shared.services import users

PRODUCTION_PASSWORD = "$argon2id$v=19$m=65536,t=3,p=4$"
PRODUCTION_PHRASE = "$argon2id$v=19$m=19456,t=2,p=1$"
TEST = "$argon2id$v=19$m=8,t=1,p=1$"


@pytest.fixture(autouse=True)
def test_configuration():
    """As the test configuration leaves it (CME_ENV=test), whatever ran before in this process."""
    hashing.use(hashing.TEST)


@pytest.fixture
def production(test_configuration):
    hashing.use(hashing.PRODUCTION)
    yield
    hashing.use(hashing.TEST)


def test_production_hashes_passwords_with_64_mib_3_passes_and_4_lanes(production):
    assert users.hash_password("correct horse battery staple").startswith(PRODUCTION_PASSWORD)


def test_production_hashes_secret_phrases_with_owasps_19_mib_2_passes_and_1_lane(production):
    assert hashing.phrases.hash("amber river seven lantern").startswith(PRODUCTION_PHRASE)


def test_the_test_configuration_hashes_both_with_the_least_argon2_allows():
    assert users.hash_password("correct horse battery staple").startswith(TEST)
    assert hashing.phrases.hash("amber river seven lantern").startswith(TEST)


def test_a_hash_made_with_either_parameters_is_checked_and_flagged_for_rehashing(production):
    made_in_production = hashing.passwords.hash("correct horse battery staple")
    hashing.use(hashing.TEST)
    made_in_test = hashing.passwords.hash("correct horse battery staple")
    assert hashing.passwords.verify(made_in_production, "correct horse battery staple") is True
    assert hashing.passwords.verify(made_in_production, "wrong horse battery staple") is False
    assert (hashing.passwords.needs_rehash(made_in_production), hashing.passwords.needs_rehash(made_in_test)) == (
        True,
        False,
    )
    hashing.use(hashing.PRODUCTION)
    assert hashing.passwords.verify(made_in_test, "correct horse battery staple") is True
    assert hashing.passwords.needs_rehash(made_in_test) is True


def test_nothing_stored_never_matches_even_the_made_up_hashs_own_secret(monkeypatch):
    # The made-up hash checked when nothing is stored is of a random secret; here it is of one the test knows.
    monkeypatch.setattr(hashing.passwords, "_dummy", hashing.passwords.hash("guessed"))
    assert hashing.passwords.verify(None, "guessed") is False
    assert hashing.passwords.verify("", "guessed") is False
    assert hashing.passwords.verify(hashing.passwords.hash("guessed"), "guessed") is True


def test_an_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="unknown hashing profile 'fast': use one of production, test"):
        hashing.use("fast")
