"""Register the catalogue's views as Dash callbacks: authorize, fetch, compute, return named outputs.

This is the one callback body every data display shares: the permission check (`guarded_callback`), the user's
trial data at their access level, the "no cut loaded" answer with the right OPEN / CLOSED stamp, and the audit
row of a closed view (on by default: a user who sees arms opening any display is recorded). A view on a tab
(`View.tabs`) also gets the page's tabs value and answers nothing while another tab is shown: its tab computes
when opened, not with the page.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from dashboard.context import NoActiveCut, current_access, current_trial_data
from dashboard.displays import View
from dashboard.figures.common import empty_figure, stamp_text
from dashboard.guard import guarded_callback, record_closed_view
from layouts.common import notice

NO_CUT = "No data cut has been loaded yet."
REGISTERED_KEY = "DSMB_REGISTERED_VIEWS"
SHOWN_TAB = "_shown_tab"    # the input name of the page's tabs value (a name no view's controls use)
_EMPTY_BY_PROP: dict[str, Any] = {"rowData": [], "columnDefs": [], "options": [], "data": no_update,
                                  "style": no_update, "value": no_update, "is_open": False}


def no_cut_outputs(view: View, sees_arms: bool) -> dict[str, Any]:
    """What a view shows before any cut is loaded: stamped empty figures, empty grids, a notice."""
    if view.no_cut is not None:
        return view.no_cut(sees_arms)
    answer: dict[str, Any] = {}
    for display in view.displays:
        for name, out in display.outputs.items():
            answer[name] = _no_cut_value(out.prop, display.title, display.kind, sees_arms)
    for name, out in view.state_outputs.items():
        answer[name] = _EMPTY_BY_PROP.get(out.prop, no_update)
    return answer


def _no_cut_value(prop: str, title: str, kind: str, sees_arms: bool) -> Any:
    if prop == "figure":
        return empty_figure(title, stamp_text(None, sees_arms), NO_CUT)
    if prop == "children":
        return "–" if kind == "tiles" else notice(NO_CUT, "secondary")
    if prop == "data" and kind == "download":
        return no_update
    return _EMPTY_BY_PROP.get(prop, no_update)


def register_views(app: dash.Dash, views: tuple[View, ...]) -> None:
    """One guarded callback per view, with Dash's dict form of outputs and inputs."""
    registered = app.server.config.setdefault(REGISTERED_KEY, {})
    for view in views:
        if view.key in registered:
            raise ValueError(f"view {view.key} registered twice")
        _register(app, view)
        registered[view.key] = view


def _inputs(view: View) -> dict[str, Input | State]:
    """The view's controls as Dash inputs, and the page's tabs value for a view on a tab."""
    if SHOWN_TAB in view.controls:
        raise ValueError(f"view {view.key}: the control name {SHOWN_TAB} is reserved")
    inputs = {name: (State if c.state else Input)(c.component_id, c.prop) for name, c in view.controls.items()}
    if view.shown_by is not None:
        inputs[SHOWN_TAB] = Input(view.shown_by.component_id, view.shown_by.prop)
    return inputs


def _register(app: dash.Dash, view: View) -> None:
    outputs = {name: Output(out.component_id, out.prop) for name, out in view.outputs.items()}

    @guarded_callback(app, view.permission, output=outputs, inputs=_inputs(view),
                      prevent_initial_call=view.prevent_initial_call)
    def answer(**controls: Any) -> dict[str, Any]:
        if view.shown_by is not None and controls.pop(SHOWN_TAB) != view.tab:
            raise PreventUpdate             # nothing shown: no data read, no computation, no audit row (204)
        if view.audited and current_access().sees_arms:
            record_closed_view(view.key, tuple(controls.values()))
        if not view.reads_trial_data:
            return view.compute(**controls)
        try:
            data = current_trial_data()
        except NoActiveCut:
            return no_cut_outputs(view, current_access().sees_arms)
        return view.compute(data, **controls)

    answer.__name__ = f"view_{view.key.replace(':', '_').replace('.', '_').replace('-', '_')}"
