"""Administration pages: users and roles; the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from dashboard import audit
from dashboard.context import ViewContext
from dashboard.permissions import Role
from layouts.common import NUMBER_COLUMN, download_button, listing_grid, page_header

USERS_TABLE = "admin-users-table"
USER_PICKER = "admin-user-picker"
ROLE_PICKER = "admin-role-picker"
SET_ROLE = "admin-set-role"
DISABLE_USER = "admin-disable-user"
ENABLE_USER = "admin-enable-user"
USER_FEEDBACK = "admin-user-feedback"

AUDIT_EVENT = "audit-event"
AUDIT_USER = "audit-user"
AUDIT_DATES = "audit-dates"
AUDIT_TABLE = "audit-table"
AUDIT_COUNT = "audit-count"
AUDIT_DOWNLOAD = "audit-download"
AUDIT_DOWNLOAD_FILE = "audit-download-file"
AUDIT_CHAIN = "audit-chain"

AUDIT_EVENTS = audit.EVENTS          # one list: the audit module's


def users_layout(ctx: ViewContext) -> Component:
    roles = [{"label": r.value, "value": r.value} for r in (Role.ADMIN, Role.INVESTIGATOR)]
    return html.Div([
        page_header("Users and roles", ctx, "new users, passwords, and any change to an account that sees arms "
                    "(dsmb, statistician): python -m dashboard users ... on the server"),
        dbc.Card([dbc.CardHeader("Users"), dbc.CardBody(listing_grid(USERS_TABLE, height=300))],
                 className="mb-3 shadow-sm"),
        dbc.Card([
            dbc.CardHeader("Change a user"),
            dbc.CardBody(dbc.Row([
                dbc.Col(dcc.Dropdown(id=USER_PICKER, options=[], placeholder="User"), md=3),
                dbc.Col(dcc.Dropdown(id=ROLE_PICKER, options=roles, placeholder="New role"), md=3),
                dbc.Col([
                    dbc.Button("Set role", id=SET_ROLE, color="primary", size="sm"),
                    dbc.Button("Disable", id=DISABLE_USER, color="danger", outline=True, size="sm", className="ms-2"),
                    dbc.Button("Enable", id=ENABLE_USER, color="success", outline=True, size="sm", className="ms-2"),
                ], md=4),
                dbc.Col(html.Div(id=USER_FEEDBACK, className="small"), md=2),
            ], align="center")),
        ], className="mb-3 shadow-sm"),
    ])


def audit_layout(ctx: ViewContext) -> Component:
    events = [{"label": e.replace("_", " "), "value": e} for e in AUDIT_EVENTS]
    return html.Div([
        page_header("Audit trail", ctx, "append-only: logins, cut loads, refusals and activations, closed views, "
                                        "unmasking, exports, user changes"),
        dbc.Card(dbc.CardBody(dbc.Row([
            dbc.Col(dcc.Dropdown(id=AUDIT_EVENT, options=events, multi=True, placeholder="All events"), md=4),
            dbc.Col(dbc.Input(id=AUDIT_USER, placeholder="User name", debounce=True, type="text"), md=2),
            dbc.Col(dcc.DatePickerRange(id=AUDIT_DATES, display_format="YYYY-MM-DD"), md=4),
            dbc.Col([html.Span(id=AUDIT_COUNT, className="text-muted small"),
                     download_button(AUDIT_DOWNLOAD, AUDIT_DOWNLOAD_FILE)], md=2),
        ], align="center")), className="mb-3 shadow-sm"),
        html.Div(id=AUDIT_CHAIN, className="small mb-2"),
        listing_grid(AUDIT_TABLE, height=520),
    ])


def chain_status(summary: str, intact: bool) -> Component:
    """The audit chain's state above the table: green when every link checks, red with the first broken one."""
    return html.Span(summary, className="text-success" if intact else "text-danger fw-bold")


AUDIT_HEADERS = {"id": ("#", {"maxWidth": 90, **NUMBER_COLUMN}), "at": ("When (UTC)", {"minWidth": 200}),
                 "event": ("Event", {"minWidth": 130}), "username": ("User", {"minWidth": 120}),
                 "cut_id": ("Data cut", {"minWidth": 170}), "ip": ("IP address", {"minWidth": 120}),
                 "detail": ("Detail", {"flex": 3, "minWidth": 320}),
                 "closed_detail": ("Closed detail", {"flex": 3, "minWidth": 320})}


def audit_columns(fields: Sequence[str]) -> list[dict[str, Any]]:
    """Audit trail columns with plain headers; the detail takes the spare width and shows in full on hover."""
    columns = []
    for field in fields:
        header, width = AUDIT_HEADERS.get(field, (field, {}))
        columns.append({"field": field, "headerName": header, "tooltipField": field, "flex": 1, **width})
    return columns
