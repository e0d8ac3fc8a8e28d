"""Meeting pack page: start the build of the open pack (any role) or the closed pack (roles that see arms) of the
active cut; the build runs in the background and the page polls its state, then offers the download.
No data, no I/O here."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from dashboard.context import ViewContext
from layouts.common import page_header

BUILD_OPEN = "pack-build-open"
BUILD_CLOSED = "pack-build-closed"
NOTE = "pack-note"              # the answer to a click (started, already running, refused)
STATUS = "pack-status"          # each pack's state and download link, refreshed while a build runs
POLL = "pack-poll"
POLL_MS = 2000
FILE_ROUTE = "/pack/file"       # served by callbacks/pack.py, authorized on every request


def layout(ctx: ViewContext) -> Component:
    closed_note = ("By arm, as you see the arms now (coded unless you unmasked), with your name in a watermark on "
                   "every page; only you can download it." if ctx.sees_arms
                   else "The closed pack is built only for roles that see arms.")
    return html.Div([
        page_header("Meeting pack", ctx, "the board's report of the active cut as PDF, with its tables as data"),
        dbc.Card([dbc.CardHeader("Build"), dbc.CardBody([
            html.P("Open pack: pooled, for everyone at the open session; one per cut, shared by all users.",
                   className="mb-1"),
            dbc.Button("Build open pack", id=BUILD_OPEN, color="primary", className="me-2 mb-2"),
            html.P(closed_note, className="mb-1 mt-3"),
            dbc.Button("Build closed pack", id=BUILD_CLOSED, color="danger", className="me-2 mb-2",
                       disabled=not ctx.sees_arms),
            html.Div("A build runs in the background (about half a minute); you may leave this page.",
                     className="text-muted small"),
            html.Div(id=NOTE),
        ])], className="mb-3 shadow-sm"),
        dbc.Card([dbc.CardHeader("Packs of the active cut"), dbc.CardBody(html.Div(id=STATUS))],
                 className="mb-3 shadow-sm"),
        dcc.Interval(id=POLL, interval=POLL_MS, disabled=True),
    ])
