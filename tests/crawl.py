"""Crawl the app as a role: every page it may open and every callback it may call, with browser-like inputs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dash_client import Callback, DashClient, collect_props, initial_values, option_values, walk_components

SELECTABLE_PROPS = {"value"}
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
DASH_NONCE = re.compile(r'"end_id":"[^"]*"')  # Dash's per-process id in the index page config


@dataclass(frozen=True)
class Exchange:
    """One request the crawler made and the response it got."""

    request: str
    status: int
    body: str


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


def crawl(client: DashClient, extra_paths: tuple[str, ...] = ()) -> list[Exchange]:
    """Everything a browser of this user could fetch, in a stable order."""
    exchanges: list[Exchange] = []

    def record(name: str, response) -> None:
        exchanges.append(Exchange(name, response.status_code, normalize(response.get_data(as_text=True))))

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
                          if not c.output.startswith("page-content.") and c.ids <= set(props.by_id)]
        # first pass: what the browser sends when the page renders; outputs update the props, so
        # options that a callback fills (a lab-test list, say) are known for the second pass
        for callback in page_callbacks:
            response = client.post_callback(callback, initial_values(callback, props))
            record(f"{path} {callback.output} initial", response)
            if response.status_code == 200:
                merge_outputs(props, response.get_json())
        for callback in page_callbacks:
            base = initial_values(callback, props)
            for label, values, changed in list(input_variants(callback, props, base))[1:]:
                record(f"{path} {callback.output} {label}", client.post_callback(callback, values, changed))
        exercised |= {c.output for c in page_callbacks}
        seen.by_id.update(props.by_id)
    # "hiding a page hides nothing": post every other callback too, as a hand-made request would
    for callback in callbacks:
        if callback.output not in exercised:
            record(f"direct {callback.output}", client.post_callback(callback, initial_values(callback, seen)))
    return exchanges
