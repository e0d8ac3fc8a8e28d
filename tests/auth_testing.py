"""Test helpers, kept out of the production package: a bare Flask app with `init_auth`, fake Dash routes, users
and logins."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import flask
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from flask.testing import FlaskClient
from flask_login import current_user

from dashboard.auth import init_auth, passwords, users
from dashboard.permissions import Role

PASSWORD = "correct horse battery"


@contextmanager
def cheap_hashing() -> Iterator[None]:
    """Fast, weak argon2 parameters inside the block: for tests only."""
    previous = passwords.set_hasher(PasswordHasher.from_parameters(CHEAPEST))
    try:
        yield
    finally:
        passwords.set_hasher(previous)


class HttpsClient(FlaskClient):
    """A test client whose requests arrive over HTTPS (as behind the production proxy)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if not args or isinstance(args[0], str):
            kwargs.setdefault("base_url", "https://localhost")
        return super().open(*args, **kwargs)


def bare_app(instance: Path, **config: Any) -> flask.Flask:
    """Flask + init_auth, a protected `/` and fake `/_dash-*` and `/assets` routes, on SQLite in `instance`."""
    app = flask.Flask(__name__, instance_path=str(instance))
    app.config.update(TESTING=True, SECRET_KEY="test-secret", RATELIMIT_ENABLED=False,
                      DSMB_DATABASE_URL=f"sqlite:///{instance / 'dsmb.sqlite'}", DSMB_DATA_ROOT=str(instance / "data"),
                      DSMB_TRIAL=SimpleNamespace(title="Test trial of a blinded product", study_id="NCT00000000"))
    app.config.update(config)
    init_auth(app)

    @app.route("/")
    def index() -> str:
        return "dashboard"

    @app.route("/_dash-layout")
    def dash_layout() -> Any:
        return flask.jsonify(layout=True)

    @app.route("/_dash-update-component", methods=["POST"])
    def dash_update() -> Any:
        return flask.jsonify(role=current_user.role.value)

    @app.route("/assets/<path:name>")
    def assets(name: str) -> flask.Response:
        return flask.Response(f"/* {name} */", mimetype="text/css")

    return app


def add_user(app: flask.Flask, username: str, role: Role = Role.DSMB, password: str = PASSWORD) -> None:
    users.create_user(username, role, password, actor="test", url=app.config["DSMB_DATABASE_URL"])


def login(client: FlaskClient, username: str, password: str = PASSWORD, next_url: str = "") -> Any:
    """POST the login form as a browser would (CSRF token, same-origin Referer); returns the response."""
    page = client.get("/login")
    return client.post("/login", headers={"Referer": page.request.url},
                       data={"username": username, "password": password, "next": next_url,
                             "csrf_token": form_token(page.get_data(as_text=True))})


def form_token(html: str) -> str:
    """The CSRF token of the form in `html`."""
    return html.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]


def csrf_header(client: FlaskClient) -> dict[str, str]:
    """The header the Dash renderer sends: X-CSRFToken from the `_csrf_token` cookie."""
    cookie = client.get_cookie("_csrf_token")
    return {"X-CSRFToken": cookie.value} if cookie else {}
