"""Safety page: overview, incidence by SOC / PT, SAE and death listings, timelines, labs, changes since the last cut.

Pure layout: ids as constants, no data. Depends on ctx.sees_arms only (the forest plot card is closed-only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from dashboard.context import ViewContext
from layouts.common import (
    GRAPH_CONFIG, NUMBER_COLUMN, download_button, figure_card, listing_grid, page_header, stat_tile, summary_grid,
)

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


def _card(title: str, body: list[Component] | Component, extra: Component | None = None) -> Component:
    header = html.Div([html.Span(title, className="fw-semibold"), extra or ""],
                      className="d-flex justify-content-between align-items-center")
    return dbc.Card([dbc.CardHeader(header), dbc.CardBody(body)], className="mb-3 shadow-sm")


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
    summary = _card("Treatment-emergent adverse events: overview", [
        html.Div(id=OVERVIEW_NOTE, className="text-muted small mb-2"), _compact(summary_grid(OVERVIEW_GRID))])
    reactions = html.Div(_card("Adverse events starting soon after an infusion (temporal association, not causality)",
                               [html.Div(id=IR_NOTE, className="text-muted small mb-2"),
                                _compact(summary_grid(IR_GRID))]),
                         id=IR_CARD)
    # the reactions table has one 'n/N (%)' and one events column per group: full width, so it reads at a glance
    return html.Div([tiles, summary, reactions, figure_card(KM_GRAPH, "Time to first serious adverse event",
                                                            height=540)], className="pt-3")


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
    table = _card("Incidence by system organ class and preferred term", [
        controls, html.Div(id=SOC_NOTE, className="text-muted small mb-2"),
        dcc.Store(id=SOC_EXPANDED, data=[]), _grid(SOC_GRID, 520, page_size=100)])
    parts = [table, figure_card(SEVERITY_GRAPH, "Maximum severity by system organ class", height=720)]
    if ctx.sees_arms:
        top = html.Div([dbc.Label("Preferred terms shown: those in at least 10 % of subjects of any arm, highest first, at most",
                                  className="small text-muted mb-0"),
                        dcc.Slider(id=FOREST_TOP, min=5, max=40, step=5, value=15,
                                   marks={v: str(v) for v in (5, 10, 20, 30, 40)})], className="mb-2")
        parts.append(figure_card(FOREST_GRAPH, "Risk difference by preferred term (closed)", height=620, extra=top))
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
                download_button(SAE_CSV, SAE_DOWNLOAD))
    deaths = _card("Deaths", [html.Div(id=DEATH_NOTE, className="text-muted small mb-2"),
                              _grid(DEATH_GRID, None, selectable=True, page_size=20)],
                   download_button(DEATH_CSV, DEATH_DOWNLOAD))
    return html.Div([search, sae, deaths, _profile_modal()], className="pt-3")


def _timelines_tab(ctx: ViewContext) -> Component:
    choice = dbc.RadioItems(id=SWIMMER_FILTER, value="any", inline=True, className="mb-2", options=[
        {"label": "Subjects with any treatment-emergent event", "value": "any"},
        {"label": "Subjects with a serious event", "value": "serious"}])
    return html.Div([figure_card(SWIMMER_GRAPH, "Swimmer plot", height=900, extra=choice)], className="pt-3")


def _labs_tab(ctx: ViewContext) -> Component:
    pick = dbc.Row(dbc.Col([dbc.Label("Laboratory test", className="small text-muted mb-0"),
                            dcc.Dropdown(id=LAB_TEST, options=[], value=None, clearable=False)], md=4),
                   className="mb-3")
    return html.Div([
        pick,
        dbc.Row([dbc.Col(figure_card(LAB_BOX, "Values by visit", height=420), lg=6),
                 dbc.Col(figure_card(LAB_SPAGHETTI, "Individual trajectories", height=420), lg=6)]),
        _card("Baseline, change from baseline and shift against the normal range", html.Div(id=LAB_SHIFT)),
        # half and half: the quadrant table has a column per arm and the total
        dbc.Row([dbc.Col(figure_card(EDISH_GRAPH, "Liver: eDISH (Hy's law)", height=480), lg=6),
                 dbc.Col(_card("Subjects per eDISH quadrant", html.Div(id=EDISH_TABLE)), lg=6)]),
        figure_card(CREAT_GRAPH, "Kidney: peak creatinine against baseline", height=380),
    ], className="pt-3")


def _changes_tab(ctx: ViewContext) -> Component:
    return html.Div([
        html.Div(id=CHANGES_NOTE, className="mb-3"),
        _card("Adverse-event records new, changed or removed since the previous cut",
              _grid(CHANGES_GRID, None, page_size=20), download_button(CHANGES_CSV, CHANGES_DOWNLOAD)),
        _card("Deaths new since the previous cut", _grid(CHANGES_DEATHS, None, page_size=20)),
    ], className="pt-3")


def layout(ctx: ViewContext) -> Component:
    """The safety page for this user: pooled (OPEN) or by arm (CLOSED) as ctx says; figures filled by callbacks."""
    arms = f" · by arm as treated (actual arm): {', '.join(ctx.arm_labels)}" if ctx.sees_arms else " · all arms pooled"
    subtitle = f"Safety population: randomized subjects with at least one dose{arms} · {STUDY_DAY_NOTE}"
    return html.Div([
        page_header("Safety", ctx, subtitle),
        html.Div(id=POPULATION_NOTE, className="small mb-2 px-2 py-1 border-start border-3 border-primary"),
        dbc.Tabs([
            dbc.Tab(_overview_tab(ctx), label="Overview", tab_id="overview"),
            dbc.Tab(_soc_tab(ctx), label="By SOC / PT", tab_id="soc"),
            dbc.Tab(_listings_tab(ctx), label="SAEs & deaths", tab_id="listings"),
            dbc.Tab(_timelines_tab(ctx), label="Timelines", tab_id="timelines"),
            dbc.Tab(_labs_tab(ctx), label="Labs", tab_id="labs"),
            dbc.Tab(_changes_tab(ctx), label="Changes since last cut", tab_id="changes"),
        ], id=TABS, active_tab="overview"),
    ])


# Column definitions for the grids (pure helpers the callbacks use).
# Every column shares the card's width (flex) from a small minimum, so three or four arms and the total fit
# without a horizontal scroll; text that does not fit wraps (the row grows) and shows in full on hover.
# a wrapped cell's lines sit close together (the theme's line height is one whole row); words break between
# letters only when one cannot fit on a line of its own
WRAPPED_CELLS = {"wrapText": True, "autoHeight": True,
                 "cellStyle": {"lineHeight": "1.35", "paddingTop": "7px", "paddingBottom": "7px",
                               "wordBreak": "normal", "overflowWrap": "break-word"}}
# narrower cell padding than the theme's 17 px, so counts of four arms and the total fit on one line
COMPACT = {"--ag-cell-horizontal-padding": "8px"}
COMPACT_LISTING = {**COMPACT, "--ag-font-size": "12px"}      # listings hold up to 17 columns
GROUP_HEADER = {"wrapHeaderText": True, "autoHeaderHeight": True}


def _label_column(field: str, header: str, *, flex: int = 3, min_width: int = 170) -> dict[str, Any]:
    """A row-label column: widest share of the card, wrapped, the full label on hover."""
    return {"field": field, "headerName": header, "flex": flex, "minWidth": min_width, "tooltipField": field,
            **WRAPPED_CELLS}


def _count_column(field: str, header: str, min_width: int, flex: int = 3) -> dict[str, Any]:
    return {"field": field, "headerName": header, "type": "rightAligned", "flex": flex, "minWidth": min_width,
            **WRAPPED_CELLS}


def count_columns(groups: Sequence[str], *, events: bool = True, cell: str = "n (%)") -> list[dict[str, Any]]:
    """One column group per group header ('Group A (N=14)'): `cell` ('n (%)') and, optionally, the events."""
    columns = []
    for i, label in enumerate(groups):
        children = [_count_column(f"g{i}", cell, 76)]
        if events:
            children.append(_count_column(f"e{i}", "Events", 58, flex=2))
        columns.append({"headerName": label, "headerTooltip": label, "children": children, **GROUP_HEADER})
    return columns


def overview_columns(groups: Sequence[str], *, cell: str = "n (%)") -> list[dict[str, Any]]:
    return [_label_column("LABEL", ""), *count_columns(groups, cell=cell)]


def incidence_columns(groups: Sequence[str], comparisons: Sequence[str] | Mapping[int, str],
                      severity: bool) -> list[dict[str, Any]]:
    """System organ class / preferred term, counts per group (or per group and severity), risk differences:
    `comparisons` maps the arm position i of each column rd<i> to its label (a list: positions 1, 2, ...)."""
    columns: list[dict[str, Any]] = [
        {**_label_column("SOC", "System organ class", flex=2, min_width=140), "sortable": False},
        {**_label_column("PT", "Preferred term", flex=2, min_width=120), "sortable": False}]
    if severity:
        for i, label in enumerate(groups):
            columns.append({"headerName": label, "headerTooltip": label, **GROUP_HEADER, "children": [
                {**_count_column(f"g{i}_{sev}", sev.title(), 62), "sortable": False}
                for sev in ("MILD", "MODERATE", "SEVERE")]})
    else:
        columns.extend({**c, "children": [{**ch, "sortable": False} for ch in c["children"]]}
                       for c in count_columns(groups))
        labelled = comparisons.items() if isinstance(comparisons, Mapping) else enumerate(comparisons, start=1)
        for i, label in labelled:
            header = f"{label} (95% CI)"
            columns.append({**_count_column(f"rd{i}", header, 96, flex=5), "headerTooltip": header,
                            "sortable": False})
    return columns


NARROW_FIELDS = frozenset({"AESEQ", "ADY", "AENDY", "DTHDY", "FATAL", "SERIOUS", "AESER", "CHANGE"})
FLAG_TEXT_FIELDS = frozenset({"TEAE", "IR"})        # 'Y (same day, time unknown)', 'Y (date only)'
WIDE_FIELDS = frozenset({"AEBODSYS", "AEDECOD", "AETERM", "CAUSE", "CHANGED_COLUMNS"})
CODED_FIELDS = frozenset({"AESEV", "AEREL", "AEACN", "AEOUT"})
NUMBER_FIELDS = frozenset({"AESEQ", "ADY", "AENDY", "DTHDY"})
DATE_FIELDS = frozenset({"AESTDTC", "AEENDTC", "DTHDTC", "DTHDT"})
# display only: a line may break after '/' in coded terms (RECOVERED/RESOLVED), never inside a word
BREAK_AFTER_SLASH = {"function": "params.value == null ? '' : String(params.value).replaceAll('/', '/\u200b')"}


def _listing_width(field: str) -> dict[str, Any]:
    """Minimum width and share of the spare width of a listing column, by what it holds."""
    if field == "USUBJID":
        return {"minWidth": 128, "flex": 1}
    if field in NARROW_FIELDS:
        return {"minWidth": 50, "flex": 1}
    if field in FLAG_TEXT_FIELDS:
        return {"minWidth": 60, "flex": 1}
    if field in DATE_FIELDS:
        return {"minWidth": 88, "flex": 1}
    if field in CODED_FIELDS:
        return {"minWidth": 96, "flex": 2, "valueFormatter": BREAK_AFTER_SLASH}
    return {"minWidth": 84, "flex": 3} if field in WIDE_FIELDS else {"minWidth": 80, "flex": 1}


def listing_columns(fields: Sequence[str], labels: dict[str, str]) -> list[dict[str, Any]]:
    """Listing columns sized by what they hold, all sharing the card's width; long text wraps between words (coded
    terms also after '/') and shows in full on hover."""
    return [{"field": f, "headerName": labels.get(f, f), "tooltipField": f, "wrapHeaderText": True,
             "autoHeaderHeight": True, **WRAPPED_CELLS, **_listing_width(f),
             **(NUMBER_COLUMN if f in NUMBER_FIELDS else {})} for f in fields]


def summary_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Component:
    """A small striped table (shift tables, quadrant counts)."""
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in header])),
                      html.Tbody([html.Tr([html.Td(v) for v in row]) for row in rows])],
                     bordered=False, striped=True, hover=True, size="sm", className="mb-0")
