"""The ways a user might come to see arms are closed, or recorded before they take effect."""

from __future__ import annotations

import pytest
from dash_client import DashClient, login
from support import DEMO_EXPORTS, make_app, make_instance
from coding_key_support import coded_demo_config

from dashboard import audit
from dashboard.blinding import arm_display_order
from dashboard.config import load_trial_config


@pytest.fixture
def fresh(tmp_path):
    """An installation of its own: these tests change roles and sessions."""
    instance = make_instance(tmp_path, [(DEMO_EXPORTS / "final", "2021-07-10", "Final")])
    app = make_app(instance)
    return instance, app, lambda role: DashClient(login(app.server.test_client(), role, instance.passwords[role]))


def _set_role(client: DashClient, username: str, role: str) -> str:
    callback = client.callback_for("..admin-users-table.rowData")
    values = {("admin-users-table", "id"): "admin-users-table", ("admin-set-role", "n_clicks"): 1,
              ("admin-user-picker", "value"): username, ("admin-role-picker", "value"): role}
    body = client.post_callback(callback, values, changed=["admin-set-role.n_clicks"]).get_json()
    return body["response"]["admin-user-feedback"]["children"]


def test_admin_cannot_unblind_themselves_or_anyone_from_the_web(fresh):
    instance, app, client_for = fresh
    admin = client_for("admin")
    assert "cannot change your own role" in _set_role(admin, "admin", "statistician")
    assert "grant it with" in _set_role(admin, "investigator", "dsmb")
    with app.server.app_context():
        roles = {e["username"]: e for e in audit.events(event="role_changed").to_dict("records")}
    assert roles == {}
    assert "/admin/users" in str(admin.layout())  # still an admin, still blinded


def test_a_role_change_ends_the_users_sessions(fresh):
    instance, app, client_for = fresh
    investigator = client_for("investigator")
    assert investigator.client.get("/_dash-layout").status_code == 200
    assert "is now admin" in _set_role(client_for("admin"), "investigator", "admin")
    assert investigator.client.get("/_dash-layout").status_code == 401


def test_unmask_that_cannot_be_audited_does_not_happen(fresh, monkeypatch):
    instance, app, client_for = fresh
    board = client_for("dsmb")
    confirm = board.callback_for("..unmask-feedback.children")
    values = {("unmask-confirm", "n_clicks"): 1, ("unmask-reason", "value"): "Closed session decision today",
              ("url", "pathname"): "/outcomes"}

    def failing_record(event, **kwargs):
        if event == "unmask":
            raise RuntimeError("audit database unavailable")

    monkeypatch.setattr(audit, "record", failing_record)
    with pytest.raises(RuntimeError):
        board.post_callback(confirm, values)
    monkeypatch.undo()
    assert "coded arms" in str(board.layout()), "the board is unmasked although no audit row was written"
    response = board.post_callback(confirm, values)
    assert response.status_code == 200
    assert "real arm names" in str(board.layout())
    with app.server.app_context():
        assert list(audit.events(event="unmask")["username"]) == ["dsmb"]


def test_arm_order_and_reference_arm_survive_unmasking():
    """Columns and the sign of every difference mean the same before and after the board unmasks."""
    config = coded_demo_config()
    coded, real = arm_display_order(config, coded=True), arm_display_order(config, coded=False)
    assert coded == ("Group A", "Group B")
    by_code = {a.coded_label: a.label for a in config.arms}
    assert real == tuple(by_code[label] for label in coded)


def test_closed_views_are_audited_with_what_was_asked_and_blinded_views_are_not(fresh):
    instance, app, client_for = fresh
    for role in ("investigator", "statistician"):
        client = client_for(role)
        callback = client.callback_for("safety-swimmer-graph.figure")
        assert client.post_callback(callback, {("safety-swimmer-filter", "value"): "serious"}).status_code == 200
    with app.server.app_context():
        views = audit.events(event="closed_view", closed_detail=True)
    assert set(views["username"]) == {"statistician"}
    detail, closed = views["detail"].iloc[0], views["closed_detail"].iloc[0]
    assert "safety" in detail and "unblinded" in detail and "serious" not in detail  # what was asked is closed
    assert "serious" in closed


def test_safety_counts_a_wrongly_dosed_subject_in_the_arm_received(fresh):
    """Subject 01-034 was randomized to placebo and given the active product (ACTARMCD differs)."""
    from dashboard import blinding, cuts
    from dashboard.blinding import Access

    instance, app, _ = fresh
    data = blinding.trial_data(cuts.active_cut_id(instance.root), Access.UNBLINDED, load_trial_config(),
                               instance.root)
    differ = data.arm_of[data.arm_of != data.treated_arm_of]
    assert list(differ.index) == ["NCT05019287-01-034"]
    assert data.treated_arm_of["NCT05019287-01-034"] == "MenSC secretome"
