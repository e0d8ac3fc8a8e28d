"""A logged-in Flask test client that speaks Dash's HTTP protocol, as the browser does."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def login(client: FlaskClient, username: str, password: str) -> FlaskClient:
    """Log in through the real login form (CSRF token included)."""
    page = client.get("/login").get_data(as_text=True)
    match = CSRF_INPUT.search(page)
    assert match, "login form has no CSRF token"
    token = match.group(1) or match.group(2)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code in (302, 303), f"login as {username} failed: {response.status_code}"
    client.get("/")  # sets the _csrf_token cookie the Dash renderer sends back
    return client


@dataclass
class Callback:
    """One entry of /_dash-dependencies."""

    output: str
    inputs: list[dict[str, str]]
    state: list[dict[str, str]]
    prevent_initial_call: bool

    @property
    def outputs(self) -> list[dict[str, str]]:
        keys = self.output.strip(".").split("...") if self.output.startswith("..") else [self.output]
        result = []
        for key in keys:
            component_id, prop = key.rsplit(".", 1)
            result.append({"id": component_id, "property": prop})
        return result

    @property
    def ids(self) -> set[str]:
        return {d["id"] for d in self.inputs + self.state + self.outputs}


class DashClient:
    """Wraps a logged-in test client: layout, dependencies, and callback posts."""

    def __init__(self, client: FlaskClient):
        self.client = client

    def csrf_headers(self) -> dict[str, str]:
        cookie = self.client.get_cookie("_csrf_token")
        return {"X-CSRFToken": cookie.value} if cookie else {}

    def layout(self) -> dict[str, Any]:
        response = self.client.get("/_dash-layout")
        assert response.status_code == 200, response.status_code
        return response.get_json()

    def dependencies(self) -> list[Callback]:
        response = self.client.get("/_dash-dependencies")
        assert response.status_code == 200, response.status_code
        return [Callback(d["output"], d["inputs"], d["state"], bool(d.get("prevent_initial_call")))
                for d in response.get_json()]

    def post_callback(self, callback: Callback, values: dict[tuple[str, str], Any],
                      changed: list[str] | None = None):
        """POST /_dash-update-component the way the renderer does; returns the raw response. Unless `values` say
        which tab is shown, the callback's own tab is (`shown_tab`), as when a user has opened it."""
        values = shown_tab(callback) | dict(values)
        outputs = callback.outputs
        body = {
            "output": callback.output,
            "outputs": outputs if callback.output.startswith("..") else outputs[0],  # a list for a dict of outputs
            "inputs": [{**d, "value": values.get((d["id"], d["property"]))} for d in callback.inputs],
            "state": [{**d, "value": values.get((d["id"], d["property"]))} for d in callback.state],
            "changedPropIds": changed if changed is not None else
            [f"{d['id']}.{d['property']}" for d in callback.inputs[:1]],
        }
        return self.client.post("/_dash-update-component", data=json.dumps(body),
                                content_type="application/json", headers=self.csrf_headers())

    def call(self, callback: Callback, values: dict[tuple[str, str], Any]) -> dict[str, Any]:
        response = self.post_callback(callback, values)
        assert response.status_code in (200, 204), (callback.output, response.status_code,
                                                    response.get_data(as_text=True)[:300])
        return response.get_json() if response.status_code == 200 else {}

    def callback_for(self, output_prefix: str) -> Callback:
        return next(c for c in self.dependencies() if c.output.startswith(output_prefix)
                    or f"..{output_prefix}" in c.output)

    def open_page(self, pathname: str) -> dict[str, Any]:
        """Run the router for `pathname`; returns the page's component tree (JSON)."""
        router = self.callback_for("page-content.children")
        result = self.call(router, {("url", "pathname"): pathname})
        return result["response"]["page-content"]["children"]


@dataclass
class ComponentProps:
    """Props of every component with an id found in a component tree."""

    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)

    def value(self, component_id: str, prop: str) -> Any:
        return self.by_id.get(component_id, {}).get(prop)


def walk_components(tree: Any) -> Iterator[dict[str, Any]]:
    """Every component dict in a Dash JSON component tree."""
    if isinstance(tree, dict):
        if "type" in tree and "props" in tree:
            yield tree
            for value in tree["props"].values():
                yield from walk_components(value)
        else:
            for value in tree.values():
                yield from walk_components(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from walk_components(item)


def collect_props(*trees: Any) -> ComponentProps:
    found = ComponentProps()
    for tree in trees:
        for component in walk_components(tree):
            component_id = component["props"].get("id")
            if isinstance(component_id, str):
                found.by_id[component_id] = {k: v for k, v in component["props"].items() if k != "children"} | {
                    "children": component["props"].get("children") if not isinstance(
                        component["props"].get("children"), (dict, list)) else None}
                found.types[component_id] = component["type"]
    return found


def page_open_values(callback: Callback, props: ComponentProps) -> dict[tuple[str, str], Any]:
    """The values the renderer sends for this callback right after the page renders (the first tab shown)."""
    values: dict[tuple[str, str], Any] = {}
    for dep in callback.inputs + callback.state:
        value = props.value(dep["id"], dep["property"])
        if dep["property"] == "n_clicks" and value is None:
            value = 1  # a click, so prevent_initial_call callbacks run too
        if dep["property"] == "id":
            value = dep["id"]
        values[(dep["id"], dep["property"])] = value
    return values


def initial_values(callback: Callback, props: ComponentProps) -> dict[tuple[str, str], Any]:
    """The values the renderer sends for this callback once its displays are on screen: as the page renders,
    with the tab its view sits on opened (a view on a tab computes only while that tab is shown)."""
    return page_open_values(callback, props) | shown_tab(callback)


def shown_tab(callback: Callback) -> dict[tuple[str, str], str]:
    """{(the page's tabs id, "active_tab"): the tab that shows the callback's view}; {} for a view on no tab."""
    return _tab_of_outputs().get(frozenset(f"{o['id']}.{o['property']}" for o in callback.outputs), {})


@functools.cache
def _tab_of_outputs() -> dict[frozenset[str], dict[tuple[str, str], str]]:
    """The catalogue's views on a tab, by their "id.prop" outputs (how a registered callback is recognised)."""
    from dashboard.displays import views

    return {frozenset(f"{o.component_id}.{o.prop}" for o in view.outputs.values()):
            {(view.shown_by.component_id, view.shown_by.prop): view.tab}
            for view in views() if view.shown_by is not None}


def option_values(component: dict[str, Any]) -> list[Any]:
    """The selectable values of a dropdown, radio or checklist component."""
    values = []
    for option in component.get("options") or []:
        values.append(option["value"] if isinstance(option, dict) else option)
    return values


def open_page_as(app: Any, role: str, password: str, pathname: str) -> tuple[DashClient, ComponentProps]:
    """A client logged in as `role`, and the props of the layout and of `pathname`'s page as the browser holds them."""
    client = DashClient(login(app.server.test_client(), role, password))
    return client, collect_props(client.layout(), client.open_page(pathname))


def callbacks_by_output(client: DashClient, outputs: Mapping[str, str],
                        props: ComponentProps | None = None) -> dict[str, Callback]:
    """name -> the callback with the output "id.prop" named for it.

    With `props`, only callbacks whose every id is on that page count (a component the page lacks for this
    role cannot fire); without, any registered callback does (to post one the page would not offer).
    """
    found = client.dependencies()
    if props is not None:
        found = [c for c in found if c.ids <= set(props.by_id)]
    return {name: next(c for c in found if key in c.output.strip(".").split("..."))
            for name, key in outputs.items()}


def respond(client: DashClient, props: ComponentProps, callback: Callback,
            changes: Mapping[tuple[str, str], Any] | None = None) -> dict[str, Any]:
    """The callback's "response" for the values the page starts with, `changes` ((id, prop) -> value) applied."""
    response = client.post_callback(callback, initial_values(callback, props) | dict(changes or {}))
    assert response.status_code == 200, (callback.output, response.status_code, response.get_data(as_text=True)[:300])
    return json.loads(response.get_data(as_text=True))["response"]
