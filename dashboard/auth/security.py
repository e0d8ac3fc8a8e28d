"""Web security of the server: secret key, cookies, deny-by-default gate, idle timeout, headers."""

from __future__ import annotations

import hashlib
import logging
import math
import os
import time
import zlib
from pathlib import Path
from urllib.parse import quote

import flask
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard import cut_signing
from dashboard import audit
from dashboard.auth import users
from dashboard.auth.models import User

LAST_SEEN_KEY = "dsmb_last_seen"
LOGIN_AT_KEY = "dsmb_login_at"
CSRF_COOKIE = "_csrf_token"
SESSION_COOKIE = "dsmb_session"
PUBLIC_PATHS = frozenset({"/login", "/healthz", "/_favicon.ico"})
STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/")
PASSIVE_PATHS = frozenset({"/_reload-hash"})  # polled by the browser; not user activity
HSTS = "max-age=31536000; includeSubDomains"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
_log = logging.getLogger(__name__)


def is_production(server: flask.Flask) -> bool:
    return bool(server.config.get("ENV_PRODUCTION") or server.config.get("DSMB_PRODUCTION")
                or os.environ.get("DSMB_PRODUCTION") == "1")


def _instance_secret(path: Path) -> str:
    """Read the generated key at `path`, creating it (mode 0600, race-free) on first use: the same key the cut
    loader signs with (`cut_signing.instance_secret`)."""
    if path.exists() and path.stat().st_mode & 0o077:
        _log.warning("%s is readable by other users; restrict it to mode 0600", path)
    return cut_signing.instance_secret(path)


MIN_SECRET_CHARS = 32
MIN_SECRET_BITS = 128


def secret_key_weakness(key: str) -> str | None:
    """Why a secret key is too weak for production (short, or little entropy by its character counts), or None."""
    if len(key) < MIN_SECRET_CHARS:
        return f"it has {len(key)} characters; at least {MIN_SECRET_CHARS} are needed"
    counts = [key.count(c) for c in set(key)]
    bits = max(0.0, -sum(n * math.log2(n / len(key)) for n in counts))  # empirical entropy of its characters
    repetitive = len(zlib.compress(key.encode("utf-8"), 9)) < 0.75 * len(key)  # a pattern repeated compresses
    if repetitive:
        return "it repeats a pattern"
    if bits < MIN_SECRET_BITS or len(set(key)) < 16:
        return f"it looks low in entropy (about {bits:.0f} bits; at least {MIN_SECRET_BITS} are needed)"
    return None


def secret_key(server: flask.Flask) -> str:
    """SECRET_KEY, else $DSMB_SECRET_KEY, else a key kept in the instance folder (never in production).

    In production a short or low-entropy key stops startup (generate one: python -c
    "import secrets; print(secrets.token_urlsafe(48))")."""
    key = server.config.get("SECRET_KEY") or os.environ.get("DSMB_SECRET_KEY")
    if key and is_production(server):
        weakness = secret_key_weakness(str(key))
        if weakness:
            raise RuntimeError(f"The secret key (DSMB_SECRET_KEY) is refused in production: {weakness}.")
    if key:
        return key
    if is_production(server):
        raise RuntimeError("No secret key: set DSMB_SECRET_KEY (or SECRET_KEY) in production.")
    return _instance_secret(Path(server.instance_path) / "secret_key")


def configure(server: flask.Flask) -> None:
    """Secret key, cookie flags and the defaults the other controls read (production forces Secure and HSTS)."""
    secure = bool(server.config.get("DSMB_SECURE_COOKIES", False)) or is_production(server)
    server.config["DSMB_SECURE_COOKIES"] = secure
    server.config["SECRET_KEY"] = secret_key(server)
    server.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure, REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure, SESSION_PROTECTION="strong", WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=True,
    )
    server.config.setdefault("DSMB_IDLE_MINUTES", 30)
    server.config.setdefault("DSMB_SESSION_MAX_HOURS", 12)


def proxy_count(server: flask.Flask) -> int:
    """How many reverse proxies in front of the app append to X-Forwarded-For (DSMB_PROXY_COUNT, default 0)."""
    value = server.config.get("DSMB_PROXY_COUNT", os.environ.get("DSMB_PROXY_COUNT", "0"))
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise RuntimeError(f"DSMB_PROXY_COUNT must be a whole number of proxies, not {value!r}") from None
    if not 0 <= count <= 5:
        raise RuntimeError("DSMB_PROXY_COUNT must be between 0 and 5")
    return count


def trust_proxies(server: flask.Flask) -> None:
    """Read the client address (and scheme) through exactly DSMB_PROXY_COUNT proxies (Werkzeug's ProxyFix).

    With 0, X-Forwarded-* headers are ignored: request.remote_addr is the peer's address. With n, the n-th
    address from the right of X-Forwarded-For is used: the one the outermost trusted proxy saw."""
    count = proxy_count(server)
    server.config["DSMB_PROXY_COUNT"] = count
    if count and not getattr(server.wsgi_app, "dsmb_proxy_fix", False):
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=count, x_proto=count)
        server.wsgi_app.dsmb_proxy_fix = True  # type: ignore[attr-defined]


def session_identifier() -> str:
    """What Flask-Login's "strong" protection binds a session to: client address (as trusted) and user agent."""
    base = f"{flask.request.remote_addr}|{flask.request.headers.get('User-Agent', '')}"
    return hashlib.sha512(base.encode("utf-8")).hexdigest()


def _forget_session() -> None:
    """Empty the session, including the CSRF token cached for this request (a new one is issued)."""
    flask.session.clear()
    flask.g.pop(flask.current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def start_session(user: User) -> None:
    """Log `user` in on a fresh session (no key of an earlier session survives)."""
    _forget_session()
    login_user(user, remember=False)
    flask.session[LOGIN_AT_KEY] = flask.session[LAST_SEEN_KEY] = int(time.time())


def end_session(reason: str) -> None:
    """Log out (audited with `reason`) and drop the whole session; a user logout ends all devices."""
    if current_user.is_authenticated:
        audit.record("logout", username=current_user.username, detail={"reason": reason})
        if reason == "user":
            users.end_all_sessions(current_user.id)
    logout_user()
    _forget_session()


def _expired() -> str | None:
    """'idle' or 'max_age' when the logged-in session has run out, else None."""
    now, config = time.time(), flask.current_app.config
    last_seen, login_at = flask.session.get(LAST_SEEN_KEY), flask.session.get(LOGIN_AT_KEY)
    if not isinstance(last_seen, int) or now - last_seen > float(config["DSMB_IDLE_MINUTES"]) * 60:
        return "idle"
    if not isinstance(login_at, int) or now - login_at > float(config["DSMB_SESSION_MAX_HOURS"]) * 3600:
        return "max_age"
    return None


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(STATIC_PREFIXES)


def _deny(path: str) -> flask.Response:
    if path.startswith("/_") or flask.request.method not in ("GET", "HEAD"):
        return flask.Response("Log in first.", status=401, mimetype="text/plain")
    target = flask.request.full_path.rstrip("?") if flask.request.query_string else path
    suffix = "" if target == "/" else "?next=" + quote(target, safe="/")
    return flask.redirect("/login" + suffix)


def gate() -> flask.Response | None:
    """Deny by default: only public paths without a live login; expired sessions end here."""
    path = flask.request.path
    if "_user_id" in flask.session:
        reason = _expired()
        if reason:
            end_session(reason)
    if is_public(path):
        return None
    if not current_user.is_authenticated:
        return _deny(path)
    if path not in PASSIVE_PATHS:
        flask.session[LAST_SEEN_KEY] = int(time.time())
    return None


def content_security_policy(script_hashes: list[str]) -> str:
    hashes = " ".join(h if h.startswith("'") else f"'{h}'" for h in script_hashes)
    return ("default-src 'self'; " + f"script-src 'self' {hashes}".rstrip() + "; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'")


def _csrf_cookie(response: flask.Response, secure: bool) -> None:
    """Give the Dash renderer the CSRF token it sends back as X-CSRFToken (logged-in users only)."""
    if current_user.is_authenticated:
        response.set_cookie(CSRF_COOKIE, generate_csrf(), secure=secure, httponly=False, samesite="Lax")
    elif CSRF_COOKIE in flask.request.cookies:
        response.delete_cookie(CSRF_COOKIE, secure=secure, httponly=False, samesite="Lax")


def add_headers(response: flask.Response) -> flask.Response:
    """Security headers on every response; no caching except of static files."""
    config = flask.current_app.config
    secure = bool(config.get("DSMB_SECURE_COOKIES", False))
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(list(config.get("DSMB_CSP_SCRIPT_HASHES", [])))
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    if secure:
        headers["Strict-Transport-Security"] = HSTS
    if not flask.request.path.startswith(STATIC_PREFIXES):
        headers["Cache-Control"] = "no-store"
        _csrf_cookie(response, secure)
    return response


def install(server: flask.Flask) -> None:
    server.before_request(gate)
    server.after_request(add_headers)
