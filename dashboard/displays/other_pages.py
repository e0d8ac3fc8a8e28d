"""Views of the pages that show no trial data: the data cuts page (cut list, one cut's manifest and warnings)."""

from __future__ import annotations

from typing import Any

from dash import html

from dashboard import cuts
from dashboard.context import current_cut_id, data_root
from dashboard.cut_status import cut_status
from dashboard.displays.model import POOLED_ONLY, Control, Display, Out, View
from dashboard.ingest.adam.sources import sources_text
from dashboard.permissions import Permission
from layouts import cuts as ids
from layouts.common import plain_columns

NO_CUT = "No data cut has been loaded yet."
CUT_COLUMNS = ["cut_id", "cut_date", "label", "loaded_at", "loaded_by", "randomized", "warning_count", "status"]


def cut_rows(manifests: list[cuts.CutManifest], active: str | None, root: Any = None) -> list[dict]:
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
        *([html.P(f"Sources: {sources_text(manifest.sources)}", className="small mb-2")] if manifest.sources else []),
        html.Table([html.Thead(html.Tr([html.Th("file"), html.Th("rows"), html.Th("bytes"), html.Th("SHA-256")])),
                    html.Tbody(rows)], className="table table-sm small"),
    ])


def cut_list(**_: Any) -> dict[str, Any]:
    """Every stored cut, and the picker's choices starting on the active cut."""
    manifests = cuts.list_cuts(data_root())
    active = current_cut_id()
    options = [{"label": f"{m.cut_date} · {m.label or m.cut_id}", "value": m.cut_id} for m in manifests]
    return {"rows": cut_rows(manifests, active, data_root()), "columns": plain_columns(CUT_COLUMNS, ids.NUMBER_FIELDS),
            "options": options, "value": active}


def cut_detail(cut_id: Any = None) -> dict[str, Any]:
    """One cut's manifest (files, rows, checksums of files without allocation) and its load warnings."""
    if not cut_id:  # the picker is empty only while no cut has been loaded (it starts on the active one)
        return {"detail": NO_CUT, "rows": [], "columns": []}
    try:
        manifest = cuts.read_manifest(str(cut_id), data_root())
    except cuts.CutError:
        return {"detail": "No such cut.", "rows": [], "columns": []}
    warnings = cuts.read_cut_warnings(str(cut_id), data_root()).head(5000)
    rows = warnings.astype(object).where(warnings.notna(), None).to_dict("records")
    return {"detail": manifest_detail(manifest), "rows": rows,
            "columns": plain_columns([str(c) for c in warnings.columns], ids.NUMBER_FIELDS)}


CUT_LIST = Display("cuts.list", "Loaded cuts", "table", (), forms=POOLED_ONLY, in_pack=False,
                   outputs={"rows": Out(ids.CUT_TABLE, "rowData"), "columns": Out(ids.CUT_TABLE, "columnDefs")},
                   builder=cut_rows, analysis=(cuts.list_cuts,))
CUT_DETAIL = Display("cuts.detail", "Cut details and load warnings", "table", (), forms=POOLED_ONLY, in_pack=False,
                     outputs={"detail": Out(ids.CUT_DETAIL, "children"), "rows": Out(ids.WARNINGS_TABLE, "rowData"),
                              "columns": Out(ids.WARNINGS_TABLE, "columnDefs")},
                     builder=manifest_detail, analysis=(cuts.read_manifest, cuts.read_cut_warnings))

VIEWS: tuple[View, ...] = (
    View("cuts:list", "/cuts", Permission.VIEW_CUTS, cut_list, (CUT_LIST,), reads_trial_data=False,
         controls={"_table": Control(ids.CUT_TABLE, "id")},
         state_outputs={"options": Out(ids.CUT_PICKER, "options"), "value": Out(ids.CUT_PICKER, "value")}),
    View("cuts:detail", "/cuts", Permission.VIEW_CUTS, cut_detail, (CUT_DETAIL,), reads_trial_data=False,
         controls={"cut_id": Control(ids.CUT_PICKER, "value")}),
)
