"""Meeting pack page over the real app: blinded roles cannot build or download the closed pack; the board's
closed pack is built into its private folder and served through the guarded callback, each step audited."""

from __future__ import annotations

import hashlib
import json
import stat

import pytest
from dash_client import DashClient, login
from support import DEMO_EXPORTS, make_app, make_instance

from dashboard import audit
from layouts import pack as ids


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    instance = make_instance(tmp_path_factory.mktemp("pack-page"),
                             [(DEMO_EXPORTS / "final", "2021-07-10", "Final")])
    return instance, make_app(instance)


def _client(site, role: str) -> DashClient:
    instance, app = site
    return DashClient(login(app.server.test_client(), role, instance.passwords[role]))


def _press(client: DashClient, output: str, button: str) -> dict:
    callback = next(c for c in client.dependencies() if c.output.lstrip(".").startswith(output))
    response = client.post_callback(callback, {(button, "n_clicks"): 1}, changed=[f"{button}.n_clicks"])
    assert response.status_code in (200, 204), response.status_code
    return response.get_json() if response.status_code == 200 else {}


@pytest.mark.parametrize("role", ["investigator", "admin"])
def test_blinded_roles_can_neither_build_nor_download_the_closed_pack(site, role):
    instance, _ = site
    client = _client(site, role)
    built = _press(client, f"{ids.STATUS}.children", ids.BUILD_CLOSED)
    assert "only for roles that see arms" in json.dumps(built)
    assert client.client.get(f"{ids.FILE_ROUTE}/closed").status_code == 403
    assert not (instance.instance_path / "packs" / role / "closed").exists()


def test_anonymous_gets_nothing(site):
    _, app = site
    response = app.server.test_client().get(f"{ids.FILE_ROUTE}/open")
    assert response.status_code in (302, 401) and b"%PDF" not in response.data     # to the login page


def test_board_builds_and_downloads_its_closed_pack_audited(site):
    instance, _ = site
    client = _client(site, "dsmb")
    built = _press(client, f"{ids.STATUS}.children", ids.BUILD_CLOSED)
    assert "Closed pack of cut 2021-07-10 built" in json.dumps(built)
    pdf = instance.instance_path / "packs" / "dsmb" / "closed" / "closed.pdf"
    for folder in (pdf.parent, pdf.parent.parent, pdf.parent.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    response = client.client.get(f"{ids.FILE_ROUTE}/closed")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.data == pdf.read_bytes()
    assert "_CLOSED_meeting_pack.pdf" in response.headers["Content-Disposition"]
    rows = audit.events(event="pack_download", database_url=instance.database_url, closed_detail=True)
    row = rows[rows["username"] == "dsmb"].iloc[0]
    assert "sha256" not in json.loads(row["detail"])
    assert json.loads(row["closed_detail"])["sha256"] == hashlib.sha256(response.data).hexdigest()
    other = _client(site, "statistician").client.get(f"{ids.FILE_ROUTE}/closed")
    assert other.status_code == 404             # another user's pack is never reachable: own folder only


def test_a_page_render_builds_nothing(site):
    """The renderer posts the build callback with n_clicks None: nothing is built."""
    instance, _ = site
    client = _client(site, "statistician")
    callback = next(c for c in client.dependencies() if c.output.lstrip(".").startswith(f"{ids.STATUS}.children"))
    assert client.post_callback(callback, {}, changed=[f"{ids.BUILD_CLOSED}.n_clicks"]).status_code == 204
    assert not (instance.instance_path / "packs" / "statistician" / "closed").exists()
