"""Every callback declares a permission and the server enforces it for every role, on every call."""

from __future__ import annotations

import json

import pytest
from support import ROLES
from crawl import is_pattern_callback, post_pattern_callback
from dash_client import Callback

from dashboard.guard import callback_permissions
from dashboard.permissions import Role, role_may


def test_every_callback_declares_a_permission(client_for, demo_app):
    declared = callback_permissions(demo_app)
    for callback in client_for("admin").dependencies():
        assert callback.output in declared, f"callback {callback.output} has no permission"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_refused_exactly_the_callbacks_it_lacks(client_for, demo_app, role):
    client = client_for(role)
    declared = callback_permissions(demo_app)
    config = demo_app.server.config["DSMB_TRIAL"]
    checked = 0
    for callback in client.dependencies():
        permission = declared[callback.output]
        allowed = role_may(Role(role), permission, board_may_unmask=config.board_may_unmask)
        response = (post_pattern_callback(client, callback, {}) if is_pattern_callback(callback)  # readiness badges
                    else client.post_callback(callback, {}))
        if allowed:
            assert response.status_code != 403, f"{role} refused {callback.output}"
        else:
            assert response.status_code == 403, f"{role} may not call {callback.output}, got {response.status_code}"
            assert response.get_data(as_text=True) == "Not permitted."
        checked += 1
    assert checked >= 5


def test_unknown_callback_is_refused(client_for):
    client = client_for("statistician")
    body = {"output": "no-such-component.children", "outputs": {"id": "no-such-component", "property": "children"},
            "inputs": [], "changedPropIds": []}
    response = client.client.post("/_dash-update-component", data=json.dumps(body),
                                  content_type="application/json", headers=client.csrf_headers())
    assert response.status_code == 403


def test_anonymous_gets_401_on_dash_routes(demo_app):
    anonymous = demo_app.server.test_client()
    for path in ("/_dash-layout", "/_dash-dependencies"):
        assert anonymous.get(path).status_code == 401
    assert anonymous.post("/_dash-update-component", json={}).status_code in (400, 401)
    page = anonymous.get("/safety")
    assert page.status_code in (302, 303) and "/login" in page.headers["Location"]


def test_callback_post_without_csrf_token_is_refused(client_for):
    client = client_for("investigator")
    router = client.callback_for("page-content.children")
    body = {"output": router.output, "outputs": router.outputs[0],
            "inputs": [{"id": "url", "property": "pathname", "value": "/recruitment"}],
            "changedPropIds": ["url.pathname"]}
    response = client.client.post("/_dash-update-component", data=json.dumps(body),
                                  content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("role,path,allowed", [
    ("investigator", "/admin/audit", False), ("investigator", "/cuts", False),
    ("dsmb", "/admin/users", False), ("admin", "/admin/users", True), ("statistician", "/cuts", True),
])
def test_router_refuses_pages_outside_the_role(client_for, role, path, allowed):
    page = json.dumps(client_for(role).open_page(path))
    assert ("Your role does not give access to this page." in page) is not allowed


@pytest.mark.parametrize("role", ROLES)
def test_navigation_lists_only_permitted_pages(client_for, role):
    from crawl import nav_paths

    paths = nav_paths(client_for(role).layout())
    assert ("/admin/audit" in paths) is (role == "admin")
    assert ("/cuts" in paths) is (role in ("admin", "dsmb", "statistician"))
    assert {"/recruitment", "/safety", "/outcomes"} <= set(paths)
