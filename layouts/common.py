"""Small building blocks shared by the page layouts."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from dashboard.context import ViewContext

GRAPH_CONFIG = {"displaylogo": False, "responsive": True,
                "toImageButtonOptions": {"format": "png", "scale": 2}}


def page_header(title: str, ctx: ViewContext, subtitle: str = "") -> Component:
    """Page title with the cut date and the OPEN / CLOSED state a DSMB report always states."""
    state = ctx.session_label
    badge = dbc.Badge(f"{state} · {'by arm' if ctx.sees_arms else 'pooled'}",
                      color="danger" if ctx.sees_arms else "success", className="ms-2 align-middle")
    cut = f"Data cut {ctx.cut_date}" if ctx.cut_date else "No data cut loaded"
    # where the board's coding key came from is closed: only a reader who sees arms is told
    notice = ctx.coding_notice[:1].upper() + ctx.coding_notice[1:]       # the notice names the coding key itself
    coding = [html.Div(f"{notice}.", className="small text-danger coding-notice")] \
        if ctx.sees_arms and ctx.coding_notice else []
    return html.Div([
        html.H2([title, badge], className="h4 mb-0"),
        html.Div([cut, f" · {subtitle}" if subtitle else ""], className="text-muted small"),
        *coding,
    ], className="mb-3")


def figure_card(graph_id: str, title: str, *, height: int = 380, extra: Component | None = None) -> Component:
    """A card holding one graph (filled by a callback) under a heading."""
    return dbc.Card([
        dbc.CardHeader(html.Span(title, className="fw-semibold")),
        dbc.CardBody(([extra] if extra is not None else []) + [
            dcc.Loading(dcc.Graph(id=graph_id, config=GRAPH_CONFIG, style={"height": f"{height}px"}),
                        type="dot", delay_show=300),
        ]),
    ], className="mb-3 shadow-sm")


# AG Grid guesses each column's type from its first row. A first value such as 2021-05-10 made a column a date
# column, whose later partial dates (2021-05), date-times and cut ids (2021-07-10-307c6a45) showed as empty
# cells. Columns are text unless their definition says they are numbers (NUMBER_COLUMN).
NO_TYPE_GUESSING = {"cellDataType": False}
NUMBER_COLUMN = {"type": "numericColumn", "filter": "agNumberColumnFilter"}
# Long headers (an arm's full name, "Risk difference B vs A, ...") wrap onto more lines instead of being cut off.
WRAPPED_HEADERS = {"wrapHeaderText": True, "autoHeaderHeight": True}


def plain_columns(fields: Sequence[str], numbers: Collection[str] = ()) -> list[dict[str, Any]]:
    """Columns headed by their field names (underscores as spaces); the fields in `numbers` as numbers."""
    return [{"field": f, "headerName": f.replace("_", " "), **(NUMBER_COLUMN if f in numbers else {})}
            for f in fields]


def listing_grid(grid_id: str, *, height: int = 420, page_size: int = 50) -> Component:
    """An AG Grid listing with sorting, filtering and paging; rows and columns come from a callback."""
    return dag.AgGrid(
        id=grid_id,
        rowData=[],
        columnDefs=[],
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "floatingFilter": True,
                       **WRAPPED_HEADERS, **NO_TYPE_GUESSING},
        dashGridOptions={"pagination": True, "paginationPageSize": page_size, "animateRows": False,
                         "suppressCsvExport": True, "suppressExcelExport": True},
        className="ag-theme-alpine",
        style={"height": f"{height}px", "width": "100%"},
    )


def summary_grid(grid_id: str) -> Component:
    """An AG Grid for a summary table (an overview, a Table 1): every row shown at once, its height fitting
    the rows, columns sortable but no filter boxes or pages; rows and columns come from a callback."""
    return dag.AgGrid(
        id=grid_id,
        rowData=[],
        columnDefs=[],
        defaultColDef={"sortable": True, "resizable": True, **WRAPPED_HEADERS, **NO_TYPE_GUESSING},
        dashGridOptions={"domLayout": "autoHeight", "animateRows": False, "suppressCsvExport": True,
                         "suppressExcelExport": True},
        className="ag-theme-alpine",
        style={"width": "100%"},
    )


def download_button(button_id: str, download_id: str, label: str = "Download CSV") -> Component:
    """A button whose guarded callback sends a server-built, stamped CSV file."""
    return html.Span([
        dbc.Button(label, id=button_id, size="sm", color="secondary", outline=True, className="ms-2"),
        dcc.Download(id=download_id),
    ])


def stat_tile(tile_id: str, label: str) -> Component:
    """A headline number filled by a callback."""
    return dbc.Card(dbc.CardBody([
        html.Div(label, className="text-muted small text-uppercase"),
        html.Div("–", id=tile_id, className="fs-3 fw-semibold"),
    ]), className="shadow-sm h-100")


def notice(message: str, color: str = "warning") -> Component:
    return dbc.Alert(message, color=color, className="my-3")
