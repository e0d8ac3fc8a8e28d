"""Accounts: creation, role and status changes, password checks with lockout.

Every change is written in the same transaction as its audit row, so no change goes unrecorded.
"""

from __future__ import annotations

import datetime as dt
import hmac
import math
import re
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard import audit
from dashboard.auth import passwords
from dashboard.auth.models import User, new_session_token
from dashboard.db import session_scope, utcnow
from dashboard.permissions import Role

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
GENERIC_FAILURE = "Unknown user name or wrong password."
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")


class AccountError(ValueError):
    """An account operation that cannot be done (unknown user, duplicate, bad name)."""


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a login attempt: the user on success, else the message to show."""

    user: User | None
    message: str = ""


def normalize_username(name: str) -> str:
    return name.strip().lower()


def validate_username(name: str) -> str:
    """The normalized name, or AccountError when it is not 2-64 of a-z 0-9 . _ @ -."""
    normalized = normalize_username(name)
    if not _USERNAME.match(normalized):
        raise AccountError("A user name is 2 to 64 characters: letters, digits, '.', '_', '@' or '-'.")
    return normalized


def _find(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == normalize_username(username)))


def _require(session: Session, username: str) -> User:
    user = _find(session, username)
    if user is None:
        raise AccountError(f"No user named {normalize_username(username)!r}.")
    return user


def get_user(username: str, *, url: str | None = None) -> User | None:
    with session_scope(url) as session:
        return _find(session, username)


def list_users(*, url: str | None = None) -> list[User]:
    with session_scope(url) as session:
        return list(session.scalars(select(User).order_by(User.username)))


def create_user(username: str, role: Role, password: str, *, actor: str, url: str | None = None) -> User:
    """Add an active account; audited as user_added."""
    name = validate_username(username)
    password_hash = passwords.hash_password(password)
    try:
        with session_scope(url) as session:
            if _find(session, name) is not None:
                raise AccountError(f"A user named {name!r} exists already.")
            user = User(username=name, role_value=Role(role).value, password_hash=password_hash,
                        is_active=True, failed_logins=0, session_token=new_session_token())
            session.add(user)
            audit.add(session, "user_added", username=name, detail={"actor": actor, "role": user.role_value})
    except IntegrityError:
        raise AccountError(f"A user named {name!r} exists already.") from None
    return user


def set_role(username: str, role: Role, *, actor: str, url: str | None = None) -> None:
    """Change the role and end the user's sessions, so nothing granted under the old role survives. Audited."""
    with session_scope(url) as session:
        user = _require(session, username)
        before, user.role = user.role_value, Role(role)
        user.session_token = new_session_token()  # sessions (and any unmask in them) end with the old role
        audit.add(session, "role_changed", username=user.username,
                  detail={"actor": actor, "from": before, "to": user.role_value})


def set_active(username: str, active: bool, *, actor: str, url: str | None = None) -> None:
    """Disable (ending every session at once) or re-enable an account; audited."""
    with session_scope(url) as session:
        user = _require(session, username)
        user.is_active = active
        user.session_token = new_session_token()
        if active:
            user.failed_logins, user.locked_until = 0, None
        audit.add(session, "user_enabled" if active else "user_disabled", username=user.username,
                  detail={"actor": actor})


def reset_password(username: str, password: str, *, actor: str, url: str | None = None) -> None:
    """Set a new password, lift a lockout and end every session of the user; audited."""
    password_hash = passwords.hash_password(password)
    with session_scope(url) as session:
        user = _require(session, username)
        user.password_hash, user.password_changed_at = password_hash, utcnow()
        user.failed_logins, user.locked_until = 0, None
        user.session_token = new_session_token()
        audit.add(session, "password_reset", username=user.username, detail={"actor": actor})


def end_all_sessions(user_id: int, *, url: str | None = None) -> None:
    """Rotate the session token: every cookie naming the old one stops working."""
    with session_scope(url) as session:
        session.execute(update(User).where(User.id == user_id).values(session_token=new_session_token()))


def load_session_user(session_id: str, *, url: str | None = None) -> User | None:
    """The active user named by a session id `<id>:<token>`, or None if disabled or revoked."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    with session_scope(url) as session:
        user = session.get(User, int(user_id))
    if user is None or not user.is_active or not hmac.compare_digest(user.session_token, token):
        return None
    return user


def _locked_message(until: dt.datetime, now: dt.datetime) -> str:
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    return (f"This account is locked after {MAX_FAILURES} failed logins. Try again in {minutes} minute"
            f"{'s' if minutes != 1 else ''} or ask an administrator to reset the password.")


def _failed(user: User, now: dt.datetime, url: str | None) -> LoginResult:
    with session_scope(url) as session:
        session.execute(update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1))
        failures = session.scalar(select(User.failed_logins).where(User.id == user.id)) or 0
        audit.add(session, "login_failed", username=user.username,
                  detail={"reason": "wrong_password", "failures": failures})
        if failures < MAX_FAILURES:
            return LoginResult(None, GENERIC_FAILURE)
        until = now + LOCKOUT
        session.execute(update(User).where(User.id == user.id).values(failed_logins=0, locked_until=until))
        audit.add(session, "lockout", username=user.username,
                  detail={"failures": failures, "until": until.isoformat(timespec="seconds")})
    return LoginResult(None, _locked_message(until, now))


def _succeeded(user: User, password: str, url: str | None) -> LoginResult:
    values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
    if passwords.needs_rehash(user.password_hash):
        values["password_hash"] = passwords.rehash_password(password)
    with session_scope(url) as session:
        session.execute(update(User).where(User.id == user.id).values(**values))
        audit.add(session, "login", username=user.username,
                  detail={"role": user.role_value, "rehashed": "password_hash" in values})
        fresh = session.get(User, user.id)
    return LoginResult(fresh)


def authenticate(username: str, password: str, *, url: str | None = None) -> LoginResult:
    """Check a login; unknown user and wrong password look the same and take the same time."""
    name, now = normalize_username(username)[:64], utcnow()
    with session_scope(url) as session:
        user = _find(session, name)
    if user is None:
        passwords.spend_verify_time(password)
        audit.record("login_failed", username=name, detail={"reason": "unknown_user"}, database_url=url)
        return LoginResult(None, GENERIC_FAILURE)
    if user.is_locked(now):
        passwords.spend_verify_time(password)
        audit.record("login_failed", username=name, detail={"reason": "locked"}, database_url=url)
        return LoginResult(None, _locked_message(user.locked_until or now, now))
    if not passwords.verify_password(user.password_hash, password):
        return _failed(user, now, url)
    if not user.is_active:
        audit.record("login_failed", username=name, detail={"reason": "disabled"}, database_url=url)
        return LoginResult(None, GENERIC_FAILURE)
    return _succeeded(user, password, url)
