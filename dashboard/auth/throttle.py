"""Login throttling: exponential back-off per account and per client address, which slows guessing without
letting anyone keep a user out (a known device's right password passes; `users unlock` clears).

Per account: the first ACCOUNT_FREE_FAILURES consecutive failures cost nothing; each further one makes the next
attempt wait ACCOUNT_BASE * 2**(n - free), at most ACCOUNT_MAX. While an account waits, only a device that logged
in to it before (signed cookie, `dashboard.auth.devices`) has its password checked; a success clears the wait.
Per client address: the same after CLIENT_FREE_FAILURES failures within CLIENT_WINDOW (any user names), so one
address cannot try many accounts quickly either.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from dashboard.auth.models import LoginThrottle
from dashboard.db import session_scope

ACCOUNT_FREE_FAILURES = 5
ACCOUNT_BASE = dt.timedelta(minutes=1)
ACCOUNT_MAX = dt.timedelta(minutes=60)
CLIENT_FREE_FAILURES = 10
CLIENT_BASE = dt.timedelta(minutes=1)
CLIENT_MAX = dt.timedelta(minutes=60)
CLIENT_WINDOW = dt.timedelta(hours=24)  # a client's count starts again after a day without failures


def backoff(failures: int, free: int, base: dt.timedelta, cap: dt.timedelta) -> dt.timedelta | None:
    """How long the next attempt waits after `failures` consecutive failures (None: no wait)."""
    if failures < free:
        return None
    return min(cap, base * (2 ** min(failures - free, 20)))


def account_wait(failures: int) -> dt.timedelta | None:
    return backoff(failures, ACCOUNT_FREE_FAILURES, ACCOUNT_BASE, ACCOUNT_MAX)


def _client_key(address: str) -> str:
    return "client:" + address[:100]


def client_locked_until(address: str | None, now: dt.datetime, *, url: str | None = None) -> dt.datetime | None:
    """Until when attempts from `address` wait, or None."""
    if not address:
        return None
    with session_scope(url) as session:
        until = session.scalar(select(LoginThrottle.locked_until).where(LoginThrottle.key == _client_key(address)))
    return until if until is not None and until > now else None


def _bump(address: str, now: dt.datetime, url: str | None) -> None:
    key = _client_key(address)
    with session_scope(url) as session:
        session.execute(delete(LoginThrottle).where(LoginThrottle.updated_at < now - CLIENT_WINDOW))
        row = session.get(LoginThrottle, key)
        if row is None:
            session.add(LoginThrottle(key=key, failures=1, locked_until=None, updated_at=now))
            return
        failures = row.failures + 1
        wait = backoff(failures, CLIENT_FREE_FAILURES, CLIENT_BASE, CLIENT_MAX)
        session.execute(update(LoginThrottle).where(LoginThrottle.key == key).values(
            failures=LoginThrottle.failures + 1, updated_at=now, locked_until=now + wait if wait else None))


def client_failed(address: str | None, now: dt.datetime, *, url: str | None = None) -> None:
    """Count a failed login from `address`; past the free failures its next attempt waits."""
    if not address:
        return
    try:
        _bump(address, now, url)
    except IntegrityError:   # another worker inserted the row first: count on it
        _bump(address, now, url)


def clear_client(address: str, *, url: str | None = None) -> bool:
    """Forget a client address's failures (the `users unlock-client` command); whether there were any."""
    with session_scope(url) as session:
        return bool(session.execute(delete(LoginThrottle).where(LoginThrottle.key == _client_key(address)))
                    .rowcount)
