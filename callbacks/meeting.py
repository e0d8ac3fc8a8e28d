"""Meetings page: the reading views come from the display catalogue (dashboard/displays/meetings.py); the
actions stay here: start a record or an amendment, save it, sign it (user name and password again), resolve an
action item. Every action is guarded with its permission; nothing a reader gets is decided by the request."""

from __future__ import annotations

import json
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, html
from dash.exceptions import PreventUpdate
from flask_login import current_user

from callbacks.views import register_views
from dashboard import db
from dashboard.displays import views_on
from dashboard.displays.meetings import known_cuts, readable_record, reader_sees_arms
from dashboard.guard import guarded_callback
from dashboard.meeting import entry, record
from dashboard.permissions import Permission
from layouts import meeting as ids
from layouts.common import notice


def _form_values(view: dict[str, Any] | None) -> list[Any]:
    if view is None:
        return [None, [], None, "", "", "", "", "", ""]
    return [view["meeting_date"], view["cut_ids"], view["recommendation"], view["rationale"], view["open_minutes"],
            view.get("closed_minutes", ""), entry.attendance_text(view["attendance"]),
            entry.items_text(view["open_items"]), entry.items_text(view.get("closed_items", []))]


def _save(form: dict[str, Any], amends: Any, reason: str | None) -> tuple[Any, Any]:
    data = entry.parse(form, known_cuts())
    try:
        new_id = record.write_version(data, current_user.username, amends_id=amends if isinstance(amends, int)
                                      else None, reason=reason or "", url=db.database_url())
    except record.MeetingRefused as exc:
        return dbc.Alert([html.Div("Nothing was saved:")] + [html.Div(p) for p in str(exc).split(". ") if p],
                         color="danger"), dash.no_update
    return notice(f"Saved as record {new_id}. It can no longer be edited; correct it by an amendment.",
                  "success"), new_id


def register(app: dash.Dash) -> None:
    register_views(app, views_on("/meetings"))
    _register_writing(app)


def _register_writing(app: dash.Dash) -> None:
    form_outputs = [Output(ids.F_DATE, "value"), Output(ids.F_CUTS, "value"), Output(ids.F_RECOMMENDATION, "value"),
                    *[Output(i, "value") for i in ids.FORM_TEXTS], Output(ids.F_AMENDS, "data"),
                    Output(ids.F_MODE, "children")]

    @guarded_callback(app, Permission.RECORD_MEETINGS, *form_outputs, Input(ids.NEW_BUTTON, "n_clicks"),
                      Input(ids.AMEND_BUTTON, "n_clicks"), State(ids.SHOWN, "data"), prevent_initial_call=True,
                      audit_view="meeting:amend-form")
    def start_form(new_clicks, amend_clicks, shown):
        amend = dash.ctx.triggered_id == ids.AMEND_BUTTON
        if not (amend_clicks if amend else new_clicks):
            raise PreventUpdate
        view = readable_record(shown, reader_sees_arms()) if amend else None     # RECORD_MEETINGS: roles that see arms
        if amend and view is None:
            raise PreventUpdate
        mode = (f"Amendment of version {view['version']} of the meeting of {view['meeting_date']} (record "
                f"{view['id']})" if view else "New record")
        return [*_form_values(view), view["id"] if view else None, mode]

    @guarded_callback(app, Permission.RECORD_MEETINGS, Output(ids.SAVE_STATUS, "children"), Output(ids.SAVED, "data"),
                      Input(ids.SAVE_BUTTON, "n_clicks"), State(ids.F_DATE, "value"), State(ids.F_CUTS, "value"),
                      State(ids.F_RECOMMENDATION, "value"), *[State(i, "value") for i in ids.FORM_TEXTS],
                      State(ids.F_AMENDS, "data"), State(ids.F_REASON, "value"), prevent_initial_call=True)
    def save(clicks, date, cut_ids, recommendation, rationale, open_minutes, closed_minutes, attendance,
             open_items, closed_items, amends, reason):
        if not clicks:
            raise PreventUpdate
        form = {"meeting_date": date, "cut_ids": cut_ids, "recommendation": recommendation, "rationale": rationale,
                "open_minutes": open_minutes, "closed_minutes": closed_minutes, "attendance": attendance,
                "open_items": open_items, "closed_items": closed_items}
        return _save(form, amends, reason)

    _register_signing(app)


def _register_signing(app: dash.Dash) -> None:
    @guarded_callback(app, Permission.SIGN_MEETINGS, Output(ids.SIGN_STATUS, "children"), Output(ids.SIGNED, "data"),
                      Output(ids.SIGN_PASSWORD, "value"), Input(ids.SIGN_BUTTON, "n_clicks"),
                      State(ids.SHOWN, "data"), State(ids.SIGN_USER, "value"), State(ids.SIGN_PASSWORD, "value"),
                      State(ids.SIGN_MEANING, "value"), prevent_initial_call=True)
    def sign(clicks, shown, typed_user, password, meaning):
        if not clicks:
            raise PreventUpdate
        if not isinstance(shown, int):
            return notice("Choose a meeting first.", "secondary"), dash.no_update, ""
        try:
            signature = record.sign(shown, current_user, str(typed_user or ""), str(password or ""), str(meaning),
                                    url=db.database_url())
        except record.MeetingRefused as exc:
            return notice(str(exc), "danger"), dash.no_update, ""
        when = signature.signed_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        return (notice(f"Signed by {signature.printed_name} · {entry.MEANINGS[signature.meaning]} · {when}.",
                       "success"), json.dumps([shown, when]), "")

    @guarded_callback(app, Permission.RECORD_MEETINGS, Output(ids.RESOLVE_STATUS, "children"),
                      Output(ids.RESOLVED, "data"), Input(ids.RESOLVE_BUTTON, "n_clicks"),
                      State(ids.ITEM_SELECT, "value"), State(ids.ITEM_TEXT, "value"), prevent_initial_call=True)
    def resolve(clicks, item, text):
        if not clicks:
            raise PreventUpdate
        meeting, _, key = str(item or "").partition(":")
        if not meeting.isdigit() or not key:
            return notice("Choose an action item.", "secondary"), dash.no_update
        try:
            record.resolve_item(int(meeting), key, str(text or ""), current_user.username, url=db.database_url())
        except record.MeetingRefused as exc:
            return notice(str(exc), "danger"), dash.no_update
        return notice(f"Action item {key} resolved.", "success"), item
