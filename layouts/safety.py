"""Safety page: overview, incidence by SOC / PT, SAE and death listings, timelines, labs, changes since the last cut.

Pure layout: ids as constants, no data. Depends on ctx.sees_arms only (the forest plot card is closed-only).
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from dashboard.context import ViewContext
from dashboard.tables.safety import COMPACT, COMPACT_LISTING
from layouts.common import GRAPH_CONFIG, download_button, listing_grid, page_header, stat_tile, summary_grid
from layouts.readiness import readiness_badge

TABS = "safety-tabs"
POPULATION_NOTE = "safety-population-note"    # population and N, and who is randomized but not counted
# Overview
TILE_POPULATION = "safety-tile-population"
TILE_ANY = "safety-tile-any"
TILE_SERIOUS = "safety-tile-serious"
TILE_DEATHS = "safety-tile-deaths"
TILE_NEW = "safety-tile-new"
OVERVIEW_GRID = "safety-overview-grid"
OVERVIEW_NOTE = "safety-overview-note"
IR_GRID = "safety-ir-grid"
IR_NOTE = "safety-ir-note"
IR_CARD = "safety-ir-card"                # hidden unless the regimen has discrete infusions
KM_GRAPH = "safety-km-graph"
# By SOC / PT
SOC_MODE = "safety-soc-mode"
SOC_SORT = "safety-soc-sort"
SOC_EXPAND_ALL = "safety-soc-expand-all"
SOC_EXPANDED = "safety-soc-expanded"
SOC_GRID = "safety-soc-grid"
SOC_NOTE = "safety-soc-note"
SEVERITY_GRAPH = "safety-severity-graph"
FOREST_TOP = "safety-forest-top"
FOREST_GRAPH = "safety-forest-graph"
# Listings and profile
LISTING_SEARCH = "safety-listing-search"
SAE_GRID = "safety-sae-grid"
SAE_NOTE = "safety-sae-note"
SAE_CSV = "safety-sae-csv"
SAE_DOWNLOAD = "safety-sae-download"
DEATH_GRID = "safety-death-grid"
DEATH_NOTE = "safety-death-note"
DEATH_CSV = "safety-death-csv"
DEATH_DOWNLOAD = "safety-death-download"
PROFILE_MODAL = "safety-profile-modal"
PROFILE_TITLE = "safety-profile-title"
PROFILE_INFO = "safety-profile-info"
PROFILE_GRAPH = "safety-profile-graph"
PROFILE_EVENTS = "safety-profile-events"
# Timelines
SWIMMER_FILTER = "safety-swimmer-filter"
SWIMMER_GRAPH = "safety-swimmer-graph"
# Labs
LAB_TEST = "safety-lab-test"
LAB_BOX = "safety-lab-box"
LAB_SPAGHETTI = "safety-lab-spaghetti"
LAB_SHIFT = "safety-lab-shift"
EDISH_GRAPH = "safety-edish-graph"
EDISH_TABLE = "safety-edish-table"
CREAT_GRAPH = "safety-creat-graph"
# Changes since the previous cut
CHANGES_NOTE = "safety-changes-note"
CHANGES_GRID = "safety-changes-grid"
CHANGES_DEATHS = "safety-changes-deaths"
CHANGES_CSV = "safety-changes-csv"
CHANGES_DOWNLOAD = "safety-changes-download"

STUDY_DAY_NOTE = ("days are study days, as on the Outcomes page: day 1 = day of the first dose, day −1 the day "
                  "before, no day 0")
SELECTABLE = {"rowSelection": {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True}}


def _card(title: str, body: list[Component] | Component, extra: Component | None = None, *,
          display: str = "") -> Component:
    """A card under a heading; `display` (a catalogue key) puts the display's readiness badge after the title."""
    heading = html.Span([title, readiness_badge(display)] if display else title, className="fw-semibold")
    header = html.Div([heading, extra or ""], className="d-flex justify-content-between align-items-center")
    return dbc.Card([dbc.CardHeader(header), dbc.CardBody(body)], className="mb-3 shadow-sm")


def _figure_card(graph_id: str, title: str, display: str, *, height: int,
                 extra: Component | None = None) -> Component:
    """A card holding one graph (filled by its view) under a heading with the display's readiness badge."""
    graph = dcc.Loading(dcc.Graph(id=graph_id, config=GRAPH_CONFIG, style={"height": f"{height}px"}),
                        type="dot", delay_show=300)
    return _card(title, [*([extra] if extra is not None else []), graph], display=display)


def _compact(grid: Component) -> Component:
    """A grid with the narrower cell padding of the Safety page."""
    grid.style = {**grid.style, **COMPACT}
    return grid


def _grid(grid_id: str, height: int | None, *, selectable: bool = False, page_size: int = 50) -> Component:
    """A listing grid; `height` None: as tall as its rows (a page of `page_size` at most)."""
    grid = _compact(listing_grid(grid_id, height=height or 0, page_size=page_size))
    if height is None:
        grid.dashGridOptions = {**grid.dashGridOptions, "domLayout": "autoHeight"}
        grid.style = {"width": "100%", **COMPACT_LISTING}
    if selectable:
        grid.dashGridOptions = {**grid.dashGridOptions, **SELECTABLE}
    return grid


def _overview_tab(ctx: ViewContext) -> Component:
    tiles = dbc.Row([dbc.Col(stat_tile(TILE_POPULATION, "Safety population"), md=2),
                     dbc.Col(stat_tile(TILE_ANY, "With any TEAE"), md=2),
                     dbc.Col(stat_tile(TILE_SERIOUS, "With a serious TEAE"), md=3),
                     dbc.Col(stat_tile(TILE_DEATHS, "Deaths"), md=2),
                     dbc.Col(stat_tile(TILE_NEW, "New since previous cut"), md=3)], className="g-3 mb-3")
    glance = html.Div(["At a glance", readiness_badge("safety.tiles")], className="small text-muted mb-1")
    summary = _card("Treatment-emergent adverse events: overview", display="safety.ae_overview", body=[
        html.Div(id=OVERVIEW_NOTE, className="text-muted small mb-2"), _compact(summary_grid(OVERVIEW_GRID))])
    reactions = html.Div(_card("Adverse events starting soon after an infusion (temporal association, not causality)",
                               [html.Div(id=IR_NOTE, className="text-muted small mb-2"),
                                _compact(summary_grid(IR_GRID))], display="safety.infusion_reactions"),
                         id=IR_CARD)
    # the reactions table has one 'n/N (%)' and one events column per group: full width, so it reads at a glance
    return html.Div([glance, tiles, summary, reactions, _figure_card(KM_GRAPH, "Time to first serious adverse event",
                                                             "safety.km_first_sae", height=540)], className="pt-3")


def _soc_tab(ctx: ViewContext) -> Component:
    sort_options = [{"label": "Most subjects first", "value": "incidence"},
                    {"label": "Alphabetical", "value": "alpha"}]
    if ctx.sees_arms:
        sort_options.append({"label": "Largest risk difference first", "value": "rd"})
    controls = dbc.Row([
        dbc.Col([dbc.Label("Count", className="small text-muted mb-0"),
                 dbc.RadioItems(id=SOC_MODE, value="any", inline=True, options=[
                     {"label": "Subjects with the event", "value": "any"},
                     {"label": "By maximum severity", "value": "severity"}])], md=5),
        dbc.Col([dbc.Label("Order", className="small text-muted mb-0"),
                 dcc.Dropdown(id=SOC_SORT, value="incidence", clearable=False, options=sort_options)], md=4),
        dbc.Col([dbc.Label("Terms", className="small text-muted mb-0"),
                 dbc.Switch(id=SOC_EXPAND_ALL, label="Show all preferred terms", value=False)], md=3),
    ], className="g-3 mb-2")
    table = _card("Incidence by system organ class and preferred term", display="safety.soc_pt", body=[
        controls, html.Div(id=SOC_NOTE, className="text-muted small mb-2"),
        dcc.Store(id=SOC_EXPANDED, data=[]), _grid(SOC_GRID, 520, page_size=100)])
    parts = [table, _figure_card(SEVERITY_GRAPH, "Maximum severity by system organ class", "safety.max_severity",
                                 height=720)]
    if ctx.sees_arms:
        top = html.Div([dbc.Label("Preferred terms shown: those in at least 10 % of subjects of any arm, highest first, at most",
                                  className="small text-muted mb-0"),
                        dcc.Slider(id=FOREST_TOP, min=5, max=40, step=5, value=15,
                                   marks={v: str(v) for v in (5, 10, 20, 30, 40)})], className="mb-2")
        parts.append(_figure_card(FOREST_GRAPH, "Risk difference by preferred term (closed)", "safety.forest",
                                   height=620, extra=top))
    return html.Div(parts, className="pt-3")


def _profile_modal() -> Component:
    return dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle(id=PROFILE_TITLE, children="Patient profile")),
        dbc.ModalBody([html.Div(id=PROFILE_INFO, className="mb-2"),
                       dcc.Graph(id=PROFILE_GRAPH, config=GRAPH_CONFIG, style={"height": "620px"}),
                       html.H6("Adverse events", className="mt-3"), _grid(PROFILE_EVENTS, 260)]),
    ], id=PROFILE_MODAL, is_open=False, size="xl", scrollable=True)


def _listings_tab(ctx: ViewContext) -> Component:
    search = dbc.InputGroup([dbc.InputGroupText("Search"),
                             dbc.Input(id=LISTING_SEARCH, type="search", debounce=True,
                                       placeholder="subject, term, outcome…")], size="sm", className="mb-3")
    hint = html.Div("Click a row to open the subject's profile.", className="text-muted small mb-2")
    sae = _card("Serious adverse events", [html.Div(id=SAE_NOTE, className="text-muted small mb-2"), hint,
                                           _grid(SAE_GRID, None, selectable=True, page_size=20)],
                download_button(SAE_CSV, SAE_DOWNLOAD), display="safety.sae_listing")
    deaths = _card("Deaths", [html.Div(id=DEATH_NOTE, className="text-muted small mb-2"),
                              _grid(DEATH_GRID, None, selectable=True, page_size=20)],
                   download_button(DEATH_CSV, DEATH_DOWNLOAD), display="safety.death_listing")
    return html.Div([search, sae, deaths, _profile_modal()], className="pt-3")


def _timelines_tab(ctx: ViewContext) -> Component:
    choice = dbc.RadioItems(id=SWIMMER_FILTER, value="any", inline=True, className="mb-2", options=[
        {"label": "Subjects with any treatment-emergent event", "value": "any"},
        {"label": "Subjects with a serious event", "value": "serious"}])
    return html.Div([_figure_card(SWIMMER_GRAPH, "Swimmer plot", "safety.swimmer", height=900, extra=choice)],
                    className="pt-3")


def _labs_tab(ctx: ViewContext) -> Component:
    pick = dbc.Row(dbc.Col([dbc.Label(["Laboratory test", readiness_badge("safety.lab_choice")],
                                      className="small text-muted mb-0"),
                            dcc.Dropdown(id=LAB_TEST, options=[], value=None, clearable=False)], md=4),
                   className="mb-3")
    return html.Div([
        pick,
        dbc.Row([dbc.Col(_figure_card(LAB_BOX, "Values by visit", "safety.lab_box", height=420), lg=6),
                 dbc.Col(_figure_card(LAB_SPAGHETTI, "Individual trajectories", "safety.lab_spaghetti",
                                      height=420), lg=6)]),
        _card("Baseline, change from baseline and shift against the normal range", html.Div(id=LAB_SHIFT),
              display="safety.lab_shift"),
        # half and half: the quadrant table has a column per arm and the total
        dbc.Row([dbc.Col(_figure_card(EDISH_GRAPH, "Liver: eDISH (Hy's law)", "safety.edish", height=480), lg=6),
                 dbc.Col(_card("Subjects per eDISH quadrant", html.Div(id=EDISH_TABLE),
                               display="safety.edish_quadrants"), lg=6)]),
        _figure_card(CREAT_GRAPH, "Kidney: peak creatinine against baseline", "safety.creatinine", height=380),
    ], className="pt-3")


def _changes_tab(ctx: ViewContext) -> Component:
    return html.Div([
        html.Div([html.Div(id=CHANGES_NOTE, className="flex-grow-1"), readiness_badge("safety.changes_summary")],
                 className="d-flex align-items-start mb-3"),
        _card("Adverse-event records new, changed or removed since the previous cut",
              _grid(CHANGES_GRID, None, page_size=20), download_button(CHANGES_CSV, CHANGES_DOWNLOAD),
              display="safety.ae_changes"),
        _card("Deaths new since the previous cut", _grid(CHANGES_DEATHS, None, page_size=20),
              display="safety.death_changes"),
    ], className="pt-3")


def layout(ctx: ViewContext) -> Component:
    """The safety page for this user: pooled (OPEN) or by arm (CLOSED) as ctx says; figures filled by callbacks."""
    basis = "as randomized (planned arm)" if ctx.safety_arm_basis == "planned" else "as treated (actual arm)"
    arms = f" · by arm {basis}: {', '.join(ctx.arm_labels)}" if ctx.sees_arms else " · all arms pooled"
    subtitle = f"Safety population as stated below{arms} · {STUDY_DAY_NOTE}"   # the note says SAFFL where it decided
    return html.Div([
        page_header("Safety", ctx, subtitle),
        html.Div([html.Div(id=POPULATION_NOTE, className="flex-grow-1"), readiness_badge("safety.population")],
                 className="d-flex align-items-start small mb-2 px-2 py-1 border-start border-3 border-primary"),
        dbc.Tabs([
            dbc.Tab(_overview_tab(ctx), label="Overview", tab_id="overview"),
            dbc.Tab(_soc_tab(ctx), label="By SOC / PT", tab_id="soc"),
            dbc.Tab(_listings_tab(ctx), label="SAEs & deaths", tab_id="listings"),
            dbc.Tab(_timelines_tab(ctx), label="Timelines", tab_id="timelines"),
            dbc.Tab(_labs_tab(ctx), label="Labs", tab_id="labs"),
            dbc.Tab(_changes_tab(ctx), label="Changes since last cut", tab_id="changes"),
        ], id=TABS, active_tab="overview"),
    ])
