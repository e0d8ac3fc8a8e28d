"""Meetings page callbacks: list and show records (closed part only for readers who see arms), record, amend,
sign (user name and password again), resolve action items, and the sponsor letter (open part only).

Every callback is guarded with its permission; what a reader gets of a record is decided by
`dashboard.meeting.views.record_view` from the reader's access on the server, never from the request."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from flask_login import current_user

from dashboard import audit, cuts, db
from dashboard.context import current_access, data_root, trial_config
from dashboard.guard import guarded_callback
from dashboard.meeting import entry, letter, record, views
from dashboard.meeting.models import MeetingRecord
from dashboard.permissions import Permission
from layouts import meeting as ids
from layouts.common import notice

CLOSED_WITHHELD = "Closed session: its minutes and action items are for the board and the statistician only."


def _sees_arms() -> bool:
    return current_access().sees_arms


def _record_view(record_id: Any, sees_arms: bool) -> dict[str, Any] | None:
    if not isinstance(record_id, int):
        return None
    with db.session_scope() as session:
        found = session.get(MeetingRecord, record_id)
        return views.record_view(session, found, sees_arms) if found else None


def _items_table(items: list[dict[str, str]]) -> Any:
    if not items:
        return html.Div("none", className="text-muted small")
    rows = [html.Tr([html.Td(i["key"]), html.Td(i["action"]), html.Td(i["owner"]), html.Td(i["due"]),
                     html.Td(f"resolved {i['resolved_at']} by {i['resolved_by']}: {i['resolution']}"
                             if i["resolution"] else "open")]) for i in items]
    head = html.Thead(html.Tr([html.Th(h) for h in ("Item", "Action", "Owner", "Due", "Status")]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", striped=True, className="mb-2")


def _signatures(view: dict[str, Any]) -> Any:
    if not view["signatures"]:
        return html.Div("Not signed yet.", className="text-muted")
    return html.Ul([html.Li(f"{s['printed_name']} ({s['role']}) · {s['meaning']} · {s['signed_at']}"
                            + ("" if s["valid"] else " · NOT VALID: the content changed after signing"))
                    for s in view["signatures"]], className="mb-2")


def _history(view: dict[str, Any]) -> list[Any]:
    out = []
    if view["version"] > 1:
        out.append(dbc.Alert(f"Amendment {view['version'] - 1} (version {view['version']}) of this meeting's record, "
                             f"correcting version {view['version'] - 1}: {view['amendment_reason']}",
                             color="info", className="py-2"))
    if not view["intact"]:
        out.append(notice("This record's stored content does not match its checksum: it was changed outside "
                          "the dashboard. Its signatures are not valid.", "danger"))
    return out


def _closed_part(view: dict[str, Any]) -> Any:
    body: list[Any] = [html.H6(["Closed session", ids.closed_stamp()]),
                       html.Div(view["closed_minutes"] or "No closed minutes.", style={"whiteSpace": "pre-wrap"},
                                className="mb-2"),
                       html.H6(["Closed action items", ids.closed_stamp()]), _items_table(view["closed_items"]),
                       html.Div(f"Content SHA-256 {view['sha256']}", className="small text-muted")]
    return html.Div(body, className="border border-danger rounded p-2 mb-2")


def render(view: dict[str, Any] | None, sees_arms: bool) -> Any:
    """A record view as components; the closed part only when the reader sees arms."""
    if view is None:
        return html.Div("No meeting recorded yet.", className="text-muted")
    attendance = [html.Li(" · ".join(a[f] for f in entry.ATTENDANCE_FIELDS if a.get(f))) for a in view["attendance"]]
    parts = _history(view) + [
        html.H5([f"Recommendation: {view['recommendation_label']}"], className="mb-1"),
        html.Div(f"Meeting {view['meeting_date']} · cuts reviewed {', '.join(view['cut_dates'])} · version "
                 f"{view['version']} written by {view['created_by']} at {view['created_at']}",
                 className="small text-muted mb-2"),
        html.H6("Rationale"), html.Div(view["rationale"], style={"whiteSpace": "pre-wrap"}, className="mb-2"),
        html.H6("Open session minutes"), html.Div(view["open_minutes"] or "No open minutes.",
                                                  style={"whiteSpace": "pre-wrap"}, className="mb-2"),
        html.H6("Attendance"), html.Ul(attendance, className="mb-2"),
        html.H6("Open action items"), _items_table(view["open_items"]),
        html.H6("Signatures"), _signatures(view)]
    parts.append(_closed_part(view) if sees_arms else html.Div(CLOSED_WITHHELD, className="small text-muted"))
    return html.Div(parts)


def _earlier(view: dict[str, Any], sees_arms: bool) -> Any:
    """The versions this one corrects, each as it was written and signed (nothing is ever overwritten)."""
    with db.session_scope() as session:
        every = views.meeting_views(session, view["meeting"], sees_arms)
    earlier = [v for v in every if v["version"] < view["version"]]
    if not earlier:
        return None
    return html.Details([html.Summary(f"Earlier versions ({len(earlier)})", className="fw-semibold"),
                         *[html.Div([html.H6(f"Version {v['version']}", className="mt-2"), render(v, sees_arms)],
                                    className="border rounded p-2 mb-2 bg-light") for v in reversed(earlier)]],
                        className="mt-3")


def _choices() -> list[dict[str, Any]]:
    with db.session_scope() as session:
        return [{"label": views.choice_label(r), "value": r.id} for r in views.newest_versions(session)]


def _known_cuts() -> dict[str, str]:
    return {m.cut_id: m.cut_date for m in cuts.list_cuts(data_root())}


def _form_values(view: dict[str, Any] | None) -> list[Any]:
    if view is None:
        return [None, [], None, "", "", "", "", "", ""]
    return [view["meeting_date"], view["cut_ids"], view["recommendation"], view["rationale"], view["open_minutes"],
            view.get("closed_minutes", ""), entry.attendance_text(view["attendance"]),
            entry.items_text(view["open_items"]), entry.items_text(view.get("closed_items", []))]


def _save(form: dict[str, Any], amends: Any, reason: str | None) -> tuple[Any, Any]:
    data = entry.parse(form, _known_cuts())
    try:
        new_id = record.write_version(data, current_user.username, amends_id=amends if isinstance(amends, int)
                                      else None, reason=reason or "", url=db.database_url())
    except record.MeetingRefused as exc:
        return dbc.Alert([html.Div("Nothing was saved:")] + [html.Div(p) for p in str(exc).split(". ") if p],
                         color="danger"), dash.no_update
    return notice(f"Saved as record {new_id}. It can no longer be edited; correct it by an amendment.",
                  "success"), new_id


def register(app: dash.Dash) -> None:
    _register_reading(app)
    _register_writing(app)


def _register_reading(app: dash.Dash) -> None:
    @guarded_callback(app, Permission.VIEW_MEETINGS, Output(ids.SELECT, "options"), Output(ids.SELECT, "value"),
                      Input(ids.TRIGGER, "data"), Input(ids.SAVED, "data"), Input(ids.SIGNED, "data"),
                      Input(ids.RESOLVED, "data"), State(ids.SELECT, "value"))
    def list_meetings(_t, saved, _s, _r, chosen):
        options = _choices()
        values = [o["value"] for o in options]
        if dash.ctx.triggered_id == ids.SAVED and saved in values:
            return options, saved
        return options, chosen if chosen in values else (values[0] if values else None)

    @guarded_callback(app, Permission.VIEW_MEETINGS, Output(ids.RECORD, "children"), Output(ids.SHOWN, "data"),
                      Input(ids.SELECT, "value"), Input(ids.SIGNED, "data"), Input(ids.RESOLVED, "data"),
                      audit_view="meeting:record")
    def show_record(chosen, _s, _r):
        sees = _sees_arms()
        view = _record_view(chosen, sees)
        if view is None:
            return render(None, sees), None
        return html.Div([render(view, sees), _earlier(view, sees)]), view["id"]

    @guarded_callback(app, Permission.VIEW_MEETINGS, Output(ids.LETTER_DOWNLOAD, "data"),
                      Output(ids.LETTER_STATUS, "children"), Input(ids.LETTER_BUTTON, "n_clicks"),
                      State(ids.SHOWN, "data"), prevent_initial_call=True)
    def download_letter(clicks, shown):
        if not clicks:
            raise PreventUpdate
        view = _record_view(shown, sees_arms=False)        # the letter is built from the open view only
        if view is None:
            return dash.no_update, notice("Choose a meeting first.", "secondary")
        config = trial_config()
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        pdf = letter.letter_pdf(view, study_id=config.study_id, title=config.title, user=current_user.username,
                                generated_at=now)
        name = f"{config.study_id}_DSMB_{view['meeting_date']}_v{view['version']}_letter_OPEN.pdf"
        audit.record("meeting_letter", username=current_user.username, cut_id=view["cut_ids"][-1],
                     detail={"file": name, "access": "blinded", "record": view["id"], "sha256": letter.sha256(pdf)})
        return dcc.send_bytes(pdf, name), notice(f"Letter {name} generated.", "success")


def _register_writing(app: dash.Dash) -> None:
    @guarded_callback(app, Permission.RECORD_MEETINGS, Output(ids.F_CUTS, "options"), Input(ids.TRIGGER, "data"))
    def cut_options(_):
        return [{"label": f"{date} ({cut_id})", "value": cut_id}
                for cut_id, date in sorted(_known_cuts().items(), key=lambda kv: kv[1])]

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
        view = _record_view(shown, _sees_arms()) if amend else None     # RECORD_MEETINGS: roles that see arms
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

    @guarded_callback(app, Permission.RECORD_MEETINGS, Output(ids.ITEM_SELECT, "options"),
                      Input(ids.SHOWN, "data"), Input(ids.RESOLVED, "data"))
    def item_options(shown, _r):
        view = _record_view(shown, _sees_arms())                        # RECORD_MEETINGS: roles that see arms
        if view is None:
            return []
        return [{"label": f"{i['key']}: {i['action'][:80]}", "value": f"{view['meeting']}:{i['key']}"}
                for i in view["open_items"] + view.get("closed_items", []) if not i["resolution"]]

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
