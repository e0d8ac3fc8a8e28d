"""Demo accounts, one per role, with random passwords the caller prints once."""

from __future__ import annotations

import secrets

from dashboard import db
from dashboard.auth import passwords, users
from dashboard.permissions import Role

DEMO_USERS = {"admin": Role.ADMIN, "investigator": Role.INVESTIGATOR, "dsmb": Role.DSMB,
              "statistician": Role.STATISTICIAN}


class DemoRefused(RuntimeError):
    """Demo accounts are never created in production."""


def refuse_in_production() -> None:
    """Stop `setup-demo` (and anything creating demo accounts) when DSMB_PRODUCTION=1."""
    if passwords.strict_mode():
        raise DemoRefused("setup-demo is refused in production (DSMB_PRODUCTION=1): demo accounts have known "
                          "names and the demo data are not the trial's. Add users with 'python -m dashboard "
                          "users add'.")


def ensure_demo_users(database_url: str) -> dict[str, str]:
    """Create the missing demo accounts; returns {username: password} of those created now (not in production)."""
    refuse_in_production()
    db.init_db(database_url)
    created: dict[str, str] = {}
    for username, role in DEMO_USERS.items():
        if users.get_user(username, url=database_url) is not None:
            continue
        password = secrets.token_urlsafe(15)
        try:
            users.create_user(username, role, password, actor="demo-setup", url=database_url)
        except users.AccountError:
            continue  # created meanwhile by another process
        created[username] = password
    return created
