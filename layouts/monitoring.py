"""Monitoring page: the charter's looks and safety rules; (closed) the boundary plot and conditional power."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from dashboard.context import ViewContext
from layouts.common import GRAPH_CONFIG, page_header
from layouts.readiness import readiness_badge

TRIGGER = "monitoring-trigger"
SUMMARY = "monitoring-summary"
BOUNDARY = "monitoring-boundary"
POWER = "monitoring-power"
SAFETY = "monitoring-safety"


def closed_stamp() -> Component:
    """The stamp a card with by-arm content carries, as a closed report page does."""
    return dbc.Badge("CLOSED", color="danger", className="ms-2 align-middle closed-stamp")


def _header(title: str, closed: bool, display_key: str) -> Component:
    stamp = [closed_stamp()] if closed else []
    return dbc.CardHeader(html.Span([title, *stamp, readiness_badge(display_key)], className="fw-semibold"))


def _card(title: str, body_id: str, display_key: str, closed: bool = False) -> Component:
    return dbc.Card([_header(title, closed, display_key),
                     dbc.CardBody(dcc.Loading(html.Div(id=body_id), type="dot", delay_show=300))],
                    className="mb-3 shadow-sm" + (" border-danger" if closed else ""))


def _figure_card(graph_id: str, title: str, display_key: str, height: int) -> Component:
    """A closed card holding one graph (filled by a callback)."""
    graph = dcc.Graph(id=graph_id, config=GRAPH_CONFIG, style={"height": f"{height}px"})
    return dbc.Card([_header(title, True, display_key), dbc.CardBody(dcc.Loading(graph, type="dot", delay_show=300))],
                    className="mb-3 shadow-sm border-danger")


def layout(ctx: ViewContext) -> Component:
    """Open view: information and looks, pooled safety rules. Closed view adds boundaries and power."""
    parts = [page_header("Monitoring", ctx, "the charter: planned looks, stopping boundaries, safety rules"),
             dcc.Store(id=TRIGGER, data=0), _card("Information and looks", SUMMARY, "monitoring.information")]
    if ctx.sees_arms:
        parts += [_figure_card(BOUNDARY, "Efficacy boundary and the observed statistic", "monitoring.boundary",
                               height=460),
                  _card("Conditional power", POWER, "monitoring.conditional_power", closed=True)]
    # for a reader who sees arms the rules applied within each arm are shown by arm: the card is closed
    parts.append(_card("Safety stopping rules", SAFETY, "monitoring.safety_rules", closed=ctx.sees_arms))
    return html.Div(parts)
