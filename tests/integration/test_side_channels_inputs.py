"""Issue 17: a 70,000-value filter posted 30 times grew a worker by 180 MiB. Every callback request is bounded
(body size, list length, string length) before Dash runs anything, and analysis caches keep bounded keys only."""

from __future__ import annotations

import gc
import json
import tracemalloc

import pandas as pd
import pytest

from dashboard import guard, memo
from dashboard.blinding import BlindedTrialData
from dashboard.config import load_trial_config
from dashboard.cuts import CutManifest

SITE_FILTER = "rec-site-filter"


def site_callback(client):
    """A recruitment callback driven by the site filter, and the values a browser would send."""
    client.open_page("/recruitment")
    callback = next(c for c in client.dependencies() if any(d["id"] == SITE_FILTER for d in c.inputs))
    return callback


def post_sites(client, callback, sites):
    values = {(SITE_FILTER, "value"): sites}
    return client.post_callback(callback, values, changed=[f"{SITE_FILTER}.value"])


@pytest.mark.parametrize("role", ["statistician", "investigator"])
def test_a_huge_filter_is_refused_before_dash_runs_and_grows_nothing(client_for, role):
    client = client_for(role)
    callback = site_callback(client)
    assert post_sites(client, callback, ["01"]).status_code == 200            # an ordinary filter still works
    huge = [f"site-{i:05d}" for i in range(70_000)]
    post_sites(client, callback, huge)                                        # warm whatever a first call warms
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    statuses = {post_sites(client, callback, huge).status_code for _ in range(30)}
    gc.collect()                                     # what is still held, not garbage awaiting collection
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert statuses == {413}
    assert grown < 2 * 1024 * 1024, f"{grown / 2**20:.1f} MiB kept after 30 refused posts"


def test_each_bound_is_refused_with_400_and_no_traceback(client_for):
    client = client_for("statistician")
    callback = site_callback(client)
    for value, problem in ((["01"] * (guard.MAX_LIST_ITEMS + 1), "a list of more than"),
                           (["x" * (guard.MAX_STRING_CHARS + 1)], "a text longer than"),
                           ([{str(i): i for i in range(guard.MAX_OBJECT_KEYS + 1)}], "an object of more than"),
                           (json.loads("[" * 20 + "]" * 20), "nested too deeply")):
        response = post_sites(client, callback, value)
        text = response.get_data(as_text=True)
        assert response.status_code == 400 and problem in text, (response.status_code, text[:200])
        assert "Traceback" not in text and len(text) < 200
    at_bound = [f"{i:02d}" for i in range(guard.MAX_LIST_ITEMS)]
    assert post_sites(client, callback, at_bound).status_code == 200


def test_a_body_that_is_not_an_object_is_refused(client_for):
    client = client_for("investigator")
    response = client.client.post("/_dash-update-component", data="[1, 2, 3]", content_type="application/json",
                                  headers=client.csrf_headers())
    assert response.status_code == 400 and "Traceback" not in response.get_data(as_text=True)


def test_an_anonymous_oversized_post_gets_401_not_413(demo_app):
    response = demo_app.server.test_client().post("/_dash-update-component", data="x" * (guard.MAX_CALLBACK_BODY + 1),
                                                  content_type="application/json")
    assert response.status_code == 401


def test_memo_keeps_no_result_under_a_key_with_too_many_values():
    manifest = CutManifest("2021-07-10-0123abcd", "NCT05019287", "2021-07-10", "Final", "2021-07-11T09:00:00+00:00",
                           "stat", "/exports/final", ())
    data, calls = BlindedTrialData(manifest, load_trial_config(), {}, pd.DataFrame()), []
    huge = tuple(f"site-{i}" for i in range(memo._MAX_KEY_ITEMS + 1))
    for _ in range(3):
        memo.memoized(data, "count", lambda: calls.append(1), huge, "2021-01-01", "2021-12-31")
    assert len(calls) == 3 and not data.__dict__.get("_memo")
    small = tuple(huge[:10])
    for _ in range(3):
        memo.memoized(data, "count", lambda: calls.append(1), small, "2021-01-01", "2021-12-31")
    assert len(calls) == 4 and len(data.__dict__["_memo"]) == 1
    for i in range(memo._MAX_ENTRIES + 50):
        memo.memoized(data, "count", lambda: None, (f"site-{i}",))
    assert len(data.__dict__["_memo"]) == memo._MAX_ENTRIES
