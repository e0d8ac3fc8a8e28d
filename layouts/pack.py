"""Meeting pack page: build the open pack (any role) or the closed pack (roles that see arms) of the active cut,
then download it. No data, no I/O here."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from dashboard.context import ViewContext
from layouts.common import page_header

BUILD_OPEN = "pack-build-open"
BUILD_CLOSED = "pack-build-closed"
STATUS = "pack-status"
FILE_ROUTE = "/pack/file"        # served by callbacks/pack.py, authorized on every request


def layout(ctx: ViewContext) -> Component:
    closed_note = ("By arm, as you see the arms now (coded unless you unmasked), with your name in a watermark on "
                   "every page." if ctx.sees_arms else "The closed pack is built only for roles that see arms.")
    return html.Div([
        page_header("Meeting pack", ctx, "the board's report of the active cut as PDF, with its tables as data"),
        dbc.Card([dbc.CardHeader("Build and download"), dbc.CardBody([
            html.P("Open pack: pooled, for everyone at the open session.", className="mb-1"),
            dbc.Button("Build open pack", id=BUILD_OPEN, color="primary", className="me-2 mb-2"),
            html.A("Download open pack", href=f"{FILE_ROUTE}/open", className="btn btn-outline-secondary mb-2"),
            html.P(closed_note, className="mb-1 mt-3"),
            dbc.Button("Build closed pack", id=BUILD_CLOSED, color="danger", className="me-2 mb-2",
                       disabled=not ctx.sees_arms),
            *([html.A("Download closed pack", href=f"{FILE_ROUTE}/closed", className="btn btn-outline-danger mb-2")]
              if ctx.sees_arms else []),
            html.Div("A build takes up to a minute.", className="text-muted small"),
            dcc.Loading(html.Div(id=STATUS, className="mt-3")),
        ])], className="mb-3 shadow-sm"),
    ])
