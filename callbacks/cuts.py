"""Data cuts page: the cut list, one cut's manifest, and its load warnings."""

from __future__ import annotations

from dash import Input, Output, html

from callbacks.common import NO_CUT
from dashboard import cuts
from dashboard.cut_status import cut_status
from dashboard.context import current_cut_id, data_root
from dashboard.guard import guarded_callback
from dashboard.permissions import Permission
from layouts import cuts as ids
from layouts.common import plain_columns

CUT_COLUMNS = ["cut_id", "cut_date", "label", "loaded_at", "loaded_by", "randomized", "warning_count", "status"]


def cut_rows(manifests: list[cuts.CutManifest], active: str | None, root=None) -> list[dict]:
    """One row per cut for the listing: the active one marked, and any that cannot be served said why."""
    return [{"cut_id": m.cut_id, "cut_date": m.cut_date, "label": m.label, "loaded_at": m.loaded_at,
             "loaded_by": m.loaded_by, "randomized": m.randomized, "warning_count": m.warning_count,
             "status": cut_status(m.cut_id, active, root)} for m in manifests]


def manifest_detail(manifest: cuts.CutManifest) -> html.Div:
    """Checksums and row counts of the input files of one cut."""
    rows = [html.Tr([html.Td(f.name), html.Td(f"{f.rows:,}"), html.Td(f"{f.size:,}"),
                     html.Td(html.Code(f.sha256))]) for f in manifest.inputs]
    return html.Div([
        html.P([html.Strong(manifest.cut_id), f" · cut date {manifest.cut_date} · loaded {manifest.loaded_at} "
                f"by {manifest.loaded_by} from {manifest.source}"], className="mb-2"),
        html.Table([html.Thead(html.Tr([html.Th("file"), html.Th("rows"), html.Th("bytes"), html.Th("SHA-256")])),
                    html.Tbody(rows)], className="table table-sm small"),
    ])


def register(app) -> None:
    @guarded_callback(app, Permission.VIEW_CUTS,
                      Output(ids.CUT_TABLE, "rowData"), Output(ids.CUT_TABLE, "columnDefs"),
                      Output(ids.CUT_PICKER, "options"), Output(ids.CUT_PICKER, "value"),
                      Input(ids.CUT_TABLE, "id"))
    def list_cuts(_):
        manifests = cuts.list_cuts(data_root())
        active = current_cut_id()
        columns = plain_columns(CUT_COLUMNS, ids.NUMBER_FIELDS)
        options = [{"label": f"{m.cut_date} · {m.label or m.cut_id}", "value": m.cut_id} for m in manifests]
        return cut_rows(manifests, active, data_root()), columns, options, active

    @guarded_callback(app, Permission.VIEW_CUTS,
                      Output(ids.CUT_DETAIL, "children"), Output(ids.WARNINGS_TABLE, "rowData"),
                      Output(ids.WARNINGS_TABLE, "columnDefs"), Input(ids.CUT_PICKER, "value"))
    def show_cut(cut_id):
        if not cut_id:  # the picker is empty only while no cut has been loaded (it starts on the active one)
            return NO_CUT, [], []
        try:
            manifest = cuts.read_manifest(cut_id, data_root())
        except cuts.CutError:
            return "No such cut.", [], []
        warnings = cuts.read_cut_warnings(cut_id, data_root()).head(5000)
        columns = plain_columns([str(c) for c in warnings.columns], ids.NUMBER_FIELDS)
        rows = warnings.astype(object).where(warnings.notna(), None).to_dict("records")
        return manifest_detail(manifest), rows, columns
