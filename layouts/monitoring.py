"""Monitoring page: the charter's looks and safety rules; (closed) the boundary plot and conditional power."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from dashboard.context import ViewContext
from layouts.common import figure_card, page_header

TRIGGER = "monitoring-trigger"
SUMMARY = "monitoring-summary"
BOUNDARY = "monitoring-boundary"
POWER = "monitoring-power"
SAFETY = "monitoring-safety"


def _card(title: str, body_id: str) -> Component:
    return dbc.Card([dbc.CardHeader(html.Span(title, className="fw-semibold")),
                     dbc.CardBody(dcc.Loading(html.Div(id=body_id), type="dot", delay_show=300))],
                    className="mb-3 shadow-sm")


def layout(ctx: ViewContext) -> Component:
    """Open view: information and looks, pooled safety rules. Closed view adds boundaries and power."""
    parts = [page_header("Monitoring", ctx, "the charter: planned looks, stopping boundaries, safety rules"),
             dcc.Store(id=TRIGGER, data=0), _card("Information and looks", SUMMARY)]
    if ctx.sees_arms:
        parts += [figure_card(BOUNDARY, "Efficacy boundary and the observed statistic", height=460),
                  _card("Conditional power", POWER)]
    parts.append(_card("Safety stopping rules", SAFETY))
    return html.Div(parts)
