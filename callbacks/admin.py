"""Administration: the user list and role / status changes; the audit trail with filters and CSV export."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from dash import Input, Output, State, ctx, dcc, no_update
from flask_login import current_user

from dashboard import audit
from dashboard.exports import neutralize_frame
from dashboard.auth.models import User
from dashboard.auth.users import AccountError, list_users, set_active, set_role
from dashboard.context import current_access
from dashboard.guard import guarded_callback
from dashboard.permissions import (
    WEB_ASSIGNABLE_ROLES, AccountChangeRefused, Permission, Role, check_web_account_change, may_read_closed_detail,
)
from layouts import admin as ids
from layouts.common import plain_columns

USER_COLUMNS = ["username", "role", "active", "locked_until", "failed_logins", "created_at", "password_changed_at"]
AUDIT_ROW_LIMIT = 2000
WEB_ROLE_VALUES = frozenset(r.value for r in WEB_ASSIGNABLE_ROLES)


def _iso(value: dt.datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def user_rows() -> list[dict]:
    return [{"username": u.username, "role": u.role_value, "active": "yes" if u.is_active else "no",
             "locked_until": _iso(u.locked_until), "failed_logins": u.failed_logins,
             "created_at": _iso(u.created_at), "password_changed_at": _iso(u.password_changed_at)}
            for u in list_users()]


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


def change_account(actor: str, action: str, username: str, role: str | None) -> str:
    """Apply one web change (set_role, disable, enable) if the policy in dashboard.permissions allows it for
    the account as it is when the change is made."""
    new_role = Role(role) if action == "set_role" else None

    def allowed(user: User) -> None:
        try:
            current = user.role
        except ValueError:
            current = None
        check_web_account_change(actor, user.username, current, new_role)

    if new_role is not None:
        set_role(username, new_role, actor=actor, check=allowed)
        return f"{username} is now {new_role.value}; their sessions have ended."
    set_active(username, action == "enable", actor=actor, check=allowed)
    return f"{username} {'enabled' if action == 'enable' else 'disabled'}."


def audit_frame(events, username, start, end, limit: int | None) -> pd.DataFrame:
    """The rows the viewer may read: the closed detail only for access that may read it."""
    return filtered_events(events, username, start, end, limit,
                           closed_detail=may_read_closed_detail(current_access()))


def register(app) -> None:
    @guarded_callback(app, Permission.MANAGE_USERS,
                      Output(ids.USERS_TABLE, "rowData"), Output(ids.USERS_TABLE, "columnDefs"),
                      Output(ids.USER_PICKER, "options"), Output(ids.USER_FEEDBACK, "children"),
                      Input(ids.USERS_TABLE, "id"), Input(ids.SET_ROLE, "n_clicks"),
                      Input(ids.DISABLE_USER, "n_clicks"), Input(ids.ENABLE_USER, "n_clicks"),
                      State(ids.USER_PICKER, "value"), State(ids.ROLE_PICKER, "value"))
    def manage_users(_table, _set, _disable, _enable, username, role):
        feedback = ""
        action = {ids.SET_ROLE: "set_role", ids.DISABLE_USER: "disable", ids.ENABLE_USER: "enable"}.get(
            ctx.triggered_id)
        try:
            if action and username and (role or action != "set_role"):
                feedback = change_account(current_user.username, action, username, role)
        except (AccountError, AccountChangeRefused, ValueError) as exc:
            feedback = str(exc)
        rows = user_rows()
        columns = plain_columns(USER_COLUMNS, {"failed_logins"})
        # only accounts this page may change are offered (the server checks again in change_account)
        options = [{"label": r["username"], "value": r["username"]} for r in rows
                   if r["role"] in WEB_ROLE_VALUES and r["username"] != current_user.username]
        return rows, columns, options, feedback

    @guarded_callback(app, Permission.VIEW_AUDIT,
                      Output(ids.AUDIT_TABLE, "rowData"), Output(ids.AUDIT_TABLE, "columnDefs"),
                      Output(ids.AUDIT_COUNT, "children"),
                      Input(ids.AUDIT_EVENT, "value"), Input(ids.AUDIT_USER, "value"),
                      Input(ids.AUDIT_DATES, "start_date"), Input(ids.AUDIT_DATES, "end_date"))
    def audit_trail(events, username, start, end):
        frame = audit_frame(events, username, start, end, AUDIT_ROW_LIMIT)
        count = f"{len(frame):,} shown (newest first, at most {AUDIT_ROW_LIMIT:,})"
        return frame.to_dict("records"), ids.audit_columns(list(frame.columns)), count

    @guarded_callback(app, Permission.VIEW_AUDIT, Output(ids.AUDIT_CHAIN, "children"), Input(ids.AUDIT_CHAIN, "id"))
    def audit_chain(_):
        """The hash chain walked once when the page opens (every row is read), not again at each filter change."""
        chain = audit.verify_chain()
        return ids.chain_status(chain.summary(), chain.intact)

    @guarded_callback(app, Permission.VIEW_AUDIT,
                      Output(ids.AUDIT_DOWNLOAD_FILE, "data"), Input(ids.AUDIT_DOWNLOAD, "n_clicks"),
                      State(ids.AUDIT_EVENT, "value"), State(ids.AUDIT_USER, "value"),
                      State(ids.AUDIT_DATES, "start_date"), State(ids.AUDIT_DATES, "end_date"),
                      prevent_initial_call=True)
    def download_audit(n_clicks, events, username, start, end):
        if not n_clicks:
            return no_update
        frame = audit_frame(events, username, start, end, None)
        audit.record("export", username=current_user.username, detail={"file": "audit_trail", "rows": len(frame)},
                     closed="closed_detail" in frame.columns)
        return dcc.send_data_frame(neutralize_frame(frame).to_csv, "audit_trail.csv", index=False)
