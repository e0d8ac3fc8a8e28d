"""Known devices: a signed, long-lived cookie set at a successful login, naming the accounts that logged in
from this browser. While an account waits after failed logins (`dashboard.auth.throttle`), the right password
from such a device still logs in, so an attacker who keeps failing cannot keep the user out."""

from __future__ import annotations

import datetime as dt

import flask
from itsdangerous import BadSignature, URLSafeTimedSerializer

from dashboard.auth.models import User

COOKIE = "dsmb_device"
MAX_AGE = dt.timedelta(days=180)
MAX_ACCOUNTS = 8  # accounts remembered per browser
_SALT = "dsmb-known-device"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(flask.current_app.config["SECRET_KEY"], salt=_SALT)


def _mark(user: User) -> list:
    """What a device remembers of an account: its id and when its password last changed (a reset forgets it)."""
    changed = user.password_changed_at
    return [user.id, round(changed.timestamp() * 1_000_000) if changed else 0]


def _remembered() -> list[list]:
    value = flask.request.cookies.get(COOKIE)
    if not value:
        return []
    try:
        marks = _serializer().loads(value, max_age=int(MAX_AGE.total_seconds()))
    except (BadSignature, ValueError, TypeError):
        return []
    return [m for m in marks if isinstance(m, list) and len(m) == 2] if isinstance(marks, list) else []


def is_known(user: User) -> bool:
    """Whether this request comes from a browser that logged in to `user` before (signed cookie)."""
    return flask.has_request_context() and _mark(user) in _remembered()


def remember(response: flask.Response, user: User) -> flask.Response:
    """Add `user` to this browser's known-device cookie (HttpOnly, sent only to /login)."""
    marks = [m for m in _remembered() if m[0] != user.id][-(MAX_ACCOUNTS - 1):] + [_mark(user)]
    secure = bool(flask.current_app.config.get("DSMB_SECURE_COOKIES", False))
    response.set_cookie(COOKIE, _serializer().dumps(marks), max_age=int(MAX_AGE.total_seconds()), path="/login",
                        secure=secure, httponly=True, samesite="Strict")
    return response
