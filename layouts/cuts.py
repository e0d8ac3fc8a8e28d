"""Data cuts page: every loaded cut with its checksums and the warnings found when it was loaded."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from dashboard.context import ViewContext
from layouts.common import listing_grid, page_header

CUT_TABLE = "cuts-table"
CUT_PICKER = "cuts-picker"
CUT_DETAIL = "cuts-detail"
WARNINGS_TABLE = "cuts-warnings"
NUMBER_FIELDS = frozenset({"randomized", "warning_count", "row", "count"})


def layout(ctx: ViewContext) -> Component:
    return html.Div([
        page_header("Data cuts", ctx, "fixed snapshots: who loaded each, when, and from which files"),
        dbc.Card([dbc.CardHeader("Loaded cuts (newest last)"), dbc.CardBody(listing_grid(CUT_TABLE, height=260))],
                 className="mb-3 shadow-sm"),
        dbc.Card([
            dbc.CardHeader(dbc.Row([
                dbc.Col(html.Span("Cut details and load warnings", className="fw-semibold")),
                dbc.Col(dcc.Dropdown(id=CUT_PICKER, options=[], value=None, clearable=False,
                                     placeholder="Choose a cut"), md=5),
            ], align="center")),
            dbc.CardBody([html.Div(id=CUT_DETAIL, className="mb-3"), listing_grid(WARNINGS_TABLE, height=320)]),
        ], className="mb-3 shadow-sm"),
    ])
