"""Login, logout and health-check routes, and the pages shown for refused logins."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import flask
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from werkzeug.exceptions import TooManyRequests
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from dashboard import cuts, db
from dashboard.auth import devices, passwords, security, users

bp = flask.Blueprint("auth", __name__, template_folder="templates")


class LoginForm(FlaskForm):
    username = StringField("User name", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=passwords.MAX_LENGTH)])
    next = HiddenField()


class LogoutForm(FlaskForm):
    """Only the CSRF token: logging out is a POST."""


def safe_next(target: str | None) -> str:
    """A same-site relative path to go to after login, else '/'."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) < 32 or c == "\\" for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path.startswith(("/_", "/login", "/logout")):
        return "/"
    return target


def _study() -> dict[str, str]:
    trial = flask.current_app.config.get("DSMB_TRIAL")
    return {"study_title": getattr(trial, "title", "") or "DSMB dashboard",
            "study_id": getattr(trial, "study_id", "")}


def _login_page(form: LoginForm, message: str = "", status: int = 200) -> tuple[str, int]:
    return flask.render_template("login.html", form=form, message=message, **_study()), status


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    if flask.request.method == "GET":
        form.next.data = flask.request.args.get("next", "")
        if current_user.is_authenticated:
            return flask.redirect(safe_next(form.next.data))
    if not form.validate_on_submit():
        return _login_page(form)
    result = users.authenticate(form.username.data or "", form.password.data or "",
                                client=flask.request.remote_addr, known_device=devices.is_known)
    if result.user is None:
        return _login_page(form, result.message)
    security.start_session(result.user)
    return devices.remember(flask.redirect(safe_next(form.next.data)), result.user)


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Any:
    """GET shows a confirmation form; the POST (CSRF-checked) ends the session."""
    if flask.request.method == "POST":
        security.end_session("user")
        return flask.redirect("/login")
    return flask.render_template("logout.html", form=LogoutForm(), username=current_user.username, **_study())


@bp.route("/healthz")
def healthz() -> Any:
    """Liveness for load balancers: database reachable, whether a cut is active; no data."""
    try:
        with db.session_scope() as session:
            session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means unhealthy
        return flask.jsonify(status="error", database="unreachable"), 503
    root = flask.current_app.config.get("DSMB_DATA_ROOT")
    active = cuts.active_cut_id(Path(root) if root else None) is not None
    return flask.jsonify(status="ok", active_cut=active)


@bp.app_errorhandler(TooManyRequests)
def too_many_requests(_exc: TooManyRequests) -> Any:
    if flask.request.path == "/login":
        return _login_page(LoginForm(), "Too many login attempts from this address. Wait a minute and try again.",
                           429)
    return flask.Response("Too many requests.", status=429, mimetype="text/plain")


@bp.app_errorhandler(CSRFError)
def csrf_error(exc: CSRFError) -> Any:
    if flask.request.path == "/login":
        return _login_page(LoginForm(), "The login form expired. Please try again.", 400)
    return flask.Response(f"Refused: {exc.description}", status=400, mimetype="text/plain")
