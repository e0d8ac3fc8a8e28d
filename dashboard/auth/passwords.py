"""Password hashing with argon2id (argon2-cffi) and the password policy."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import flask
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


COMMON_PASSWORDS = Path(__file__).with_name("data") / "common_passwords.txt"
KEYBOARD_ROWS = ("1234567890", "qwertyuiopasdfghjklzxcvbnm", "abcdefghijklmnopqrstuvwxyz")
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


def strict_mode() -> bool:
    """Production (DSMB_PRODUCTION=1 or the app's ENV_PRODUCTION / DSMB_PRODUCTION): the strength check applies."""
    if os.environ.get("DSMB_PRODUCTION") == "1":
        return True
    config = flask.current_app.config if flask.has_app_context() else {}
    return bool(config.get("ENV_PRODUCTION") or config.get("DSMB_PRODUCTION"))


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords and the words they are built on (lower case)."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _is_sequence(text: str) -> bool:
    """One character repeated, or a run along a keyboard row or the alphabet (either way)."""
    if len(set(text)) <= 2:
        return True
    return any(text in (row * 3) or text in (row[::-1] * 3) for row in KEYBOARD_ROWS)


def weakness(password: str, username: str | None = None) -> str | None:
    """Why a password of acceptable length is still weak (NIST SP 800-63B 5.1.1.2), or None."""
    compact = "".join(password.lower().split())
    core = _EDGES.sub("", compact)
    if compact in common_passwords() or core in common_passwords():
        return "is a commonly used password"
    if not core or _is_sequence(compact) or _is_sequence(core) or len(set(compact)) < 5:
        return "is a repetition or a keyboard or alphabet sequence"
    if username and len(username) >= 3 and username.lower() in compact:
        return "contains the user name"
    return None


def check_policy(password: str, username: str | None = None, *, strict: bool | None = None) -> None:
    """Length always; in production (or `strict=True`) also the common-password and sequence checks."""
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(f"A password needs at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(f"A password may have at most {MAX_LENGTH} characters.")
    if not password.strip():
        raise PasswordPolicyError("A password cannot be only spaces.")
    if strict_mode() if strict is None else strict:
        reason = weakness(password, username)
        if reason:
            raise PasswordPolicyError(f"This password {reason}; choose a longer phrase of unrelated words.")


def hash_password(password: str, username: str | None = None) -> str:
    check_policy(password, username)
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
