"""Meeting pack page over the real app: builds run in the background and the page polls their state; the open pack
is one per cut for everybody, a closed pack is the user's own; blinded roles can neither build nor download a
closed pack; a failed build reaches the user as a message; every step audited."""

from __future__ import annotations

import hashlib
import json
import re
import stat

import pytest
from dash_client import DashClient, login
from support import DEMO_EXPORTS, make_app, make_instance

from dashboard import audit
from dashboard.pack import build, jobs
from callbacks.pack import INLINE
from layouts import pack as ids

BUILD_S = 240       # a whole build on a busy two-core machine


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    instance = make_instance(tmp_path_factory.mktemp("pack-page"),
                             [(DEMO_EXPORTS / "final", "2021-07-10", "Final")])
    app = make_app(instance)
    app.server.config[INLINE] = False         # as in production: builds in the background (a TESTING app inlines)
    return instance, app


def _client(site, role: str) -> DashClient:
    instance, app = site
    return DashClient(login(app.server.test_client(), role, instance.passwords[role]))


def _press(client: DashClient, button: str) -> str:
    """Click a build button; the answer (the note) as text. It returns at once: the build runs on."""
    callback = client.callback_for(f"..{ids.NOTE}.children")
    response = client.post_callback(callback, {(button, "n_clicks"): 1}, changed=[f"{button}.n_clicks"])
    assert response.status_code in (200, 204), response.status_code
    return json.dumps(response.get_json()) if response.status_code == 200 else ""


def _state(client: DashClient) -> tuple[str, bool]:
    """What the page shows of the packs, and whether it keeps polling (a build is running)."""
    callback = client.callback_for(f"..{ids.STATUS}.children")
    answer = client.call(callback, {(ids.POLL, "n_intervals"): 1})["response"]
    return json.dumps(answer[ids.STATUS]["children"]), not answer[ids.POLL]["disabled"]


def _built(client: DashClient) -> str:
    assert jobs.JOBS.wait(BUILD_S), "the build did not finish"
    shown, polling = _state(client)
    assert not polling                          # nothing running: the page stops polling
    return shown


@pytest.mark.parametrize("role", ["investigator", "admin"])
def test_blinded_roles_can_neither_build_nor_download_the_closed_pack(site, role):
    instance, _ = site
    client = _client(site, role)
    assert "only for roles that see arms" in _press(client, ids.BUILD_CLOSED)
    assert client.client.get(f"{ids.FILE_ROUTE}/closed").status_code == 403
    assert "Closed pack" not in _state(client)[0]
    assert not (instance.instance_path / "packs" / role / "closed").exists()


def test_anonymous_gets_nothing(site):
    _, app = site
    response = app.server.test_client().get(f"{ids.FILE_ROUTE}/open")
    assert response.status_code in (302, 401) and b"%PDF" not in response.data     # to the login page


def test_a_page_render_builds_nothing(site):
    """The renderer posts the build callback with n_clicks None: nothing is built."""
    instance, _ = site
    client = _client(site, "statistician")
    callback = client.callback_for(f"..{ids.NOTE}.children")
    assert client.post_callback(callback, {}, changed=[f"{ids.BUILD_CLOSED}.n_clicks"]).status_code == 204
    assert not (instance.instance_path / "packs" / "statistician" / "closed").exists()
    assert "Not built yet" in _state(client)[0]


def test_board_builds_and_downloads_its_closed_pack_audited(site):
    instance, _ = site
    client = _client(site, "dsmb")
    assert "Building the closed pack of cut 2021-07-10" in _press(client, ids.BUILD_CLOSED)
    assert "Download closed pack" in _built(client)
    pdf = instance.instance_path / "packs" / "dsmb" / "closed" / "closed.pdf"
    for folder in (pdf.parent, pdf.parent.parent, pdf.parent.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert not [p for p in pdf.parent.parent.iterdir() if p.name.startswith(".")]     # no staging left
    response = client.client.get(f"{ids.FILE_ROUTE}/closed")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.data == pdf.read_bytes()
    assert "_CLOSED_meeting_pack.pdf" in response.headers["Content-Disposition"]
    rows = audit.events(event="pack_download", database_url=instance.database_url, closed_detail=True)
    row = rows[rows["username"] == "dsmb"].iloc[0]
    assert "sha256" not in json.loads(row["detail"])
    assert json.loads(row["closed_detail"])["sha256"] == hashlib.sha256(response.data).hexdigest()
    built = audit.events(event="pack_build", database_url=instance.database_url)
    assert (built["username"] == "dsmb").any()
    other = _client(site, "statistician").client.get(f"{ids.FILE_ROUTE}/closed")
    assert other.status_code == 404             # another user's pack is never reachable: own folder only


def test_open_pack_is_one_per_cut_shared_by_every_user(site):
    instance, _ = site
    investigator, board = _client(site, "investigator"), _client(site, "dsmb")
    assert "Building the open pack" in _press(investigator, ids.BUILD_OPEN)
    assert "already being built" in _press(board, ids.BUILD_OPEN)        # joins the running build
    assert _state(board)[1]                                              # ... and the page polls it
    assert "Download open pack" in _built(investigator)
    files = [c.client.get(f"{ids.FILE_ROUTE}/open") for c in (investigator, board, _client(site, "admin"))]
    assert all(f.status_code == 200 for f in files)
    assert files[0].data == files[1].data == files[2].data              # the same file for everybody
    builds = audit.events(event="pack_build", database_url=instance.database_url)
    open_builds = builds[builds["detail"].map(lambda d: json.loads(d)["access"] == "blinded")]
    assert list(open_builds["username"]) == ["investigator"]             # built once, for all
    downloads = audit.events(event="pack_download", database_url=instance.database_url)
    assert {"investigator", "dsmb", "admin"} <= set(downloads["username"])
    assert not (instance.instance_path / "packs" / "investigator").exists()   # nothing under a user's folder


def test_a_failed_build_reaches_the_user_as_a_message(site, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("chromium exploded at /usr/lib/secret/path")

    monkeypatch.setattr(build, "build_all", broken)
    client = _client(site, "statistician")
    assert "Building the closed pack" in _press(client, ids.BUILD_CLOSED)
    shown = _built(client)
    assert "could not be built; the error is in the server log" in shown
    assert "Traceback" not in shown and "chromium exploded" not in shown
    assert client.client.get(f"{ids.FILE_ROUTE}/closed").status_code == 404
    folder = site[0].instance_path / "packs" / "statistician"
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]          # the staging folder is gone


def test_a_testing_app_builds_within_the_request(site, monkeypatch):
    """What the leak crawls rely on: with DSMB_PACK_INLINE_BUILDS the click returns once the pack is built."""
    _, app = site
    monkeypatch.setitem(app.server.config, INLINE, True)
    client = _client(site, "admin")
    assert "Open pack of cut 2021-07-10 built" in _press(client, ids.BUILD_OPEN)
    shown, polling = _state(client)
    assert "Download open pack" in shown and not polling
    assert re.search(r"built \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(asked by admin\)", shown)  # crawl-normalized
