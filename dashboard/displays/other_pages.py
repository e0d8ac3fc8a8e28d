"""Views of the pages that show no trial data: the data cuts page (cut list, one cut's manifest and warnings), the
users page (accounts and web changes of blinded accounts) and the audit trail (rows, chain, CSV export)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
import pandas as pd
from dash import dcc, html, no_update
from flask_login import current_user

from dashboard import audit, cuts
from dashboard.auth.models import User
from dashboard.auth.users import AccountError, list_users, set_active, set_role
from dashboard.context import current_access, current_cut_id, data_root
from dashboard.cut_status import cut_status
from dashboard.displays.model import POOLED_ONLY, Control, Display, Out, View
from dashboard.exports import neutralize_frame
from dashboard.ingest.adam.sources import sources_text
from dashboard.ingest.identity import shown_counts
from dashboard.permissions import (AccountChangeRefused, Permission, Role, check_web_account_change,
                                   may_read_closed_detail, role_named, web_may_offer)
from layouts import admin as admin_ids
from layouts import cuts as ids
from layouts.common import plain_columns

NO_CUT = "No data cut has been loaded yet."
CUT_COLUMNS = ["cut_id", "cut_date", "label", "loaded_at", "loaded_by", "randomized", "warning_count", "status"]


def cut_rows(manifests: list[cuts.CutManifest], active: str | None, root: Any = None) -> list[dict]:
    """One row per cut for the listing: the active one marked, and any that cannot be served said why."""
    return [{"cut_id": m.cut_id, "cut_date": m.cut_date, "label": m.label, "loaded_at": m.loaded_at,
             "loaded_by": m.loaded_by, "randomized": m.randomized, "warning_count": m.warning_count,
             "status": cut_status(m.cut_id, active, root)} for m in manifests]


def manifest_detail(manifest: cuts.CutManifest) -> html.Div:
    """Checksums and row counts of the input files of one cut."""
    rows = [html.Tr([html.Td(f.name), *(html.Td(cell) for cell in shown_counts(f)), html.Td(html.Code(f.sha256))])
            for f in manifest.inputs]
    return html.Div([
        html.P([html.Strong(manifest.cut_id), f" · cut date {manifest.cut_date} · loaded {manifest.loaded_at} "
                f"by {manifest.loaded_by} from {manifest.source}"], className="mb-2"),
        *([html.P(f"Sources: {sources_text(manifest.sources)}", className="small mb-2")] if manifest.sources else []),
        html.Table([html.Thead(html.Tr([html.Th("file"), html.Th("rows"), html.Th("bytes"), html.Th("SHA-256")])),
                    html.Tbody(rows)], className="table table-sm small"),
    ])


def cut_list(**_: Any) -> dict[str, Any]:
    """Every stored cut, and the picker's choices starting on the active cut."""
    manifests = cuts.list_cuts(data_root())
    active = current_cut_id()
    options = [{"label": f"{m.cut_date} · {m.label or m.cut_id}", "value": m.cut_id} for m in manifests]
    return {"rows": cut_rows(manifests, active, data_root()), "columns": plain_columns(CUT_COLUMNS, ids.NUMBER_FIELDS),
            "options": options, "value": active}


def cut_detail(cut_id: Any = None) -> dict[str, Any]:
    """One cut's manifest (files, rows, checksums of files without allocation) and its load warnings."""
    if not cut_id:  # the picker is empty only while no cut has been loaded (it starts on the active one)
        return {"detail": NO_CUT, "rows": [], "columns": []}
    try:
        manifest = cuts.read_manifest(str(cut_id), data_root())
    except cuts.CutError:
        return {"detail": "No such cut.", "rows": [], "columns": []}
    warnings = cuts.read_cut_warnings(str(cut_id), data_root()).head(5000)
    rows = warnings.astype(object).where(warnings.notna(), None).to_dict("records")
    return {"detail": manifest_detail(manifest), "rows": rows,
            "columns": plain_columns([str(c) for c in warnings.columns], ids.NUMBER_FIELDS)}


CUT_LIST = Display("cuts.list", "Loaded cuts", "table", (), forms=POOLED_ONLY, in_pack=False,
                   outputs={"rows": Out(ids.CUT_TABLE, "rowData"), "columns": Out(ids.CUT_TABLE, "columnDefs")},
                   builder=cut_rows, analysis=(cuts.list_cuts,))
CUT_DETAIL = Display("cuts.detail", "Cut details and load warnings", "table", (), forms=POOLED_ONLY, in_pack=False,
                     outputs={"detail": Out(ids.CUT_DETAIL, "children"), "rows": Out(ids.WARNINGS_TABLE, "rowData"),
                              "columns": Out(ids.WARNINGS_TABLE, "columnDefs")},
                     builder=manifest_detail, analysis=(cuts.read_manifest, cuts.read_cut_warnings))

VIEWS: tuple[View, ...] = (
    View("cuts:list", "/cuts", Permission.VIEW_CUTS, cut_list, (CUT_LIST,), reads_trial_data=False,
         audited=False,
         controls={"_table": Control(ids.CUT_TABLE, "id")},
         state_outputs={"options": Out(ids.CUT_PICKER, "options"), "value": Out(ids.CUT_PICKER, "value")}),
    View("cuts:detail", "/cuts", Permission.VIEW_CUTS, cut_detail, (CUT_DETAIL,), reads_trial_data=False,
         audited=False,
         controls={"cut_id": Control(ids.CUT_PICKER, "value")}),
)


USER_COLUMNS = ["username", "role", "active", "locked_until", "failed_logins", "created_at", "password_changed_at"]
AUDIT_ROW_LIMIT = 2000
ACCOUNT_ACTIONS = {admin_ids.SET_ROLE: "set_role", admin_ids.DISABLE_USER: "disable", admin_ids.ENABLE_USER: "enable"}


def _iso(value: dt.datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def user_rows() -> list[dict]:
    """One row per account for the users table (no password material)."""
    return [{"username": u.username, "role": u.role_value, "active": "yes" if u.is_active else "no",
             "locked_until": _iso(u.locked_until), "failed_logins": u.failed_logins,
             "created_at": _iso(u.created_at), "password_changed_at": _iso(u.password_changed_at)}
            for u in list_users()]


def change_account(actor: str, action: str, username: str, role: str | None) -> str:
    """Apply one web change (set_role, disable, enable) if the policy in dashboard.permissions allows it for
    the account as it is when the change is made."""
    new_role = Role(role) if action == "set_role" else None

    def allowed(user: User) -> None:
        check_web_account_change(actor, user.username, role_named(user.role_value), new_role)

    if new_role is not None:
        set_role(username, new_role, actor=actor, check=allowed)
        return f"{username} is now {new_role.value}; their sessions have ended."
    set_active(username, action == "enable", actor=actor, check=allowed)
    return f"{username} {'enabled' if action == 'enable' else 'disabled'}."


def manage_users(username: str | None = None, role: str | None = None, **_clicks: Any) -> dict[str, Any]:
    """The account list, after the change whose button was pressed (refusals said in the feedback)."""
    feedback = ""
    action = ACCOUNT_ACTIONS.get(dash.ctx.triggered_id)
    try:
        if action and username and (role or action != "set_role"):
            feedback = change_account(current_user.username, action, username, role)
    except (AccountError, AccountChangeRefused, ValueError) as exc:
        feedback = str(exc)
    rows = user_rows()
    # only accounts this page may change are offered (the server checks again in change_account)
    options = [{"label": r["username"], "value": r["username"]} for r in rows
               if web_may_offer(current_user.username, r["username"], r["role"])]
    return {"rows": rows, "columns": plain_columns(USER_COLUMNS, {"failed_logins"}), "options": options,
            "feedback": feedback}


def filtered_events(events: list[str] | None, username: str | None, start: str | None, end: str | None,
                    limit: int | None, closed_detail: bool = False) -> pd.DataFrame:
    """Audit rows matching the page's filters, newest first; `end` is inclusive of that whole day."""
    until = (dt.date.fromisoformat(end[:10]) + dt.timedelta(days=1)) if end else None
    events = [events] if isinstance(events, str) else list(events or [])
    frame = audit.events(event=events[0] if len(events) == 1 else None,
                         username=(username or "").strip().lower() or None, since=start[:10] if start else None,
                         until=until, limit=limit if len(events) <= 1 else None, closed_detail=closed_detail)
    if len(events) > 1:
        frame = frame[frame["event"].isin(events)]
    frame = frame.head(limit) if limit else frame
    frame = frame.assign(at=frame["at"].map(lambda t: t.isoformat(timespec="seconds") if pd.notna(t) else ""))
    return frame.astype(object).where(frame.notna(), None)


def audit_frame(events: Any, username: Any, start: Any, end: Any, limit: int | None) -> pd.DataFrame:
    """The rows the viewer may read: the closed detail only for access that may read it."""
    return filtered_events(events, username, start, end, limit,
                           closed_detail=may_read_closed_detail(current_access()))


def audit_trail(events: Any = None, username: Any = None, start: Any = None, end: Any = None) -> dict[str, Any]:
    """The newest audit rows matching the filters, and how many are shown."""
    frame = audit_frame(events, username, start, end, AUDIT_ROW_LIMIT)
    return {"rows": frame.to_dict("records"), "columns": admin_ids.audit_columns(list(frame.columns)),
            "count": f"{len(frame):,} shown (newest first, at most {AUDIT_ROW_LIMIT:,})"}


def audit_chain(**_: Any) -> dict[str, Any]:
    """The hash chain walked once when the page opens (every row is read), not again at each filter change."""
    chain = audit.verify_chain()
    return {"chain": admin_ids.chain_status(chain.summary(), chain.intact)}


def download_audit(n_clicks: Any = None, events: Any = None, username: Any = None, start: Any = None,
                   end: Any = None) -> dict[str, Any]:
    """Every matching row as CSV (formula-safe); the export itself is recorded, closed when it holds closed detail."""
    if not n_clicks:
        return {"data": no_update}
    frame = audit_frame(events, username, start, end, None)
    audit.record("export", username=current_user.username, detail={"file": "audit_trail", "rows": len(frame)},
                 closed="closed_detail" in frame.columns)
    return {"data": dcc.send_data_frame(neutralize_frame(frame).to_csv, "audit_trail.csv", index=False)}


def _admin_display(key: str, title: str, kind: str, outputs: dict[str, Out], **kwargs: Any) -> Display:
    return Display(key, title, kind, (), outputs, POOLED_ONLY, in_pack=False, **kwargs)


USERS = _admin_display("admin.users", "Users", "table", {"rows": Out(admin_ids.USERS_TABLE, "rowData"),
                       "columns": Out(admin_ids.USERS_TABLE, "columnDefs")}, analysis=(list_users,),
                       builder=user_rows)
USER_CHANGE = _admin_display("admin.user_change", "Change a user", "note",
                             {"feedback": Out(admin_ids.USER_FEEDBACK, "children")},
                             analysis=(change_account, check_web_account_change))
AUDIT_TRAIL = _admin_display("admin.audit_trail", "Audit trail", "listing",
                             {"rows": Out(admin_ids.AUDIT_TABLE, "rowData"),
                              "columns": Out(admin_ids.AUDIT_TABLE, "columnDefs"),
                              "count": Out(admin_ids.AUDIT_COUNT, "children")},
                             analysis=(filtered_events, audit.events), builder=admin_ids.audit_columns)
AUDIT_CHAIN = _admin_display("admin.audit_chain", "Audit chain", "note",
                             {"chain": Out(admin_ids.AUDIT_CHAIN, "children")}, analysis=(audit.verify_chain,),
                             builder=admin_ids.chain_status)
AUDIT_DOWNLOAD = _admin_display("admin.audit_download", "Audit trail as CSV", "download",
                                {"data": Out(admin_ids.AUDIT_DOWNLOAD_FILE, "data")},
                                analysis=(filtered_events,), builder=neutralize_frame)
AUDIT_FILTERS = {"events": Control(admin_ids.AUDIT_EVENT, "value"),
                 "username": Control(admin_ids.AUDIT_USER, "value"),
                 "start": Control(admin_ids.AUDIT_DATES, "start_date"),
                 "end": Control(admin_ids.AUDIT_DATES, "end_date")}

ADMIN_VIEWS: tuple[View, ...] = (
    View("admin:users", "/admin/users", Permission.MANAGE_USERS, manage_users, (USERS, USER_CHANGE),
         reads_trial_data=False,
         controls={"_table": Control(admin_ids.USERS_TABLE, "id"), "_set": Control(admin_ids.SET_ROLE, "n_clicks"),
                   "_disable": Control(admin_ids.DISABLE_USER, "n_clicks"),
                   "_enable": Control(admin_ids.ENABLE_USER, "n_clicks"),
                   "username": Control(admin_ids.USER_PICKER, "value", state=True),
                   "role": Control(admin_ids.ROLE_PICKER, "value", state=True)},
         state_outputs={"options": Out(admin_ids.USER_PICKER, "options")}),
    View("admin:audit", "/admin/audit", Permission.VIEW_AUDIT, audit_trail, (AUDIT_TRAIL,), reads_trial_data=False,
         controls=AUDIT_FILTERS),
    View("admin:audit_chain", "/admin/audit", Permission.VIEW_AUDIT, audit_chain, (AUDIT_CHAIN,),
         reads_trial_data=False, controls={"_chain": Control(admin_ids.AUDIT_CHAIN, "id")}),
    View("admin:audit_download", "/admin/audit", Permission.VIEW_AUDIT, download_audit, (AUDIT_DOWNLOAD,),
         reads_trial_data=False, prevent_initial_call=True,
         controls={"n_clicks": Control(admin_ids.AUDIT_DOWNLOAD, "n_clicks"),
                   **{name: Control(c.component_id, c.prop, state=True) for name, c in AUDIT_FILTERS.items()}}),
)

VIEWS = VIEWS + ADMIN_VIEWS
