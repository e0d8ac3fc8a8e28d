"""Authentication and web security of the dashboard server: `init_auth(server)` installs all of it."""

from __future__ import annotations

import flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from dashboard import db
from dashboard.auth import security, users, views
from dashboard.auth.models import User

__all__ = ["init_auth", "User"]


def init_auth(server: flask.Flask) -> None:
    """Secret key, cookies, database, login, CSRF, rate limit, deny-by-default gate and headers.

    Call after `server.config` is set and before other `before_request` hooks are registered.
    """
    security.configure(server)
    security.trust_proxies(server)
    server.config["DSMB_DATABASE_URL"] = server.config.get("DSMB_DATABASE_URL") or db.database_url()
    db.init_db(server.config["DSMB_DATABASE_URL"])

    manager = LoginManager(server)
    manager.session_protection = "strong"
    # Flask-Login's own identifier reads X-Forwarded-For as sent by the client; ours reads the address
    # ProxyFix derived from the configured number of proxies (DSMB_PROXY_COUNT), nothing the client chose.
    manager._session_identifier_generator = security.session_identifier
    manager.login_view = "auth.login"

    @manager.user_loader
    def load_user(session_id: str) -> User | None:
        return users.load_session_user(session_id)

    @manager.unauthorized_handler
    def unauthorized() -> flask.Response:
        return flask.Response("Log in first.", status=401, mimetype="text/plain")

    security.install(server)  # before CSRFProtect: an anonymous POST gets 401, not 400
    CSRFProtect(server)
    limiter = _login_limiter(server)
    server.register_blueprint(views.bp)
    login_limit = limiter.limit(server.config.get("DSMB_LOGIN_RATE_LIMIT", "10 per minute"), methods=["POST"])
    server.view_functions["auth.login"] = login_limit(views.login)
    server.extensions["dsmb_login_limiter"] = limiter  # the limit holds only a weak reference


def _login_limiter(server: flask.Flask) -> Limiter:
    """Flask-Limiter on DSMB_RATELIMIT_STORAGE_URI: memory:// counts per process, redis://... across instances."""
    storage_uri = server.config.get("DSMB_RATELIMIT_STORAGE_URI") or "memory://"
    shared = not storage_uri.startswith("memory://")
    # A shared store that goes down must not turn every login into a 500: Flask-Limiter logs "Rate limit storage
    # unreachable - falling back to in-memory storage", counts per process meanwhile and returns to the store
    # when it answers again; the per-account and per-address back-off in the database applies throughout.
    # Bounded waits: an unreachable Redis host must not hold a login for the kernel's TCP timeout.
    timeouts = {"socket_connect_timeout": 2, "socket_timeout": 2} if storage_uri.startswith("redis") else {}
    return Limiter(get_remote_address, app=server, default_limits=[], storage_uri=storage_uri,
                   storage_options=timeouts, key_prefix=server.config.get("DSMB_RATELIMIT_KEY_PREFIX", "dsmb"),
                   in_memory_fallback_enabled=shared)
