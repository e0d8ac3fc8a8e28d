"""A blinded session cannot undo a safeguard: account changes of unblinded roles, the unmask reason and target."""

from __future__ import annotations

import pytest
from dash_client import DashClient, login
from support import DEMO_EXPORTS, make_app, make_instance

from callbacks.shell import visible_length
from dashboard import audit
from dashboard.auth import users
from dashboard.permissions import AccountChangeRefused, Role, check_web_account_change


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    instance = make_instance(tmp_path_factory.mktemp("accounts"), [(DEMO_EXPORTS / "final", "2021-07-10", "Final")])
    return instance, make_app(instance)


def client(installed, role: str) -> DashClient:
    instance, app = installed
    return DashClient(login(app.server.test_client(), role, instance.passwords[role]))


def press(admin: DashClient, button: str, username: str) -> str:
    callback = admin.callback_for("..admin-users-table.rowData")
    values = {("admin-users-table", "id"): "admin-users-table", (button, "n_clicks"): 1,
              ("admin-user-picker", "value"): username, ("admin-role-picker", "value"): None}
    body = admin.post_callback(callback, values, changed=[f"{button}.n_clicks"]).get_json()
    return body["response"]["admin-user-feedback"]["children"]


@pytest.mark.parametrize("target", ["dsmb", "statistician"])
def test_admin_cannot_enable_or_unlock_an_unblinded_account_from_the_web(installed, target):
    instance, _ = installed
    url = instance.database_url
    users.set_active(target, False, actor="test", url=url)
    users.unlock(target, actor="test", url=url)
    admin = client(installed, "admin")
    assert "python -m dashboard users" in press(admin, "admin-enable-user", target)
    assert users.get_user(target, url=url).is_active is False, "a blinded admin re-enabled an unblinded account"
    users.set_active(target, True, actor="test", url=url)
    assert "python -m dashboard users" in press(admin, "admin-disable-user", target)
    assert users.get_user(target, url=url).is_active is True
    changes = audit.events(database_url=url, username=target)
    by_admin = changes[changes["event"].isin(["user_enabled", "user_disabled"])
                       & changes["detail"].str.contains('"actor": "admin"', na=False)]
    assert by_admin.empty


def test_admin_still_manages_blinded_accounts(installed):
    instance, _ = installed
    admin = client(installed, "admin")
    assert "disabled" in press(admin, "admin-disable-user", "investigator")
    assert users.get_user("investigator", url=instance.database_url).is_active is False
    assert "enabled" in press(admin, "admin-enable-user", "investigator")
    assert users.get_user("investigator", url=instance.database_url).is_active is True


def test_role_change_policy_lives_with_the_permissions():
    check_web_account_change("admin", "inv", Role.INVESTIGATOR, Role.ADMIN)
    for current, new in [(Role.DSMB, None), (Role.STATISTICIAN, Role.INVESTIGATOR), (Role.INVESTIGATOR, Role.DSMB),
                         (None, None)]:
        with pytest.raises(AccountChangeRefused):
            check_web_account_change("admin", "someone", current, new)
    with pytest.raises(AccountChangeRefused, match="own"):
        check_web_account_change("admin", "admin", Role.ADMIN, Role.INVESTIGATOR)


@pytest.mark.parametrize("reason,ok", [
    ("\u200b" * 30 + "short", False), ("a\u200bb\u200cc\u200dd\u2060e\ufeff", False), ("          x         ", False),
    ("\u3164" * 12, False), ("a" + "\u0301" * 12, False), ("Charter 7.2", True), ("開示が必要な理由です。十分", True),
])
def test_unmask_reason_needs_ten_visible_characters(reason, ok):
    assert (visible_length(reason) >= 10) is ok


def _unmask(board: DashClient, reason: str, pathname: str) -> dict:
    confirm = board.callback_for("..unmask-feedback.children")
    return board.call(confirm, {("unmask-confirm", "n_clicks"): 1, ("unmask-reason", "value"): reason,
                                ("url", "pathname"): pathname})["response"]


def test_an_invisible_reason_does_not_unmask(installed):
    board = client(installed, "dsmb")
    response = _unmask(board, "\u200b" * 40 + "ok", "/safety")
    assert "visible characters" in response["unmask-feedback"]["children"]
    assert "coded arms" in str(board.layout())


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil/x", "/\\evil.example", "javascript:alert(1)",
                                    "/_dash-layout"])
def test_unmask_redirects_only_to_same_site_paths(installed, target):
    response = _unmask(client(installed, "dsmb"), "Charter section 7.2 meeting", target)
    assert response["unmask-redirect"]["href"] == "/"


def test_unmask_reason_is_closed_detail(installed):
    instance, _ = installed
    response = _unmask(client(installed, "dsmb"), "Group A excess deaths: charter 7.2", "/outcomes")
    assert response["unmask-redirect"]["href"] == "/outcomes"
    rows = audit.events(event="unmask", database_url=instance.database_url, closed_detail=True)
    assert "Group A excess" not in " ".join(rows["detail"].fillna(""))
    assert "Group A excess deaths" in " ".join(rows["closed_detail"].fillna(""))
