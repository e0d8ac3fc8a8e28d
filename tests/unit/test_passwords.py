"""Password hashing: argon2id, policy, rehash when parameters change."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from dashboard.auth import passwords


@pytest.fixture(autouse=True)
def cheap():
    previous = passwords.set_hasher(PasswordHasher.from_parameters(CHEAPEST))
    yield
    passwords.set_hasher(previous)


def test_hash_is_argon2id_and_verifies():
    h = passwords.hash_password("correct horse battery")
    assert h.startswith("$argon2id$")
    assert passwords.verify_password(h, "correct horse battery")
    assert not passwords.verify_password(h, "correct horse batterY")


def test_same_password_gets_a_new_salt():
    assert passwords.hash_password("a long passphrase") != passwords.hash_password("a long passphrase")


@pytest.mark.parametrize("bad", ["short", "elevenchars", " " * 20, "x" * (passwords.MAX_LENGTH + 1)])
def test_policy_refuses(bad):
    with pytest.raises(passwords.PasswordPolicyError):
        passwords.hash_password(bad)


def test_minimum_length_is_twelve():
    assert passwords.MIN_LENGTH == 12
    passwords.check_policy("x" * 12)


def test_garbage_hash_never_verifies():
    assert not passwords.verify_password("not-a-hash", "whatever password")
    assert passwords.needs_rehash("not-a-hash")


def test_rehash_needed_when_parameters_change():
    old = passwords.hash_password("correct horse battery")
    assert not passwords.needs_rehash(old)
    passwords.set_hasher(PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1))
    assert passwords.needs_rehash(old)
    assert passwords.verify_password(old, "correct horse battery")
    new = passwords.rehash_password("correct horse battery")
    assert not passwords.needs_rehash(new)


def test_default_hasher_is_argon2id():
    assert PasswordHasher().type.name == "ID"


def test_dummy_verification_runs():
    passwords.spend_verify_time("anything at all")
