"""Application factory: Flask server with authentication, the Dash app, pages and guarded callbacks."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import dash
import flask
from dash import html

from dashboard.config import PROJECT_ROOT, TrialConfig, default_instance_path, load_trial_config
from dashboard.cuts import data_root
from dashboard.db import default_database_url

CALLBACK_MODULES = ("shell", "recruitment", "safety", "outcomes", "monitoring", "cuts", "admin", "pack", "meeting",
                    "readiness")


def _settings(server: flask.Flask, trial: TrialConfig, overrides: dict[str, Any]) -> None:
    instance = Path(server.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    server.config.update(
        DSMB_TRIAL=trial,
        DSMB_DATA_ROOT=Path(os.environ.get("DSMB_DATA_ROOT") or data_root()),
        DSMB_DATABASE_URL=os.environ.get("DSMB_DATABASE_URL") or default_database_url(instance),
        DSMB_IDLE_MINUTES=int(os.environ.get("DSMB_IDLE_MINUTES", "30")),
        DSMB_SECURE_COOKIES=os.environ.get("DSMB_SECURE_COOKIES", "0") == "1",
        DSMB_PRODUCTION=os.environ.get("DSMB_PRODUCTION", "0") == "1",
        # Flask-Limiter's store: per process by default; redis://host:6379 shares the login limit across workers
        # and instances (the `redis` package is in requirements.txt)
        DSMB_RATELIMIT_STORAGE_URI=os.environ.get("DSMB_RATELIMIT_STORAGE_URI", "memory://"),
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    if os.environ.get("DSMB_SECRET_KEY"):
        server.config["SECRET_KEY"] = os.environ["DSMB_SECRET_KEY"]
    server.config.update(overrides)


def _serve_layout() -> Any:
    """The shell for the logged-in user; anonymous requests never get here (401 first)."""
    from dashboard.context import current_view_context, user_may
    from dashboard.pages import all_pages
    from layouts.shell import shell_layout

    if not flask.has_request_context():
        return html.Div()
    ctx = current_view_context()
    pages = [(p.path, p.title) for p in all_pages() if user_may(p.permission)]
    return shell_layout(ctx, pages)


def create_app(overrides: dict[str, Any] | None = None, trial: TrialConfig | None = None) -> dash.Dash:
    """Build the app. `overrides` set Flask config keys (tests use them for paths and flags)."""
    from dashboard.auth import init_auth
    from dashboard.guard import install_callback_authorization

    trial = trial or load_trial_config()
    instance_path = (overrides or {}).get("INSTANCE_PATH") or str(default_instance_path())
    server = flask.Flask("dashboard", instance_path=instance_path, root_path=str(PROJECT_ROOT))
    _settings(server, trial, overrides or {})
    init_auth(server)
    app = dash.Dash(
        __name__,
        server=server,
        title=f"{trial.study_id} DSMB",
        update_title=None,
        assets_folder=str(PROJECT_ROOT / "assets"),
        serve_locally=True,
        suppress_callback_exceptions=True,
        compress=False,
        enable_mcp=False,
        websocket_callbacks=False,
    )
    app.layout = _serve_layout
    install_callback_authorization(app)
    for name in CALLBACK_MODULES:
        importlib.import_module(f"callbacks.{name}").register(app)
    server.config["DSMB_CSP_SCRIPT_HASHES"] = app.csp_hashes()
    return app
