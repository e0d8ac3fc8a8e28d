"""Data cuts page callbacks over the real app: the cut list, one cut's manifest, and the empty states."""

from __future__ import annotations

import json

import pytest
from support import make_app, make_instance
from dash_client import open_page_as, respond

from layouts import cuts as ids


def _page(app, instance, role: str):
    return open_page_as(app, role, instance.passwords[role], "/cuts")


def _detail(client, props, cut_id) -> dict:
    callback = client.callback_for(f"..{ids.CUT_DETAIL}.children")
    return respond(client, props, callback, {(ids.CUT_PICKER, "value"): cut_id})


@pytest.mark.parametrize("role", ["admin", "statistician"])
def test_with_no_cut_loaded_the_page_says_so_as_every_page_does(tmp_path, role):
    instance = make_instance(tmp_path, [])
    client, props = _page(make_app(instance), instance, role)
    listing = client.call(client.callback_for(f"..{ids.CUT_TABLE}.rowData"), {(ids.CUT_TABLE, "id"): ids.CUT_TABLE})
    assert listing["response"][ids.CUT_TABLE]["rowData"] == [] and listing["response"][ids.CUT_PICKER]["value"] is None
    detail = _detail(client, props, None)
    assert detail[ids.CUT_DETAIL]["children"] == "No data cut has been loaded yet."
    assert detail[ids.WARNINGS_TABLE]["rowData"] == []


def test_the_active_cut_shows_its_manifest_and_an_unknown_one_does_not(demo_app, demo_instance):
    client, props = _page(demo_app, demo_instance, "statistician")
    listing = client.call(client.callback_for(f"..{ids.CUT_TABLE}.rowData"), {(ids.CUT_TABLE, "id"): ids.CUT_TABLE})
    active = listing["response"][ids.CUT_PICKER]["value"]
    rows = listing["response"][ids.CUT_TABLE]["rowData"]
    assert [r["cut_id"] for r in rows if r["status"] == "ACTIVE"] == [active]
    assert active in json.dumps(_detail(client, props, active)[ids.CUT_DETAIL])
    assert _detail(client, props, "no-such-cut")[ids.CUT_DETAIL]["children"] == "No such cut."
