"""The frame around every page: header with user, role, cut and OPEN / CLOSED state; navigation."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from dashboard.context import ViewContext

URL = "url"
PAGE_CONTENT = "page-content"
UNMASK_OPEN = "unmask-open"
UNMASK_MODAL = "unmask-modal"
UNMASK_REASON = "unmask-reason"
UNMASK_CONFIRM = "unmask-confirm"
UNMASK_FEEDBACK = "unmask-feedback"
UNMASK_REDIRECT = "unmask-redirect"


def _access_badge(ctx: ViewContext) -> Component:
    if not ctx.sees_arms:
        return dbc.Badge("OPEN · blinded, pooled data", color="success", className="fs-6")
    names = "real arm names" if ctx.access.value == "unblinded" else "coded arms"
    return dbc.Badge(f"CLOSED · by arm, {names}", color="danger", className="fs-6")


def _unmask_controls(ctx: ViewContext) -> list[Component]:
    """Unmask button and reason dialog, only for a board member who has not unmasked yet."""
    if not ctx.may_unmask or ctx.access.value == "unblinded":
        return []
    return [
        dbc.Button("Unmask arms…", id=UNMASK_OPEN, size="sm", color="warning", className="ms-3"),
        dbc.Modal([
            dbc.ModalHeader(dbc.ModalTitle("Unmask treatment arms")),
            dbc.ModalBody([
                html.P("Revealing which group received the active product is a decision of the board "
                       "under its charter. It is recorded in the audit trail with your name and reason, "
                       "and lasts until you log out. The administrator sees that you unmasked, not your "
                       "reason: that is kept for the board and the statistician."),
                dbc.Label("Reason (required, at least 10 visible characters)", html_for=UNMASK_REASON),
                dbc.Textarea(id=UNMASK_REASON, placeholder="e.g. Board decision at the closed session of ...",
                             minLength=10, maxLength=500),
                html.Div(id=UNMASK_FEEDBACK, className="text-danger small mt-2"),
            ]),
            dbc.ModalFooter(dbc.Button("Unmask", id=UNMASK_CONFIRM, color="danger")),
        ], id=UNMASK_MODAL, is_open=False),
        dcc.Location(id=UNMASK_REDIRECT, refresh=True),
    ]


def navigation(ctx: ViewContext, pages: list[tuple[str, str]]) -> Component:
    """Links to the pages this role may open (hiding is convenience; the server still checks)."""
    return dbc.Nav([dbc.NavItem(dbc.NavLink(title, href=path, active="partial")) for path, title in pages],
                   pills=True, className="mb-3")


def shell_layout(ctx: ViewContext, pages: list[tuple[str, str]]) -> Component:
    """The whole app frame; `pages` are (path, title) the user may open."""
    cut = f"Data cut {ctx.cut_date}" if ctx.cut_date else "No data cut loaded"
    header = dbc.Navbar(dbc.Container([
        html.Div([
            html.Div(f"{ctx.study_id} · DSMB dashboard", className="navbar-brand mb-0 h1"),
            html.Div(ctx.study_title, className="text-white-50 small"),
        ]),
        html.Div([
            _access_badge(ctx),
            html.Span(cut, className="ms-3 text-white"),
            html.Span([html.Span(ctx.username, className="fw-semibold"), f" ({ctx.role})"],
                      className="ms-3 text-white"),
            *_unmask_controls(ctx),
            html.A("Log out", href="/logout", className="btn btn-sm btn-outline-light ms-3"),
        ], className="d-flex align-items-center flex-wrap"),
    ], fluid=True), color="dark", dark=True, className="mb-3")
    return html.Div([
        dcc.Location(id=URL, refresh="callback-nav"),
        header,
        dbc.Container([navigation(ctx, pages), html.Div(id=PAGE_CONTENT)], fluid=True),
    ])
