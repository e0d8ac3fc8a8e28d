"""Crawl the app as a role: every page it may open and every callback it may call, with browser-like inputs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dash_client import (Callback, DashClient, collect_props, initial_values, option_values, shown_tab,
                         walk_components)

from dashboard.displays import Form, View

SELECTABLE_PROPS = {"value"}
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
DASH_NONCE = re.compile(r'"end_id":"[^"]*"')  # Dash's per-process id in the index page config


@dataclass(frozen=True)
class Exchange:
    """One request the crawler made and the response it got."""

    request: str
    status: int
    body: str
    output: str = ""        # the callback's output key, for a callback request


def normalize(text: str) -> str:
    """Remove nonces and timestamps, which differ between any two runs."""
    return DASH_NONCE.sub('"end_id":"<nonce>"', TIMESTAMP.sub("<timestamp>", text))


def nav_paths(layout: dict[str, Any]) -> list[str]:
    """The page paths in the navigation of a shell layout."""
    return [c["props"]["href"] for c in walk_components(layout)
            if c["type"] == "NavLink" and isinstance(c["props"].get("href"), str)]


def input_variants(callback: Callback, props, base: dict) -> Iterator[tuple[str, dict, list[str] | None]]:
    """Initial values, then each selectable input moved through each of its options, each listing clicked."""
    yield "initial", base, None
    for dep in callback.inputs:
        key = (dep["id"], dep["property"])
        if dep["property"] == "selectedRows":  # a click on the first and on the last row of a listing
            rows = props.by_id.get(dep["id"], {}).get("rowData") or []
            for position, row in (("first", rows[:1]), ("last", rows[-1:])):
                if row:
                    yield f"{dep['id']} {position} row", {**base, key: row}, [f"{dep['id']}.selectedRows"]
            continue
        if dep["property"] not in SELECTABLE_PROPS:
            continue
        component = props.by_id.get(dep["id"], {})
        for value in option_values(component):
            if value != base.get(key):
                sent = [value] if component.get("multi") else value
                yield f"{dep['id']}={value}", {**base, key: sent}, [f"{dep['id']}.{dep['property']}"]


def merge_outputs(props, payload: dict[str, Any]) -> None:
    """Apply a callback response to the known component props, as the renderer would."""
    for component_id, values in (payload.get("response") or {}).items():
        if component_id in props.by_id and isinstance(values, dict):
            props.by_id[component_id].update(values)


def _pattern(component_id: str) -> dict[str, Any] | None:
    """The parsed pattern of a pattern-matching dependency id ('{"display":["ALL"],...}'), else None."""
    return json.loads(component_id) if component_id.startswith("{") else None


def pattern_matches(component_id: str, tree: Any) -> list[dict[str, Any]]:
    """The ids of the components in `tree` that a pattern-matching (ALL) dependency id matches."""
    pattern = _pattern(component_id) or {}
    fixed = {k: v for k, v in pattern.items() if not isinstance(v, list)}
    return [c["props"]["id"] for c in walk_components(tree) if isinstance(c["props"].get("id"), dict)
            and set(c["props"]["id"]) == set(pattern) and fixed.items() <= c["props"]["id"].items()]


def is_pattern_callback(callback: Callback) -> bool:
    """Whether any id of the callback is a pattern-matching one (the readiness badges)."""
    return any(_pattern(i) is not None for i in callback.ids)


def post_pattern_callback(client: DashClient, callback: Callback, tree: Any):
    """POST a callback with ALL wildcards as the renderer does: one list of (id, property[, value]) per dependency,
    over the components of `tree` that match it."""
    def expand(deps: list[dict[str, str]], values: bool) -> list[Any]:
        expanded = []
        for dep in deps:
            ids = pattern_matches(dep["id"], tree) if _pattern(dep["id"]) is not None else [dep["id"]]
            items = [{"id": i, "property": dep["property"]} for i in ids]
            if values:
                items = [{**item, "value": item["id"] if dep["property"] == "id" else None} for item in items]
            expanded.append(items if _pattern(dep["id"]) is not None else items[0])
        return expanded

    outputs = expand(callback.outputs, values=False)
    first = pattern_matches(callback.inputs[0]["id"], tree) if callback.inputs else []
    changed = [f"{json.dumps(first[0], sort_keys=True, separators=(',', ':'))}.{callback.inputs[0]['property']}"
               ] if first else []
    body = {"output": callback.output, "outputs": outputs if callback.output.startswith("..") else outputs[0],
            "inputs": expand(callback.inputs, values=True), "state": expand(callback.state, values=True),
            "changedPropIds": changed}
    return client.client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json",
                               headers=client.csrf_headers())


def _on_page(callback: Callback, props, tree: Any) -> bool:
    """Whether the page can fire `callback`: every plain id is on it and every pattern matches something there."""
    plain = {i for i in callback.ids if _pattern(i) is None}
    return plain <= set(props.by_id) and all(pattern_matches(i, tree) for i in callback.ids - plain)


def view_outputs(view: View) -> frozenset[str]:
    """The "id.prop" outputs of a catalogue view."""
    return frozenset(f"{out.component_id}.{out.prop}" for out in view.outputs.values())


def callback_of(view: View, callbacks: list[Callback]) -> Callback | None:
    """The registered callback that fills exactly the view's outputs."""
    return next((c for c in callbacks if frozenset(f"{o['id']}.{o['property']}" for o in c.outputs)
                 == view_outputs(view)), None)


def uncalled_views(exchanges: list[Exchange], callbacks: list[Callback], views: tuple[View, ...],
                   may_open: set[str], sees_arms: bool, held: frozenset | None = None) -> list[str]:
    """Catalogue views the crawl did not call: not registered, not called from their page when the role may open
    it (`may_open`: page paths) and the page shows it to the role (a by-arm-only display is not on a blinded
    role's page, nor a view needing a permission the role does not hold (`held`), so it is called directly, as a
    hand-made request would), or not called at all."""
    problems = []
    for view in views:
        callback = callback_of(view, callbacks)
        calls = [e.request for e in exchanges if callback is not None and e.output == callback.output]
        shown = (sees_arms or any(Form.POOLED in d.forms for d in view.displays)) and \
            (held is None or view.permission in held)
        if callback is None:
            problems.append(f"{view.key}: no callback fills its outputs")
        elif view.page in may_open and shown and not any(r.startswith(f"{view.page} ") for r in calls):
            problems.append(f"{view.key}: not called on {view.page}")
        elif not calls:
            problems.append(f"{view.key}: never called")
    return problems + tab_starved(exchanges, callbacks, views)


HIDDEN = "hidden on tab"     # the request name of a view's call with another tab shown


def tab_starved(exchanges: list[Exchange], callbacks: list[Callback], views: tuple[View, ...]) -> list[str]:
    """Views on a tab that answered nothing (204) on their page although the crawl meant to show their tab: a
    crawl that never opens a view's tab would test none of its outputs for leaks."""
    problems = []
    for view in (v for v in views if v.shown_by is not None):
        callback = callback_of(view, callbacks)
        starved = [e.request for e in exchanges if callback is not None and e.output == callback.output
                   and e.request.startswith(f"{view.page} ") and HIDDEN not in e.request and e.status == 204]
        problems += [f"{view.key}: answered nothing with its tab {view.tab!r} shown: {r}" for r in starved]
    return problems


def tab_values(tree: Any, tabs_id: str) -> list[str]:
    """The tab ids of the tabs component `tabs_id` in a page tree, in order."""
    tabs = next((c for c in walk_components(tree) if c["props"].get("id") == tabs_id), None)
    return [c["props"]["tab_id"] for c in walk_components(tabs) if c["type"] == "Tab"] if tabs else []


def post_hidden(client: DashClient, callback: Callback, props, page: Any):
    """The callback of a view on a tab, posted with another of the page's tabs shown (it must answer nothing),
    and that tab's name; None for a callback on no tab."""
    shown = shown_tab(callback)
    if not shown:
        return None
    ((tabs_id, prop), tab), = shown.items()
    other = next(t for t in tab_values(page, tabs_id) if t != tab)
    values = initial_values(callback, props) | {(tabs_id, prop): other}
    return other, client.post_callback(callback, values, [f"{tabs_id}.{prop}"])


def crawl(client: DashClient, extra_paths: tuple[str, ...] = ()) -> list[Exchange]:
    """Everything a browser of this user could fetch, in a stable order."""
    exchanges: list[Exchange] = []

    def record(name: str, response, output: str = "") -> None:
        exchanges.append(Exchange(name, response.status_code, normalize(response.get_data(as_text=True)), output))

    for path in ("/", "/_dash-layout", "/_dash-dependencies", "/healthz"):
        record(f"GET {path}", client.client.get(path))
    layout = client.layout()
    callbacks = client.dependencies()
    exercised: set[str] = set()
    seen = collect_props(layout)
    for path in nav_paths(layout) + list(extra_paths):
        page = client.open_page(path)
        exchanges.append(Exchange(f"page {path}", 200, normalize(json.dumps(page, sort_keys=True))))
        props = collect_props(layout, page)
        page_callbacks = [c for c in callbacks
                          if not c.output.startswith("page-content.") and _on_page(c, props, page)]
        # first pass: what the browser sends when the page renders, each view with its tab shown (a view on
        # a tab computes only then); outputs update the props, so options that a callback fills (a lab-test
        # list, say) are known for the second pass
        for callback in page_callbacks:
            if is_pattern_callback(callback):       # the readiness badges: filled once, no choices
                record(f"{path} {callback.output} initial", post_pattern_callback(client, callback, page),
                       callback.output)
                continue
            response = client.post_callback(callback, initial_values(callback, props))
            record(f"{path} {callback.output} initial", response, callback.output)
            if response.status_code == 200:
                merge_outputs(props, response.get_json())
        for callback in (c for c in page_callbacks if not is_pattern_callback(c)):
            base = initial_values(callback, props)
            for label, values, changed in list(input_variants(callback, props, base))[1:]:
                record(f"{path} {callback.output} {label}", client.post_callback(callback, values, changed),
                       callback.output)
            hidden = post_hidden(client, callback, props, page)
            if hidden is not None:
                record(f"{path} {callback.output} {HIDDEN} {hidden[0]}", hidden[1], callback.output)
        exercised |= {c.output for c in page_callbacks}
        seen.by_id.update(props.by_id)
    # "hiding a page hides nothing": post every other callback too, as a hand-made request would
    for callback in callbacks:
        if callback.output not in exercised:
            response = (post_pattern_callback(client, callback, layout) if is_pattern_callback(callback)
                        else client.post_callback(callback, initial_values(callback, seen)))
            record(f"direct {callback.output}", response, callback.output)
    return exchanges
