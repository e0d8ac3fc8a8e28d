"""The display catalogue is complete and consistent: unique keys, ids that exist in a layout, real functions, and
every view registered exactly once as the callback that fills its displays (no display-bearing callback beside it,
except the legacy ones listed here, which shrink as pages move onto the catalogue)."""

from __future__ import annotations

import pytest
from test_layout_ids import layout_ids

from dashboard.displays import Form, displays, views
from dashboard.pages import page_for
from dashboard.permissions import ROLE_PERMISSIONS

# Callbacks that fill no display: the router, the unmask dialog, the readiness badges (one per page, filled from
# the catalogue itself) and the meeting-pack build (an action; the pack draws the catalogue's views).
NOT_DISPLAYS = frozenset({
    "callbacks.shell.route", "callbacks.shell.open_unmask_dialog", "callbacks.shell.unmask",
    "callbacks.readiness.fill_badges", "callbacks.pack.build_pack", "callbacks.pack.pack_state",
    # the Meetings page's actions (record, amend, sign, resolve): they write, they show no data
    "callbacks.meeting.start_form", "callbacks.meeting.save", "callbacks.meeting.sign", "callbacks.meeting.resolve",
})
# Display-bearing callbacks not on the catalogue: none (every page moved); the list may only ever shrink.
LEGACY: frozenset[str] = frozenset()
KINDS = {"figure", "table", "listing", "tiles", "note", "choice", "download", "modal"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from dashboard.app_factory import create_app

    tmp = tmp_path_factory.mktemp("catalogue")
    return create_app({"TESTING": True, "SECRET_KEY": "x" * 32, "INSTANCE_PATH": str(tmp),
                       "DSMB_DATA_ROOT": tmp / "data", "DSMB_DATABASE_URL": f"sqlite:///{tmp}/db.sqlite"})


def _outputs(key: str) -> frozenset[str]:
    """The "id.prop" outputs of a callback-map key ("a.children" or "..a.children...b.figure..")."""
    return frozenset(key.strip(".").split("...")) if key.startswith("..") else frozenset({key})


def _view_outputs(view) -> frozenset[str]:
    return frozenset(f"{out.component_id}.{out.prop}" for out in view.outputs.values())


def _callback_name(spec: dict) -> str:
    fn = spec["callback"]
    return f"{fn.__module__}.{fn.__name__}"


def test_catalogue_is_not_empty_and_keys_are_unique():
    view_keys = [v.key for v in views()]
    display_keys = [d.key for d in displays()]
    assert len(view_keys) >= 2 and len(display_keys) >= 2
    assert len(set(view_keys)) == len(view_keys)
    assert len(set(display_keys)) == len(display_keys)


def test_every_view_sits_on_a_page_with_that_page_permission():
    for view in views():
        page = page_for(view.page)
        assert page is not None and page.path == view.page, f"{view.key}: no page {view.page}"
        # the page's permission, or a stricter one (the Meetings form's choices need RECORD_MEETINGS): every role
        # holding the view's permission may open the page
        stricter = all(page.permission in held for held in ROLE_PERMISSIONS.values() if view.permission in held)
        assert view.permission is page.permission or stricter, \
            f"{view.key}: {view.permission} on a page needing {page.permission}"
        assert page.reads_trial_data or not view.reads_trial_data, f"{view.key} reads trial data on {page.path}"


def test_every_component_id_of_the_catalogue_exists_in_some_layout():
    known = layout_ids()
    missing = {}
    for view in views():
        names = {out.component_id for out in view.outputs.values()}
        names |= {control.component_id for control in view.controls.values()}
        if absent := sorted(names - known):
            missing[view.key] = absent
    assert not missing, f"catalogue entries name ids that no layout has: {missing}"


def test_every_display_declares_real_functions_and_well_formed_metadata():
    for display in displays():
        assert display.kind in KINDS, display.key
        assert display.outputs, f"{display.key} fills nothing"
        assert display.forms and display.forms <= set(Form), display.key
        assert all(callable(fn) for fn in display.analysis), f"{display.key}: an analysis entry is not callable"
        assert display.builder is None or callable(display.builder), f"{display.key}: builder is not callable"
        for field in display.fields:
            domain, _, column = field.partition(".")
            assert column and domain in display.domains, f"{display.key}: field {field} outside its domains"
    for view in views():
        assert callable(view.compute), view.key
        assert view.no_cut is None or callable(view.no_cut), view.key


def test_trial_data_display_keys_start_with_their_page():
    """The readiness badges are grouped per page by the key's first part (one callback fills a page's badges)."""
    for view in views():
        if view.reads_trial_data:
            for display in view.displays:
                assert display.key.split(".")[0] == view.page.strip("/").split("/")[0], display.key


def test_every_view_is_registered_exactly_once(app):
    registered = app.server.config["DSMB_REGISTERED_VIEWS"]
    assert sorted(registered) == sorted(v.key for v in views())
    for view in views():
        matching = [key for key in app.callback_map if _outputs(key) == _view_outputs(view)]
        assert len(matching) == 1, f"{view.key}: {len(matching)} callbacks fill its outputs"
        assert _callback_name(app.callback_map[matching[0]]) == "callbacks.views.answer", view.key


def test_every_display_bearing_callback_comes_from_a_view(app):
    from_views = {_view_outputs(v) for v in views()}
    strays = sorted(_callback_name(spec) for key, spec in app.callback_map.items()
                    if _outputs(key) not in from_views and _callback_name(spec) not in NOT_DISPLAYS | LEGACY)
    assert not strays, f"callbacks that fill displays outside the catalogue: {strays}"


def test_no_output_is_filled_by_a_view_and_by_another_callback(app):
    by_view = {out for v in views() for out in _view_outputs(v)}
    others = {out for key in app.callback_map if _outputs(key) not in {_view_outputs(v) for v in views()}
              for out in _outputs(key)}
    assert not by_view & others


def test_legacy_exceptions_are_not_stale(app):
    """A page that moved onto the catalogue leaves the legacy list (it only shrinks)."""
    names = {_callback_name(spec) for spec in app.callback_map.values()}
    assert not (LEGACY - names), f"no longer legacy, remove from LEGACY: {sorted(LEGACY - names)}"
    assert not (NOT_DISPLAYS - names - {"callbacks.readiness.fill_badges"}), sorted(NOT_DISPLAYS - names)



def _badge_keys() -> set[str]:
    """Display keys of every readiness badge in any layout."""
    import json

    from layouts.readiness import READINESS

    ids = [json.loads(i) for i in layout_ids() if i.startswith("{")]
    return {i["display"] for i in ids if i.get("type") == READINESS}


def test_every_readiness_badge_names_a_display_that_declares_its_data():
    by_key = {d.key: d for d in displays()}
    badges = _badge_keys()
    assert badges, "no page carries a readiness badge"
    unknown = sorted(k for k in badges if k not in by_key)
    assert not unknown, f"badges for displays the catalogue does not have: {unknown}"
    silent = sorted(k for k in badges if not by_key[k].domains)
    assert not silent, f"badges for displays that declare no domains (nothing to say): {silent}"


def test_every_trial_data_display_carries_a_readiness_badge():
    """Each figure, table, listing or tile group that reads trial data shows how ready its data are."""
    badges = _badge_keys()
    missing = sorted(d.key for v in views() if v.reads_trial_data for d in v.displays
                     if d.kind in {"figure", "table", "listing", "tiles"} and d.domains and d.key not in badges)
    assert not missing, f"trial-data displays without a readiness badge: {missing}"


def test_the_crawl_check_reports_a_view_it_did_not_call():
    """Guard for the allocation-invariance crawl: a view not called, or only called directly, is reported."""
    from crawl import Exchange, uncalled_views
    from dash_client import Callback

    view = next(v for v in views() if v.reads_trial_data and any(Form.POOLED in d.forms for d in v.displays))
    outputs = [f"{out.component_id}.{out.prop}" for out in view.outputs.values()]
    callback = Callback(f"..{'...'.join(outputs)}..", [], [], False)
    called = [Exchange(f"{view.page} {callback.output} initial", 200, "{}", callback.output)]
    direct = [Exchange(f"direct {callback.output}", 403, "", callback.output)]
    assert uncalled_views(called, [callback], (view,), {view.page}, sees_arms=False) == []
    assert uncalled_views([], [callback], (view,), {view.page}, sees_arms=False)
    assert uncalled_views(direct, [callback], (view,), {view.page}, sees_arms=False)
    assert uncalled_views(direct, [callback], (view,), set(), sees_arms=False) == []   # page not open to the role
    assert uncalled_views(called, [], (view,), {view.page}, sees_arms=False)           # not registered
