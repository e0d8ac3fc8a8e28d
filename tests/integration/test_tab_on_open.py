"""A tab computes when it is opened, not with the page (issue 18): at page open only the first tab's views compute;
a view whose tab is not shown answers nothing (no body, no data read, no audit row); opening its tab computes it
and, for a user who sees arms, records the closed view; the leak crawl still shows every view its tab."""

from __future__ import annotations

import json

import pytest
from crawl import HIDDEN, callback_of, crawl, nav_paths, tab_starved
from dash_client import collect_props, initial_values, page_open_values

from dashboard import audit
from dashboard.displays import views, views_on

TABBED_PAGES = ("/safety", "/recruitment")


def _page(client, path: str):
    layout, page = client.layout(), client.open_page(path)
    return collect_props(layout, page), client.dependencies()


@pytest.mark.parametrize("path", TABBED_PAGES)
@pytest.mark.parametrize("role", ["statistician", "investigator"])
def test_page_open_computes_the_first_tab_only(client_for, role, path):
    client = client_for(role)
    props, callbacks = _page(client, path)
    gated = [v for v in views_on(path) if v.shown_by is not None]
    first = {props.value(v.shown_by.component_id, "active_tab") for v in gated}
    assert len(first) == 1 and first != {None}
    for view in gated:
        callback = callback_of(view, callbacks)
        if callback is None or not callback.ids <= set(props.by_id):
            continue                                   # not on this role's page (a by-arm-only display)
        response = client.post_callback(callback, page_open_values(callback, props))
        if view.tab in first:
            assert response.status_code == 200 and json.loads(response.get_data())["response"], view.key
        else:
            assert (response.status_code, response.get_data()) == (204, b""), view.key


def _closed_views(instance) -> list[str]:
    rows = audit.events(event="closed_view", database_url=instance.database_url, closed_detail=True)
    return [json.loads(d)["view"] if isinstance(d, str) else d["view"] for d in rows["detail"]]


def test_a_hidden_tab_reads_nothing_and_records_nothing_until_opened(client_for, demo_instance, monkeypatch):
    import callbacks.views as registered

    reads = []
    fetch = registered.current_trial_data
    monkeypatch.setattr(registered, "current_trial_data", lambda: reads.append(1) or fetch())
    client = client_for("statistician")
    props, callbacks = _page(client, "/safety")
    view = next(v for v in views_on("/safety") if v.key == "safety:labs")
    callback = callback_of(view, callbacks)
    before = _closed_views(demo_instance)
    hidden = client.post_callback(callback, page_open_values(callback, props))     # the page opens on overview
    assert (hidden.status_code, hidden.get_data(), reads) == (204, b"", [])
    assert _closed_views(demo_instance) == before, "a view nobody was shown was recorded as seen"
    opened = client.post_callback(callback, page_open_values(callback, props) | {(view.tabs, "active_tab"): "labs"},
                                  [f"{view.tabs}.active_tab"])
    assert opened.status_code == 200 and reads == [1]
    assert _closed_views(demo_instance)[:1] == ["safety:labs"], "opening a closed view was not recorded"


def test_a_filter_changed_on_another_tab_applies_when_the_tab_opens(client_for):
    """The recruitment filters sit above the tabs: a change while Overview is shown leaves the Sites view unasked;
    opening Sites computes it with the filter as it is then, the same answer as a user on Sites changing it."""
    client = client_for("statistician")
    props, callbacks = _page(client, "/recruitment")
    view = next(v for v in views_on("/recruitment") if v.key == "recruitment:sites")
    callback = callback_of(view, callbacks)
    filters = callback_of(next(v for v in views() if v.key == "recruitment:filters"), callbacks)
    choices = client.call(filters, page_open_values(filters, props))["response"]
    first_day = choices["rec-date-filter"]["min_date_allowed"]
    filtered = page_open_values(callback, props) | {("rec-date-filter", "end_date"): first_day}
    assert client.post_callback(callback, filtered, ["rec-date-filter.end_date"]).status_code == 204
    opened = client.post_callback(callback, filtered | {(view.tabs, "active_tab"): "sites"},
                                  [f"{view.tabs}.active_tab"])
    on_sites = client.post_callback(callback, filtered | {(view.tabs, "active_tab"): "sites"},
                                    ["rec-date-filter.end_date"])
    unfiltered = client.post_callback(callback, initial_values(callback, props))   # its own tab shown
    assert opened.status_code == 200 and opened.get_json() == on_sites.get_json()
    assert opened.get_json() != unfiltered.get_json(), "the filter changed nothing: the test shows nothing"


@pytest.mark.parametrize("role", ["statistician", "investigator"])
def test_the_crawl_shows_every_view_its_tab(client_for, role):
    """The leak and permission crawls fire every view with its tab shown (else a leak there would go untested), and
    every view's call with another tab shown answers nothing at all."""
    client = client_for(role)
    exchanges, callbacks = crawl(client), client.dependencies()
    assert tab_starved(exchanges, callbacks, views()) == []
    may_open = set(nav_paths(client.layout()))
    for view in (v for v in views() if v.shown_by is not None and v.page in may_open):
        callback = callback_of(view, callbacks)
        mine = [e for e in exchanges if e.output == callback.output and e.request.startswith(f"{view.page} ")]
        if not mine:
            continue                                   # not on this role's page (a by-arm-only display)
        assert any(e.status == 200 and HIDDEN not in e.request for e in mine), view.key
        hidden = [e for e in mine if HIDDEN in e.request]
        assert hidden and all((e.status, e.body) == (204, "") for e in hidden), view.key
