"""Recruitment page, Data completeness tab: measurements received by visit among subjects due, and the scheduled
visits expected and received."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboard.displays.common import stamp
from dashboard.analysis import conduct
from dashboard.analysis.baseline_characteristics import absent_measures
from dashboard.analysis.outcomes import planned_visits
from dashboard.blinding import TrialData
from dashboard.displays.model import POOLED_ONLY, Display, Out, View
from dashboard.displays.recruitment.selection import FILTERS, Key, filter_key, finished, randomized
from dashboard.figures import conduct as conduct_figures
from dashboard.memo import memoized
from dashboard.permissions import Permission
from dashboard.tables import recruitment as tables
from layouts import recruitment as ids

PAGE = "/recruitment"
TAB = "completeness"


def presence(data: TrialData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(subject x visit presence of any finding, subject x visit x measure presence) over the whole cut."""
    config = data.config

    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        measures = conduct.completeness_measures(config)
        names = sorted({"VS", "LB", *config.custom_domains, *(m.domain for m in measures)})
        findings = {name: data.domain(name) for name in names}
        visits = planned_visits(config.visits)
        return (conduct.visit_presence(list(findings.values()), visits),
                conduct.measurement_presence(findings, measures, visits))

    return memoized(data, "recruitment:presence", compute)


def absent(data: TrialData) -> list[str]:
    """Labels of the followed measurements with no record at all in the cut (shown once, not as a row of '–')."""
    measures = conduct.completeness_measures(data.config)
    codes = absent_measures(measures, {m.domain: data.domain(m.domain) for m in measures})
    return [m.label for m in measures if m.testcd in codes]


def completeness_tables(data: TrialData, key: Key) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(visits expected and received, measurements received by visit) of the selection's randomized subjects;
    measurements without any record in the cut are left out (`absent` names them)."""
    config = data.config

    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        visits_present, measures_present = presence(data)
        visits = planned_visits(config.visits)
        expected = conduct.expected_visits(randomized(data, key), visits)
        missing = set(absent(data))
        measures = [m for m in conduct.completeness_measures(config) if m.label not in missing]
        return (conduct.visit_completeness(expected, visits_present, visits),
                conduct.measurement_completeness(expected, measures_present, measures, visits))

    return memoized(data, "recruitment:completeness", compute, *key)


def completeness_outputs(data: TrialData, key: Key) -> tuple[go.Figure, list, list]:
    """(figure, visit grid rows, visit grid columns); the figure names visits without a planned day."""
    visits, measures = completeness_tables(data, key)
    rows, columns = tables.grid(visits, tables.VISIT_HEADERS)
    undated = [v.name for v in data.config.visits if v.day is None]
    label = stamp(data) + (f"<br>Not expected of anyone (no planned day): {', '.join(undated)}" if undated else "")
    figure = conduct_figures.completeness_figure(visits, measures, label, absent(data))
    if undated:
        figure.update_layout(margin={"t": 86})      # room for the second stamp line
    return figure, rows, columns


def completeness(data: TrialData, sites: Any = None, start: Any = None, end: Any = None) -> dict[str, Any]:
    """The completeness figure and the visit table."""
    key = filter_key(sites, start, end)
    return finished(data, "completeness", lambda: dict(zip(("figure", "rows", "columns"),
                                                           completeness_outputs(data, key))), *key)


FINDINGS = ("VS", "LB")   # always read; the configured outcomes may add more (QS, CT, ...)
MEASUREMENTS = Display("recruitment.completeness", "Measurements received by visit", "figure", ("DM", *FINDINGS),
                       {"figure": Out(ids.COMPLETENESS_GRAPH, "figure")}, POOLED_ONLY, tab=TAB,
                       analysis=(conduct.expected_visits, conduct.measurement_presence,
                                 conduct.measurement_completeness), builder=conduct_figures.completeness_figure,
                       fields=("VS.VISITNUM", "LB.VISITNUM"))
VISITS = Display("recruitment.visits", "Scheduled visits: expected and received", "table", ("DM", *FINDINGS),
                 {"rows": Out(ids.VISIT_GRID, "rowData"), "columns": Out(ids.VISIT_GRID, "columnDefs")},
                 POOLED_ONLY, tab=TAB, analysis=(conduct.expected_visits, conduct.visit_presence,
                                                 conduct.visit_completeness), builder=tables.grid,
                 fields=("VS.VISITNUM", "LB.VISITNUM"))

VIEWS = (
    View("recruitment:completeness", PAGE, Permission.VIEW_RECRUITMENT, completeness, (MEASUREMENTS, VISITS),
         FILTERS, tabs=ids.TABS),
)
