"""The app on PostgreSQL (selected by URL): users, login, the append-only audit trail, a closed view."""

from __future__ import annotations

import os

import pytest
from dash_client import DashClient, login
from sqlalchemy.exc import DBAPIError
from support import DEMO_EXPORTS, make_app, make_instance

from dashboard import audit, db

POSTGRES_URL = os.environ.get("DSMB_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="`make test` starts PostgreSQL and sets DSMB_TEST_POSTGRES_URL")


@pytest.fixture
def postgres_instance(tmp_path):
    with db.engine(POSTGRES_URL).begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS audit_events, users CASCADE")
    db._makers.pop(POSTGRES_URL, None)  # the schema is created again on first use
    instance = make_instance(tmp_path, [(DEMO_EXPORTS / "final", "2021-07-10", "Final")])
    instance.database_url = POSTGRES_URL
    from dashboard.auth.demo_users import ensure_demo_users

    instance.passwords = ensure_demo_users(POSTGRES_URL)
    return instance


def test_login_closed_view_and_audit_on_postgres(postgres_instance):
    app = make_app(postgres_instance)
    board = DashClient(login(app.server.test_client(), "dsmb", postgres_instance.passwords["dsmb"]))
    callback = board.callback_for("safety-swimmer-graph.figure")
    assert "Group A" in board.post_callback(callback, {("safety-swimmer-filter", "value"): "any"}).get_data(as_text=True)
    events = audit.events(database_url=POSTGRES_URL)
    assert {"login", "closed_view"} <= set(events["event"])
    with pytest.raises(DBAPIError, match="append-only"):
        with db.engine(POSTGRES_URL).begin() as conn:
            conn.exec_driver_sql("DELETE FROM audit_events")
