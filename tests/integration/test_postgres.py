"""The app on PostgreSQL (selected by URL): users, login, the append-only audit trail, a closed view."""

from __future__ import annotations

import os

import pytest
from dash_client import DashClient, login
from sqlalchemy.exc import DBAPIError
from support import DEMO_EXPORTS, fresh_postgres_database, make_app, make_instance

from dashboard import audit, db

POSTGRES_URL = os.environ.get("DSMB_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="`make test` starts PostgreSQL and sets DSMB_TEST_POSTGRES_URL")


@pytest.fixture
def app_database_url() -> str:
    """A fresh database of its own on the test server (other tests use the given one concurrently)."""
    return fresh_postgres_database(POSTGRES_URL, "app")


@pytest.fixture
def postgres_instance(tmp_path, app_database_url):
    from dashboard.auth.demo_users import ensure_demo_users

    instance = make_instance(tmp_path, [(DEMO_EXPORTS / "final", "2021-07-10", "Final")])
    instance.database_url = app_database_url
    instance.passwords = ensure_demo_users(app_database_url)
    return instance


def test_login_closed_view_and_audit_on_postgres(postgres_instance):
    app = make_app(postgres_instance)
    board = DashClient(login(app.server.test_client(), "dsmb", postgres_instance.passwords["dsmb"]))
    callback = board.callback_for("safety-swimmer-graph.figure")
    assert "Group A" in board.post_callback(callback, {("safety-swimmer-filter", "value"): "any"}).get_data(as_text=True)
    events = audit.events(database_url=postgres_instance.database_url)
    assert {"login", "closed_view"} <= set(events["event"])
    with pytest.raises(DBAPIError, match="append-only"):
        with db.engine(postgres_instance.database_url).begin() as conn:
            conn.exec_driver_sql("DELETE FROM audit_events")
