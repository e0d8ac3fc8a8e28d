"""Views of the Meetings page: the list of meetings, one record (its closed part only for readers who see arms),
the sponsor letter (open part only), and the choices the recording form offers.

What a reader gets of a record is decided by `dashboard.meeting.views.record_view` from the reader's access on the
server, never from the request. Recording, amending, signing and resolving are actions, not displays: they stay
in `callbacks/meeting.py`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.exceptions import PreventUpdate
from flask_login import current_user

from dashboard import audit, cuts, db
from dashboard.context import current_access, data_root, trial_config
from dashboard.displays.model import POOLED_ONLY, Control, Display, Out, View
from dashboard.meeting import entry, letter, views
from dashboard.meeting.models import MeetingRecord
from dashboard.permissions import Permission
from layouts import meeting as ids
from layouts.common import notice

PAGE = "/meetings"
CLOSED_WITHHELD = "Closed session: its minutes and action items are for the board and the statistician only."


def reader_sees_arms() -> bool:
    return current_access().sees_arms


def readable_record(record_id: Any, sees_arms: bool) -> dict[str, Any] | None:
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


def known_cuts() -> dict[str, str]:
    return {m.cut_id: m.cut_date for m in cuts.list_cuts(data_root())}


def meeting_list(saved: Any = None, chosen: Any = None, **_: Any) -> dict[str, Any]:
    """Every meeting's newest version, the choice kept (or the record just saved, or the newest)."""
    options = _choices()
    values = [o["value"] for o in options]
    if dash.ctx.triggered_id == ids.SAVED and saved in values:
        return {"options": options, "value": saved}
    return {"options": options, "value": chosen if chosen in values else (values[0] if values else None)}


def meeting_record(chosen: Any = None, **_: Any) -> dict[str, Any]:
    """The chosen record as this reader may read it, with the versions it corrects."""
    sees = reader_sees_arms()
    view = readable_record(chosen, sees)
    if view is None:
        return {"record": render(None, sees), "shown": None}
    return {"record": html.Div([render(view, sees), _earlier(view, sees)]), "shown": view["id"]}


def sponsor_letter(clicks: Any = None, shown: Any = None) -> dict[str, Any]:
    """The letter to the sponsor as PDF, built from the open view only whoever asks."""
    if not clicks:
        raise PreventUpdate
    view = readable_record(shown, sees_arms=False)
    if view is None:
        return {"pdf": dash.no_update, "status": notice("Choose a meeting first.", "secondary")}
    config = trial_config()
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    pdf = letter.letter_pdf(view, study_id=config.study_id, title=config.title, user=current_user.username,
                            generated_at=now)
    name = f"{config.study_id}_DSMB_{view['meeting_date']}_v{view['version']}_letter_OPEN.pdf"
    audit.record("meeting_letter", username=current_user.username, cut_id=view["cut_ids"][-1],
                 detail={"file": name, "access": "blinded", "record": view["id"], "sha256": letter.sha256(pdf)})
    return {"pdf": dcc.send_bytes(pdf, name), "status": notice(f"Letter {name} generated.", "success")}


def cut_choices(**_: Any) -> dict[str, Any]:
    """The loaded cuts a record may say it reviewed, oldest first."""
    return {"options": [{"label": f"{date} ({cut_id})", "value": cut_id}
                        for cut_id, date in sorted(known_cuts().items(), key=lambda kv: kv[1])]}


def item_choices(shown: Any = None, **_: Any) -> dict[str, Any]:
    """The shown record's unresolved action items (RECORD_MEETINGS: roles that see arms)."""
    view = readable_record(shown, reader_sees_arms())
    if view is None:
        return {"options": []}
    return {"options": [{"label": f"{i['key']}: {i['action'][:80]}", "value": f"{view['meeting']}:{i['key']}"}
                        for i in view["open_items"] + view.get("closed_items", []) if not i["resolution"]]}


_AFTER_CHANGES = {"_signed": Control(ids.SIGNED, "data"), "_resolved": Control(ids.RESOLVED, "data")}
LIST = Display("meetings.list", "Meetings", "choice", (), {"options": Out(ids.SELECT, "options"),
                                                          "value": Out(ids.SELECT, "value")},
               POOLED_ONLY, analysis=(views.newest_versions,), builder=views.choice_label, in_pack=False)
RECORD = Display("meetings.record", "Meeting record", "note", (), {"record": Out(ids.RECORD, "children")},
                 POOLED_ONLY, analysis=(views.record_view, views.meeting_views), builder=render, in_pack=False)
LETTER = Display("meetings.letter", "Letter to the sponsor", "download",
                 (), {"pdf": Out(ids.LETTER_DOWNLOAD, "data"), "status": Out(ids.LETTER_STATUS, "children")},
                 POOLED_ONLY, analysis=(views.record_view,), builder=letter.letter_pdf, in_pack=False)
CUTS = Display("meetings.cut_choices", "Cuts reviewed", "choice", (), {"options": Out(ids.F_CUTS, "options")},
               POOLED_ONLY, analysis=(cuts.list_cuts,), in_pack=False)
ITEMS = Display("meetings.item_choices", "Action items to resolve", "choice", (),
                {"options": Out(ids.ITEM_SELECT, "options")}, POOLED_ONLY, analysis=(views.record_view,),
                in_pack=False)

VIEWS: tuple[View, ...] = (
    View("meeting:list", PAGE, Permission.VIEW_MEETINGS, meeting_list, (LIST,),
         {"_trigger": Control(ids.TRIGGER, "data"), "saved": Control(ids.SAVED, "data"), **_AFTER_CHANGES,
          "chosen": Control(ids.SELECT, "value", state=True)}, audited=False, reads_trial_data=False),
    View("meeting:record", PAGE, Permission.VIEW_MEETINGS, meeting_record, (RECORD,),
         {"chosen": Control(ids.SELECT, "value"), **_AFTER_CHANGES}, state_outputs={"shown": Out(ids.SHOWN, "data")},
         reads_trial_data=False),
    View("meeting:letter", PAGE, Permission.VIEW_MEETINGS, sponsor_letter, (LETTER,),
         {"clicks": Control(ids.LETTER_BUTTON, "n_clicks"), "shown": Control(ids.SHOWN, "data", state=True)},
         prevent_initial_call=True, audited=False, reads_trial_data=False),
    View("meeting:cut-choices", PAGE, Permission.RECORD_MEETINGS, cut_choices, (CUTS,),
         {"_trigger": Control(ids.TRIGGER, "data")}, audited=False, reads_trial_data=False),
    View("meeting:item-choices", PAGE, Permission.RECORD_MEETINGS, item_choices, (ITEMS,),
         {"shown": Control(ids.SHOWN, "data"), "_resolved": Control(ids.RESOLVED, "data")}, audited=False,
         reads_trial_data=False),
)
