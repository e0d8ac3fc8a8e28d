"""A view on a tab computes only while its tab is shown (`View.tabs`): the declaration's rules, every view of a tabbed
page gated by that page's tabs, and the crawl's guard that a view whose tab the crawl never opened is reported."""

from __future__ import annotations

import itertools

import dash_bootstrap_components as dbc
import pytest

from dashboard.blinding import Access
from dashboard.context import ViewContext
from dashboard.displays import Display, Out, View, views
from dashboard.pages import all_pages
from dashboard.permissions import Permission


def _display(key: str, tab: str) -> Display:
    return Display(key, key, "figure", ("AE",), {key: Out(f"{key}-graph", "figure")}, tab=tab)


def _compute(*_, **__) -> dict:
    return {}


def test_a_view_on_one_tab_is_shown_by_the_pages_tabs_value():
    view = View("p:v", "/p", Permission.VIEW_SAFETY, _compute, (_display("a", "labs"), _display("b", "labs")),
                tabs="p-tabs")
    assert view.tab == "labs"
    assert (view.shown_by.component_id, view.shown_by.prop, view.shown_by.state) == ("p-tabs", "active_tab", False)


def test_a_view_without_tabs_is_not_gated():
    view = View("p:v", "/p", Permission.VIEW_SAFETY, _compute, (_display("a", "labs"),))
    assert view.shown_by is None


@pytest.mark.parametrize("displays, prevent", [
    ((_display("a", "labs"), _display("b", "soc")), False),   # displays on two tabs: which one shows it?
    ((_display("a", ""),), False),                             # a display on no tab
    ((_display("a", "labs"),), True),                          # a click-started view: a tab change would start it
])
def test_tabs_is_refused_where_it_cannot_mean_one_shown_tab(displays, prevent):
    with pytest.raises(ValueError, match="tabs"):
        View("p:v", "/p", Permission.VIEW_SAFETY, _compute, displays, tabs="p-tabs", prevent_initial_call=prevent)


def _contexts() -> list[ViewContext]:
    return [ViewContext(username="u", role="statistician", access=access, may_unmask=may_unmask,
                        study_id="NCT05019287", study_title="T", target_enrollment=29, cut_id="c",
                        cut_date="2021-07-10",
                        arm_labels=("Group A", "Group B") if access.sees_arms else (),
                        permissions=frozenset(Permission))
            for access, may_unmask in itertools.product(Access, (False, True))]


def _page_tabs() -> dict[str, dict[str, list[str]]]:
    """page path -> {tabs id: its tab ids}, over every access level's layout."""
    found: dict[str, dict[str, list[str]]] = {}
    for page, ctx in itertools.product(all_pages(), _contexts()):
        for node in page.layout(ctx)._traverse():  # noqa: SLF001 - Dash's own tree walk
            if isinstance(node, dbc.Tabs):
                found.setdefault(page.path, {})[node.id] = [t.tab_id for t in node.children]
    return found


def test_every_view_on_a_tab_computes_only_while_its_tab_is_shown():
    """A view of a tabbed page that runs on page open and whose displays sit on one of its tabs must be gated by
    that page's tabs (else it computes with the page, whatever tab is shown), and its tab must exist there."""
    page_tabs = _page_tabs()
    assert {"/safety", "/recruitment"} <= set(page_tabs)
    problems = []
    for view in views():
        tabs = page_tabs.get(view.page, {})
        if not tabs or view.prevent_initial_call or not view.tab:
            continue
        (tabs_id, tab_ids), = tabs.items()
        if view.tabs != tabs_id:
            problems.append(f"{view.key}: tabs={view.tabs!r}, the page's tabs are {tabs_id!r}")
        elif view.tab not in tab_ids:
            problems.append(f"{view.key}: tab {view.tab!r} is not one of {tab_ids}")
    assert not problems, problems


def test_the_first_tab_shown_is_the_first_tab():
    """The page opens on its first tab (the one whose views compute with the page)."""
    for page, ctx in itertools.product(all_pages(), _contexts()):
        for node in page.layout(ctx)._traverse():  # noqa: SLF001
            if isinstance(node, dbc.Tabs):
                assert node.active_tab == node.children[0].tab_id, page.path


def test_the_crawl_reports_a_view_that_answered_nothing_for_lack_of_its_tab():
    """Guard for the leak crawls: a view on a tab answering 204 on its page (its tab not shown) is reported; its
    call with another tab shown (the crawl's "hidden" request) is not."""
    from crawl import HIDDEN, Exchange, tab_starved, uncalled_views
    from dash_client import Callback

    view = next(v for v in views() if v.shown_by is not None)
    outputs = [f"{out.component_id}.{out.prop}" for out in view.outputs.values()]
    callback = Callback(f"..{'...'.join(outputs)}..", [], [], False)
    shown = Exchange(f"{view.page} {callback.output} initial", 200, "{}", callback.output)
    hidden = Exchange(f"{view.page} {callback.output} {HIDDEN} other", 204, "", callback.output)
    starved = Exchange(f"{view.page} {callback.output} initial", 204, "", callback.output)
    assert tab_starved([shown, hidden], [callback], (view,)) == []
    assert tab_starved([starved], [callback], (view,))
    assert uncalled_views([starved], [callback], (view,), {view.page}, sees_arms=True)
    assert uncalled_views([shown, hidden], [callback], (view,), {view.page}, sees_arms=True) == []
