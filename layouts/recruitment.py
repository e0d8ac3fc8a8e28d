"""Recruitment and trial conduct page: filters, headline tiles, and tabs of figures and listings."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from dashboard.context import ViewContext
from layouts.common import figure_card, listing_grid, page_header, stat_tile, summary_grid
from layouts.readiness import readiness_badge

INIT = "rec-init"
SITE_FILTER = "rec-site-filter"
DATE_FILTER = "rec-date-filter"
TABS = "rec-tabs"

TILE_SCREENED = "rec-tile-screened"
TILE_RANDOMIZED = "rec-tile-randomized"
TILE_ON_TREATMENT = "rec-tile-on-treatment"
TILE_FOLLOW_UP = "rec-tile-follow-up"
TILE_COMPLETED = "rec-tile-completed"
TILE_WITHDRAWN = "rec-tile-withdrawn"
TILE_DEATHS = "rec-tile-deaths"
TILE_DAYS = "rec-tile-days"
TILE_CUT = "rec-tile-cut"
TILES = (TILE_SCREENED, TILE_RANDOMIZED, TILE_ON_TREATMENT, TILE_FOLLOW_UP, TILE_COMPLETED, TILE_WITHDRAWN,
         TILE_DEATHS, TILE_DAYS, TILE_CUT)
TILE_LABELS = ("Screened", "Randomized / target", "On treatment", "In follow-up", "Completed follow-up", "Withdrawn",
               "Deaths", "Days since first randomization", "Data cut")

ACCRUAL_GRAPH = "rec-accrual-graph"
PROJECTION_NOTE = "rec-projection-note"
BALANCE_GRAPH = "rec-balance-graph"
FUNNEL_GRAPH = "rec-funnel-graph"
FAILURES_GRAPH = "rec-failures-graph"
CONSORT_GRAPH = "rec-consort-graph"
ARM_NOTE = "rec-arm-note"
PERIOD_CHOICE = "rec-period-choice"
PERIOD_GRAPH = "rec-period-graph"
SITE_GRID = "rec-site-grid"
SITE_NOTE = "rec-site-note"
BASELINE_GRID = "rec-baseline-grid"
DEVIATION_GRID = "rec-deviation-grid"
DEVIATION_NOTE = "rec-deviation-note"
EXPOSURE_GRAPH = "rec-exposure-graph"
EXPOSURE_NOTE = "rec-exposure-note"
MISSED_GRID = "rec-missed-grid"
EXPOSURE_LISTING_TITLE = "rec-exposure-listing-title"
MISSED_TITLE = "Subjects with a missed infusion"
COMPLETENESS_GRAPH = "rec-completeness-graph"
VISIT_GRID = "rec-visit-grid"
DOWNLOAD = "rec-download"
CSV_FAILURES = "rec-csv-failures"
CSV_SITES = "rec-csv-sites"
CSV_BASELINE = "rec-csv-baseline"
CSV_DEVIATIONS = "rec-csv-deviations"
CSV_MISSED = "rec-csv-missed"
CSV_VISITS = "rec-csv-visits"
CSV_BUTTONS = (CSV_FAILURES, CSV_SITES, CSV_BASELINE, CSV_DEVIATIONS, CSV_MISSED, CSV_VISITS)


def _csv_button(button_id: str) -> Component:
    return dbc.Button("Download CSV", id=button_id, size="sm", color="secondary", outline=True)


def _titled(title: str | Component, display_key: str) -> Component:
    """A display's title with its data-readiness badge (`display_key`: its key in dashboard/displays)."""
    return html.Span([title, readiness_badge(display_key)])


def _card(title: str | Component, display_key: str, body: list[Component], button_id: str | None = None
          ) -> Component:
    header = [html.Span(_titled(title, display_key), className="fw-semibold")]
    if button_id:
        header.append(html.Span(_csv_button(button_id), className="float-end"))
    return dbc.Card([dbc.CardHeader(header), dbc.CardBody(body)], className="mb-3 shadow-sm")


def _filters() -> Component:
    return dbc.Card(dbc.CardBody(dbc.Row([
        dbc.Col([dbc.Label("Sites", html_for=SITE_FILTER, className="small text-muted mb-1"),
                 dcc.Dropdown(id=SITE_FILTER, options=[], value=[], multi=True, placeholder="All sites")], md=4),
        dbc.Col([dbc.Label("Screening date", html_for=DATE_FILTER, className="small text-muted mb-1"),
                 html.Div(dcc.DatePickerRange(id=DATE_FILTER, clearable=True, display_format="YYYY-MM-DD",
                                              start_date_placeholder_text="From", end_date_placeholder_text="To"))],
                md=4),
        dbc.Col(html.Div("Filters choose subjects by site and screening date. The accrual chart keeps every "
                         "screening date (the range only zooms it); with a site filter it drops the target, "
                         "plan and projection, which are trial-wide.", className="small text-muted"), md=4),
    ], className="g-3 align-items-end")), className="mb-3 shadow-sm")


def _tiles() -> Component:
    return html.Div([html.Div(_titled("Study status", "recruitment.status"), className="small text-muted mb-1"),
                     _tile_row()])


def _tile_row() -> Component:
    return dbc.Row([dbc.Col(stat_tile(tile, label), xs=6, md=4, xl=True, className="mb-3")
                    for tile, label in zip(TILES, TILE_LABELS)], className="g-2")


def _overview(ctx: ViewContext) -> list[Component]:
    accrual = figure_card(ACCRUAL_GRAPH, _titled("Cumulative randomizations", "recruitment.accrual"), height=420,
                          extra=html.Div(id=PROJECTION_NOTE, className="small mb-2"))
    parts = [_tiles(), accrual]
    if ctx.sees_arms:
        balance = _titled("Randomization balance over time", "recruitment.balance")
        parts.append(figure_card(BALANCE_GRAPH, balance, height=360))
    return parts


def _screening() -> list[Component]:
    failures = dcc.Graph(id=FAILURES_GRAPH, style={"height": "380px"}, config={"displaylogo": False})
    return [
        dbc.Row([
            dbc.Col(figure_card(FUNNEL_GRAPH, _titled("Screening funnel", "recruitment.funnel"), height=380), lg=5),
            dbc.Col(_card("Screen-failure reasons", "recruitment.screen_failures", [failures], CSV_FAILURES), lg=7),
        ]),
        figure_card(CONSORT_GRAPH, _titled("CONSORT flow diagram", "recruitment.consort"), height=640),
    ]


def _sites() -> list[Component]:
    period = dbc.RadioItems(id=PERIOD_CHOICE, options=[{"label": "By week", "value": "week"},
                                                       {"label": "By month", "value": "month"}],
                            value="week", inline=True, className="mb-2")
    over_time = _titled("Enrollment over time", "recruitment.enrollment_period")
    return [figure_card(PERIOD_GRAPH, over_time, height=360, extra=period),
            _card("Enrollment by site", "recruitment.sites", [html.Div(id=SITE_NOTE, className="small text-muted mb-2"),
                                                              listing_grid(SITE_GRID, height=360)], CSV_SITES)]


def _baseline() -> list[Component]:
    return [_card("Baseline characteristics of randomized subjects", "recruitment.baseline",
                  [summary_grid(BASELINE_GRID)], CSV_BASELINE),
            _card("Eligibility checks: possible protocol deviations", "recruitment.deviations", [
                html.Div(id=DEVIATION_NOTE, className="small text-muted mb-2"),
                listing_grid(DEVIATION_GRID, height=420)], CSV_DEVIATIONS)]


def _exposure() -> list[Component]:
    return [figure_card(EXPOSURE_GRAPH, _titled("Exposure", "recruitment.exposure"), height=380,
                        extra=html.Div(id=EXPOSURE_NOTE, className="small")),
            # the listing follows the regimen (missed infusions or cycles; every subject's compliance), so its title too
            _card(html.Span(MISSED_TITLE, id=EXPOSURE_LISTING_TITLE), "recruitment.exposure_listing",
                  [listing_grid(MISSED_GRID, height=360)], CSV_MISSED)]


def _completeness() -> list[Component]:
    measurements = _titled("Measurements received by visit", "recruitment.completeness")
    return [figure_card(COMPLETENESS_GRAPH, measurements, height=560),
            _card("Scheduled visits: expected and received", "recruitment.visits", [summary_grid(VISIT_GRID)],
                  CSV_VISITS)]


def layout(ctx: ViewContext) -> Component:
    """The page for `ctx`; the by-arm balance chart exists only for roles that see arms."""
    by_arm = " · by arm as randomized (planned arm) where shown" if ctx.sees_arms else ""
    subtitle = f"Target {ctx.target_enrollment} randomized{by_arm}"
    tabs = dbc.Tabs([
        dbc.Tab(_overview(ctx), label="Overview", tab_id="overview", className="pt-3"),
        dbc.Tab(_screening(), label="Screening and flow", tab_id="screening", className="pt-3"),
        dbc.Tab(_sites(), label="Sites and time", tab_id="sites", className="pt-3"),
        dbc.Tab(_baseline(), label="Baseline and eligibility", tab_id="baseline", className="pt-3"),
        dbc.Tab(_exposure(), label="Exposure", tab_id="exposure", className="pt-3"),
        dbc.Tab(_completeness(), label="Data completeness", tab_id="completeness", className="pt-3"),
    ], id=TABS, active_tab="overview")
    return html.Div([
        page_header("Recruitment and trial conduct", ctx, subtitle),
        dcc.Store(id=INIT, data="recruitment"),
        dcc.Download(id=DOWNLOAD),
        _filters(),
        html.Div(id=ARM_NOTE),
        tabs,
    ])
