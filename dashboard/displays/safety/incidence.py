"""Safety 'By SOC / PT' tab: incidence by system organ class and preferred term (expandable tree), subjects by
maximum severity, and (closed only) the risk differences by preferred term."""

from __future__ import annotations

import functools
from typing import Any

import dash
import pandas as pd

from dashboard.analysis import ae as ae_tables
from dashboard.analysis.ae_listings import json_records
from dashboard.blinding import TrialData
from dashboard.displays.model import BY_ARM_ONLY, Control, Display, Out, View
from dashboard.displays.safety import frames as fr
from dashboard.figures import safety as fig_ae
from dashboard.figures.common import empty_figure
from dashboard.memo import memoized
from dashboard.permissions import Permission
from dashboard.tables import safety as safety_tables
from layouts import safety as ids

SORTS = ("incidence", "alpha")        # "rd" as well, by arm and not by severity
FOREST_TOP_DEFAULT = 15
SEVERITY_NOTE = " Each subject is counted once, at the maximum severity of the term (unknown counts as severe)."


def incidence_table(data: TrialData, severity: bool) -> pd.DataFrame:
    """Subjects per SOC and PT, pooled or by arm; by maximum severity, or with risk differences against the
    reference arm."""
    f = fr.frames(data)
    if severity:
        return memoized(data, "safety:maxsev", lambda: data.split(
            ae_tables.ae_max_severity, ae_tables.ae_max_severity_by_arm, f.teae, f.population, basis="safety"))
    by_arm = functools.partial(ae_tables.ae_incidence_by_arm, reference=fr.reference(data))
    return memoized(data, "safety:incidence", lambda: data.split(
        ae_tables.ae_incidence, by_arm, f.teae, f.population, basis="safety"))


def incidence_note(data: TrialData, severity: bool) -> str:
    """How the tree counts, and (by arm) against which arm the risk differences are taken."""
    note = ("Subjects with at least one treatment-emergent event (a subject counts once per class and term); "
            "N: the safety population" + (" of each arm" if data.access.sees_arms else "") +
            ". Click a class to show its terms." + fr.basis_note(data))
    if severity:
        return note + SEVERITY_NOTE
    if data.access.sees_arms:
        reference = data.arm_labels[fr.reference(data)]
        note += (f" Risk difference in percentage points against {reference} (reference arm), 95% Newcombe "
                 "hybrid-score CI, unadjusted for the many terms.")
    return note


def _triggered_id() -> Any:
    """The component that ran the callback; None outside one (the meeting pack)."""
    try:
        return dash.ctx.triggered_id
    except Exception:  # noqa: BLE001 - no callback context: nothing was clicked
        return None


def soc_pt_rows(data: TrialData, severity: bool, sort: str, expanded: list[str] | None) -> pd.DataFrame:
    """The visible rows of the tree: every class, and the terms of the expanded ones (all when `expanded` is None)."""
    table = incidence_table(data, severity)
    ordered = memoized(data, "safety:incidence-order", lambda: ae_tables.order_incidence(table, sort), severity, sort)
    return safety_tables.incidence_rows(ae_tables.visible_rows(ordered, expanded), expanded, severity)


def incidence(data: TrialData, mode: Any = None, sort: Any = None, expand_all: Any = None, clicked: Any = None,
              expanded: Any = None) -> dict[str, Any]:
    """The SOC / PT tree: counting mode, order, expanded classes (a click on a class toggles it)."""
    severity = mode == "severity"
    by_rd = sort == "rd" and data.access.sees_arms and not severity
    sort = sort if sort in SORTS or by_rd else "incidence"
    table = incidence_table(data, severity)
    valid = set(table.loc[table["LEVEL"] == "SOC", "AEBODSYS"].astype(str))
    clicked_soc = safety_tables.clicked_class(clicked) if _triggered_id() == ids.SOC_GRID else None
    kept = safety_tables.toggle([s for s in (expanded or []) if isinstance(s, str) and s in valid],
                                clicked_soc if clicked_soc in valid else None)
    rows = soc_pt_rows(data, severity, sort, None if expand_all else kept)
    return {"soc_rows": json_records(rows), "soc_columns": safety_tables.incidence_columns(
                fr.headers(data), fr.comparisons(data), severity),
            "expanded": kept, "soc_note": incidence_note(data, severity)}


def severity_figure(data: TrialData, **_: Any) -> dict[str, Any]:
    """Subjects by maximum severity per system organ class."""
    return {"severity": memoized(data, "safety:severity-figure", lambda: fig_ae.max_severity_figure(
        incidence_table(data, True), fr.stamp(data), arm_labels=fr.arm_labels(data)))}


def _no_forest(data: TrialData, top: int) -> Any:
    return empty_figure(fig_ae.FOREST_TITLE, fr.stamp(data), "Risk differences are shown in the closed report only.")


def _forest(data: TrialData, top: int, *, arm_of: pd.Series) -> Any:
    return memoized(data, "safety:forest", lambda: fig_ae.forest_figure(
        ae_tables.forest_rows(incidence_table(data, False), top), data.arm_labels, fr.stamp(data),
        fr.reference(data)), top)


def forest(data: TrialData, top_n: Any = None) -> dict[str, Any]:
    """Risk difference by preferred term (closed only; pooled data gets a notice)."""
    top = int(top_n) if isinstance(top_n, (int, float)) and 1 <= top_n <= 100 else FOREST_TOP_DEFAULT
    return {"forest": data.split(_no_forest, _forest, data, top, basis="safety")}


SOC_PT = Display(
    "safety.soc_pt", "Incidence by system organ class and preferred term", "table", ("DM", "EX", "AE"),
    {"soc_rows": Out(ids.SOC_GRID, "rowData"), "soc_columns": Out(ids.SOC_GRID, "columnDefs"),
     "soc_note": Out(ids.SOC_NOTE, "children")},
    analysis=(ae_tables.ae_incidence, ae_tables.ae_incidence_by_arm, ae_tables.ae_max_severity,
              ae_tables.ae_max_severity_by_arm), builder=safety_tables.incidence_rows,
    fields=("AE.AEBODSYS", "AE.AEDECOD", "AE.AESEV"), tab="soc")
MAX_SEVERITY = Display(
    "safety.max_severity", "Maximum severity by system organ class", "figure", ("DM", "EX", "AE"),
    {"severity": Out(ids.SEVERITY_GRAPH, "figure")},
    analysis=(ae_tables.ae_max_severity, ae_tables.ae_max_severity_by_arm), builder=fig_ae.max_severity_figure,
    fields=("AE.AEBODSYS", "AE.AESEV"), tab="soc")
FOREST = Display(
    "safety.forest", "Risk difference by preferred term (closed)", "figure", ("DM", "EX", "AE"),
    {"forest": Out(ids.FOREST_GRAPH, "figure")}, forms=BY_ARM_ONLY,
    analysis=(ae_tables.ae_incidence_by_arm, ae_tables.forest_rows), builder=fig_ae.forest_figure,
    fields=("AE.AEDECOD",), tab="soc")

VIEWS = (
    View("safety:incidence", fr.PAGE, Permission.VIEW_SAFETY, incidence, (SOC_PT,),
         controls={"mode": Control(ids.SOC_MODE, "value"), "sort": Control(ids.SOC_SORT, "value"),
                   "expand_all": Control(ids.SOC_EXPAND_ALL, "value"), "clicked": Control(ids.SOC_GRID, "cellClicked"),
                   "expanded": Control(ids.SOC_EXPANDED, "data", state=True)}, tabs=ids.TABS,
         state_outputs={"expanded": Out(ids.SOC_EXPANDED, "data")}),
    View("safety:severity", fr.PAGE, Permission.VIEW_SAFETY, severity_figure, (MAX_SEVERITY,),
         controls={"_graph": Control(ids.SEVERITY_GRAPH, "id")}, tabs=ids.TABS),
    View("safety:forest", fr.PAGE, Permission.VIEW_SAFETY, forest, (FOREST,),
         controls={"top_n": Control(ids.FOREST_TOP, "value")}, tabs=ids.TABS),
)
