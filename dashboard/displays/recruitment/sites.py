"""Recruitment page, Sites and time tab: screened and randomized per week or month, and enrollment by site (with
randomized per arm for roles that see arms, never for a site below the small-site threshold)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboard.displays.common import stamp
from dashboard.analysis import recruitment as rec
from dashboard.blinding import ArmedTrialData, TrialData
from dashboard.displays.model import BOTH_FORMS, POOLED_ONLY, Control, Display, Out, View
from dashboard.displays.recruitment.selection import FILTERS, Key, filter_key, finished, selected
from dashboard.figures import recruitment as figures
from dashboard.memo import memoized
from dashboard.permissions import Permission
from dashboard.tables import recruitment as tables
from layouts import recruitment as ids

PAGE = "/recruitment"
TAB = "sites"


def site_table(data: TrialData, key: Key) -> tuple[pd.DataFrame, dict[str, str]]:
    """Enrollment by site and its headers; by arm, randomized per arm where the site is large enough."""
    def pooled() -> tuple[pd.DataFrame, dict[str, str]]:
        table = memoized(data, "recruitment:sites", lambda: rec.enrollment_by_site(selected(data, key)), *key)
        return table, tables.site_headers()

    return data.split(pooled, lambda *, arm_of: _site_table_by_arm(data, key, arm_of))


def _site_table_by_arm(data: ArmedTrialData, key: Key, arm_of: pd.Series) -> tuple[pd.DataFrame, dict[str, str]]:
    """Enrollment by site with a column per arm (called by `ArmedTrialData.split` only)."""
    table = memoized(data, "recruitment:sites-arm", lambda: rec.enrollment_by_site_by_arm(
        selected(data, key), arm_of, data.arm_labels), *key)
    return table, tables.site_headers(data.arm_labels)


def period_figure(data: TrialData, key: Key, period: str) -> go.Figure:
    """Screened and randomized per calendar week or month (empty periods kept, so pauses show)."""
    by_period = memoized(data, "recruitment:period", lambda: rec.enrollment_by_period(selected(data, key), period),
                         period, *key)
    return figures.enrollment_period_figure(by_period, period, stamp(data))


def sites_and_time(data: TrialData, sites: Any = None, start: Any = None, end: Any = None,
                   period: Any = "week") -> dict[str, Any]:
    """Enrollment over time and by site, with the small-site note for roles that see arms."""
    period = "month" if period == "month" else "week"
    key = filter_key(sites, start, end)

    def build() -> dict[str, Any]:
        rows, columns = tables.grid(*site_table(data, key))
        note = (f"Sites with fewer than {rec.MIN_SITE_SPLIT} randomized subjects in this selection are not split "
                "by arm." if data.access.sees_arms else "")
        return {"period": period_figure(data, key, period), "rows": rows, "columns": columns, "note": note}

    return finished(data, "sites", build, period, *key)


PERIOD = Display("recruitment.enrollment_period", "Enrollment over time", "figure", ("DM",),
                 {"period": Out(ids.PERIOD_GRAPH, "figure")}, POOLED_ONLY, tab=TAB,
                 analysis=(rec.enrollment_by_period,), builder=figures.enrollment_period_figure,
                 fields=("DM.DMDTC", "DM.RANDDTC"))
SITES = Display("recruitment.sites", "Enrollment by site", "table", ("DM", "DS", "EX"),
                {"rows": Out(ids.SITE_GRID, "rowData"), "columns": Out(ids.SITE_GRID, "columnDefs"),
                 "note": Out(ids.SITE_NOTE, "children")}, BOTH_FORMS, tab=TAB,
                analysis=(rec.enrollment_by_site, rec.enrollment_by_site_by_arm), builder=tables.grid,
                fields=("DM.SITEID",))

VIEWS = (
    View("recruitment:sites", PAGE, Permission.VIEW_RECRUITMENT, sites_and_time, (PERIOD, SITES),
         {**FILTERS, "period": Control(ids.PERIOD_CHOICE, "value")}, tabs=ids.TABS),
)
