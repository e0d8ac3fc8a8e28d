"""Accounts: creation, role and status changes, password checks with back-off (`dashboard.auth.throttle`).

Every change is written in the same transaction as its audit row, so no change goes unrecorded.
"""

from __future__ import annotations

import datetime as dt
import hmac
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard import audit
from dashboard.auth import passwords, throttle
from dashboard.auth.models import User, new_session_token
from dashboard.db import session_scope, utcnow
from dashboard.permissions import Role

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
    password_hash = passwords.hash_password(password, name)
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


def _require_for_change(session: Session, username: str, check: Callable[[User], None] | None) -> User:
    """The account, its row locked (PostgreSQL) while `check` (a caller's policy) decides on it as it is now."""
    user = session.scalar(select(User).where(User.username == normalize_username(username)).with_for_update())
    if user is None:
        raise AccountError(f"No user named {normalize_username(username)!r}.")
    if check is not None:
        check(user)
    return user


def set_role(username: str, role: Role, *, actor: str, url: str | None = None,
             check: Callable[[User], None] | None = None) -> None:
    """Change the role and end the user's sessions, so nothing granted under the old role survives. Audited.

    `check(user)` may refuse the change (raise) after seeing the account's current role."""
    with session_scope(url) as session:
        user = _require_for_change(session, username, check)
        before, user.role = user.role_value, Role(role)
        user.session_token = new_session_token()  # sessions (and any unmask in them) end with the old role
        session.flush()  # the user row first, then the audit chain head: one lock order for every writer
        audit.add(session, "role_changed", username=user.username,
                  detail={"actor": actor, "from": before, "to": user.role_value})


def set_active(username: str, active: bool, *, actor: str, url: str | None = None,
               check: Callable[[User], None] | None = None) -> None:
    """Disable (ending every session at once) or re-enable an account; audited. `check` as for set_role."""
    with session_scope(url) as session:
        user = _require_for_change(session, username, check)
        user.is_active = active
        user.session_token = new_session_token()
        if active:
            user.failed_logins, user.locked_until = 0, None
        session.flush()
        audit.add(session, "user_enabled" if active else "user_disabled", username=user.username,
                  detail={"actor": actor})


def reset_password(username: str, password: str, *, actor: str, url: str | None = None) -> None:
    """Set a new password, lift a lockout and end every session of the user; audited."""
    password_hash = passwords.hash_password(password, normalize_username(username))
    with session_scope(url) as session:
        user = _require(session, username)
        user.password_hash, user.password_changed_at = password_hash, utcnow()
        user.failed_logins, user.locked_until = 0, None
        user.session_token = new_session_token()
        session.flush()
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


def _wait_text(until: dt.datetime, now: dt.datetime) -> str:
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _locked_message(until: dt.datetime, now: dt.datetime) -> str:
    return (f"This account is locked for now after repeated failed logins. Try again in {_wait_text(until, now)}, "
            "log in from a device you have used before, or ask the server administrator to unlock it.")


def _client_message(until: dt.datetime, now: dt.datetime) -> str:
    return (f"Too many failed logins from this address. Try again in {_wait_text(until, now)}, or log in from a "
            "device you have used before.")


def _failed(user: User, now: dt.datetime, url: str | None) -> LoginResult:
    """One more consecutive failure; from the free failures on, the account waits longer each time."""
    with session_scope(url) as session:
        session.execute(update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1))
        failures = session.scalar(select(User.failed_logins).where(User.id == user.id)) or 0
        audit.add(session, "login_failed", username=user.username,
                  detail={"reason": "wrong_password", "failures": failures})
        wait = throttle.account_wait(failures)
        if wait is None:
            return LoginResult(None, GENERIC_FAILURE)
        until = now + wait
        session.execute(update(User).where(User.id == user.id).values(locked_until=until))
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


def _refuse(name: str, reason: str, password: str, message: str, url: str | None) -> LoginResult:
    """A refusal that checks no password but takes as long as checking one; audited."""
    passwords.spend_verify_time(password)
    audit.record("login_failed", username=name, detail={"reason": reason}, database_url=url)
    return LoginResult(None, message)


def authenticate(username: str, password: str, *, url: str | None = None, client: str | None = None,
                 known_device: Callable[[User], bool] = lambda _user: False) -> LoginResult:
    """Check a login; unknown user and wrong password look the same and take the same time.

    `client` is the request's address (per-client back-off); `known_device(user)` says whether the browser
    logged in to that account before: such a device passes both waits with the right password."""
    name, now = normalize_username(username)[:64], utcnow()
    with session_scope(url) as session:
        user = _find(session, name)
    known = user is not None and known_device(user)
    client_until = None if known else throttle.client_locked_until(client, now, url=url)
    if client_until is not None:
        return _refuse(name, "client_throttled", password, _client_message(client_until, now), url)
    if user is None:
        throttle.client_failed(client, now, url=url)
        return _refuse(name, "unknown_user", password, GENERIC_FAILURE, url)
    if user.is_locked(now) and not known:
        return _refuse(name, "locked", password, _locked_message(user.locked_until or now, now), url)
    if not passwords.verify_password(user.password_hash, password):
        throttle.client_failed(client, now, url=url)
        return _failed(user, now, url)
    if not user.is_active:
        audit.record("login_failed", username=name, detail={"reason": "disabled"}, database_url=url)
        return LoginResult(None, GENERIC_FAILURE)
    return _succeeded(user, password, url)


def unlock(username: str, *, actor: str, url: str | None = None) -> None:
    """Clear an account's failed logins and its wait (the `users unlock` command); audited."""
    with session_scope(url) as session:
        user = _require(session, username)
        user.failed_logins, user.locked_until = 0, None
        session.flush()
        audit.add(session, "login_unlocked", username=user.username, detail={"actor": actor})
