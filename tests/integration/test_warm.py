"""Cache warming (dashboard/warm.py): off in tests unless asked, each level warms only its own caches, the views a
level warms are the ones its role may call, with the control values its page starts with."""

from __future__ import annotations

import flask
import pytest

from dashboard import blinding, cuts, warm
from dashboard.blinding import Access
from dashboard.permissions import Role, role_may


def test_warming_is_off_under_testing_even_when_asked(demo_app, monkeypatch):
    monkeypatch.setenv("DSMB_WARM", "1")
    assert not warm.enabled(demo_app.server)


def test_warming_needs_the_switch(monkeypatch):
    app = flask.Flask("bare")
    monkeypatch.delenv("DSMB_WARM", raising=False)
    assert not warm.enabled(app)
    monkeypatch.setenv("DSMB_WARM", "1")
    assert warm.enabled(app)


def test_blinded_level_warms_only_the_investigators_views_with_layout_values(demo_app):
    server = demo_app.server
    config, root = server.config["DSMB_TRIAL"], server.config["DSMB_DATA_ROOT"]
    with server.app_context():
        cut_id = cuts.active_cut_id(root)
        warmed = list(warm._views_with_defaults(Access.BLINDED, cut_id, config, root))
    assert warmed, "no view to warm"
    assert all(role_may(Role.INVESTIGATOR, view.permission) for view, _ in warmed)
    assert all(view.reads_trial_data and not view.prevent_initial_call for view, _ in warmed)
    # at least one control starts with a value taken from the layout (a dropdown's or radio's default)
    assert any(value is not None for _, controls in warmed for value in controls.values())


def test_warming_a_level_fills_that_levels_cache_and_no_other(demo_app, monkeypatch):
    server = demo_app.server
    config, root = server.config["DSMB_TRIAL"], server.config["DSMB_DATA_ROOT"]
    monkeypatch.setattr(warm, "ROLE_OF_ACCESS", {Access.BLINDED: Role.INVESTIGATOR})
    with server.app_context():
        cut_id = cuts.active_cut_id(root)
    blinding.clear_caches()
    warm._run(server, cut_id, config, root)
    assert warm.last_run["failed"] == [] and warm.last_run["views"] > 0
    blinded = blinding.trial_data(cut_id, Access.BLINDED, config, root)
    armed = blinding.trial_data(cut_id, Access.UNBLINDED, config, root)
    assert blinded.__dict__.get("_memo"), "the blinded level's cache stayed empty"
    assert not armed.__dict__.get("_memo"), "warming the blinded level filled an armed cache"


@pytest.fixture
def warmed(demo_app):
    """(cut id, config, root) of the demo's active cut, warmed at every level from empty caches."""
    server = demo_app.server
    config, root = server.config["DSMB_TRIAL"], server.config["DSMB_DATA_ROOT"]
    with server.app_context():
        cut_id = cuts.active_cut_id(root)
    blinding.clear_caches()
    warm._run(server, cut_id, config, root)
    return cut_id, config, root


def test_warming_every_level_leaves_each_levels_cache_filled(warmed):
    """No level's warming throws another level's work away (each has its own cache, none is dropped)."""
    cut_id, config, root = warmed
    for access in (Access.BLINDED, Access.CODED, Access.UNBLINDED):
        assert blinding.trial_data(cut_id, access, config, root).__dict__.get("_memo"), f"{access.value} cache empty"


def test_warming_fills_the_readiness_badges_of_each_level(warmed):
    """The badge callback is not a catalogue view; warming computes it too, under the callback's own cache key
    (held once by the cut's blinded data, `memo.pooled`, which every level reads)."""
    cut_id, config, root = warmed
    for access in (Access.BLINDED, Access.UNBLINDED):
        keys = blinding.trial_data(cut_id, access, config, root).blinded.__dict__.get("_memo", {})
        assert any(key[0] == "readiness" for key in keys), f"no readiness badge warmed at {access.value}"


def test_releasing_memory_after_warming_keeps_every_cache(warmed):
    """`release_memory` gives freed heap pages back; the cached trial data and results stay as they were."""
    cut_id, config, root = warmed
    before = {access: dict(blinding.trial_data(cut_id, access, config, root).__dict__.get("_memo", {}))
              for access in Access}
    warm.release_memory()
    for access, entries in before.items():
        after = blinding.trial_data(cut_id, access, config, root).__dict__.get("_memo", {})
        assert entries and set(after) == set(entries) and all(after[k] is entries[k] for k in entries)
