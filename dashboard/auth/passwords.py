"""Password hashing with argon2id (argon2-cffi) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 1024

_hasher = PasswordHasher()  # argon2id with the RFC 9106 low-memory profile
_dummy_hash: str | None = None


class PasswordPolicyError(ValueError):
    """A password that does not meet the policy."""


def set_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Use other argon2 parameters (stronger in production, cheaper in tests); returns the previous hasher."""
    global _hasher, _dummy_hash
    previous, _hasher, _dummy_hash = _hasher, hasher, None
    return previous


def check_policy(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(f"A password needs at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(f"A password may have at most {MAX_LENGTH} characters.")
    if not password.strip():
        raise PasswordPolicyError("A password cannot be only spaces.")


def hash_password(password: str) -> str:
    check_policy(password)
    return _hasher.hash(password)


def rehash_password(password: str) -> str:
    """A fresh hash with the current parameters for a password that was just verified."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than the current hasher's."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def spend_verify_time(password: str) -> None:
    """Verify against a dummy hash so a login for an unknown user takes as long as a real one."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("dummy password for timing only")
    verify_password(_dummy_hash, password)
