"""Recruitment page, Exposure tab: exposure as the configured dosing regimen defines it (infusions, cycles or
continuous dosing), by arm as randomized where shown, and the listing of missed doses or of every subject."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboard.displays.common import stamp
from dashboard.analysis import conduct
from dashboard.blinding import ArmedTrialData, TrialData
from dashboard.displays.model import BOTH_FORMS, POOLED_ONLY, Display, Out, View
from dashboard.displays.recruitment.selection import (FILTERS, Key, arm_stamp, by_arm_where_allowed, filter_key,
                                                      finished, randomized)
from dashboard.figures import conduct as conduct_figures
from dashboard.memo import memoized
from dashboard.permissions import Permission
from dashboard.tables import recruitment as tables
from layouts import recruitment as ids

PAGE = "/recruitment"
TAB = "exposure"


def exposure_frames(data: TrialData, key: Key) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """(per-subject exposure, the listing, totals) as the configured regimen defines exposure."""
    config = data.config

    def compute() -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
        chosen = randomized(data, key)
        if config.regimen == "continuous":
            exposure = conduct.continuous_exposure(chosen, data.ex, config.planned_duration_days or 0)
            return exposure, exposure, conduct.continuous_totals(exposure)
        started = (conduct.cycles_started(chosen, data.ex, config.dose_interval_days)
                   if config.regimen == "cycles" else None)
        exposure = conduct.exposure_per_subject(chosen, config.planned_doses, config.dose_interval_days, started)
        return (exposure, conduct.missed_dose_listing(exposure, data.ex),
                conduct.exposure_totals(exposure, config.planned_doses))

    return memoized(data, "recruitment:exposure", compute, *key)


def exposure_note(regimen: str, planned: int, totals: pd.Series) -> str:
    """The totals under the exposure figure, in the regimen's words."""
    if regimen == "continuous":
        median = ("–" if pd.isna(totals["median_duration"]) else
                  f"{totals['median_duration']:.0f} days on treatment and {totals['median_compliance']:.0f} % "
                  "compliance")
        odd = (f" {totals['end_before_start']} EX records end before they start; each counts its start day only."
               if totals["end_before_start"] else "")
        odd += (f" {totals['without_end']} subjects have an EX record without an end date (EXENDTC): their compliance "
                "is not computed." if totals["without_end"] else "")
        return (f"{totals['dosed']} of {totals['subjects']} randomized subjects dosed; median (dosed) {median}; "
                f"{totals['below_80']} below 80 % compliance. Compliance = days covered by EX records (EXSTDTC to "
                f"EXENDTC) / days expected ({planned} planned, fewer for a subject on study for less).{odd}")
    unit = "cycles" if regimen == "cycles" else "infusions"
    verb = "started" if regimen == "cycles" else "given"
    return (f"{totals['given']} {unit} {verb} of {totals['due']} due by the cut ({planned} planned per subject); "
            f"{totals['all_planned']} of {totals['subjects']} randomized subjects received all {planned}; "
            f"{totals['with_missed']} missed at least one due {unit[:-1]}.")


def _pooled_figure(data: TrialData, exposure: pd.DataFrame) -> go.Figure:
    """Subjects by doses received, or by compliance band (continuous dosing)."""
    regimen, planned = data.config.regimen, data.config.planned_doses
    if regimen == "continuous":
        return conduct_figures.compliance_figure(conduct.compliance_distribution(exposure), stamp(data))
    return conduct_figures.exposure_figure(conduct.exposure_distribution(exposure, planned), planned, stamp(data),
                                           regimen)


def _by_arm_figure(data: ArmedTrialData, key: Key, exposure: pd.DataFrame, arm_of: pd.Series) -> go.Figure:
    """The same distribution as % of each arm (called by `ArmedTrialData.split` only)."""
    regimen, planned, labels = data.config.regimen, data.config.planned_doses, data.arm_labels
    if regimen == "continuous":
        dist = memoized(data, "recruitment:exposure-arm", lambda: conduct.compliance_distribution_by_arm(
            exposure, arm_of, labels), *key)
        return conduct_figures.compliance_by_arm_figure(dist, labels, arm_stamp(data))
    dist = memoized(data, "recruitment:exposure-arm", lambda: conduct.exposure_distribution_by_arm(
        exposure, arm_of, labels, planned), *key)
    return conduct_figures.exposure_by_arm_figure(dist, labels, planned, arm_stamp(data), regimen)


def exposure_outputs(data: TrialData, key: Key) -> tuple[go.Figure, str, list, list, str]:
    """(figure, note, listing rows, listing columns, listing title) of the selection."""
    regimen = data.config.regimen
    planned = data.config.planned_duration_days if regimen == "continuous" else data.config.planned_doses
    exposure, listing, totals = exposure_frames(data, key)
    note = exposure_note(regimen, planned or 0, totals) + " " + tables.capped_note(listing, "subjects")
    rows, columns = tables.grid(listing, tables.exposure_headers(regimen))
    figure = by_arm_where_allowed(data, key, lambda: _pooled_figure(data, exposure),
                                  lambda *, arm_of: _by_arm_figure(data, key, exposure, arm_of))
    return figure, note.strip(), rows, columns, tables.listing_title(regimen)


def exposure(data: TrialData, sites: Any = None, start: Any = None, end: Any = None) -> dict[str, Any]:
    """The exposure figure, its note and the listing with its title."""
    key = filter_key(sites, start, end)
    return finished(data, "exposure", lambda: dict(zip(("figure", "note", "rows", "columns", "title"),
                                                       exposure_outputs(data, key))), *key)


FIGURE = Display("recruitment.exposure", "Exposure", "figure", ("DM", "EX"),
                 {"figure": Out(ids.EXPOSURE_GRAPH, "figure"), "note": Out(ids.EXPOSURE_NOTE, "children")},
                 BOTH_FORMS, tab=TAB, fields=("EX.EXSTDTC", "EX.EXENDTC"),
                 analysis=(conduct.exposure_per_subject, conduct.cycles_started, conduct.continuous_exposure,
                           conduct.exposure_distribution, conduct.exposure_distribution_by_arm,
                           conduct.compliance_distribution, conduct.compliance_distribution_by_arm),
                 builder=conduct_figures.exposure_figure)
LISTING = Display("recruitment.exposure_listing", ids.MISSED_TITLE, "listing", ("DM", "EX"),
                  {"rows": Out(ids.MISSED_GRID, "rowData"), "columns": Out(ids.MISSED_GRID, "columnDefs")},
                  POOLED_ONLY, tab=TAB, fields=("EX.EXSTDTC",), builder=tables.grid,
                  analysis=(conduct.missed_dose_listing, conduct.continuous_exposure))

VIEWS = (
    # the listing's title follows the regimen; before any cut it keeps the layout's
    View("recruitment:exposure", PAGE, Permission.VIEW_RECRUITMENT, exposure, (FIGURE, LISTING), FILTERS,
         state_outputs={"title": Out(ids.EXPOSURE_LISTING_TITLE, "children")}, tabs=ids.TABS),
)
