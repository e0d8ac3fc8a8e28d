"""Recruitment page controls that read the cut: the filters' choices (sites, screening dates) and the CSV
downloads of the page's tables (each the table its grid shows, every row, stamped)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dash
import pandas as pd

from dashboard.displays.common import send_csv
from dashboard.analysis import recruitment as rec
from dashboard.blinding import TrialData
from dashboard.displays.model import POOLED_ONLY, Control, Display, Out, View
from dashboard.displays.recruitment.baseline import baseline_tables
from dashboard.displays.recruitment.completeness import completeness_tables
from dashboard.displays.recruitment.exposure import exposure_frames
from dashboard.displays.recruitment.screening import failure_reasons
from dashboard.displays.recruitment.selection import FILTER_STATES, Key, filter_key, subject_status
from dashboard.displays.recruitment.sites import site_table
from dashboard.permissions import Permission
from dashboard.tables import recruitment as tables
from layouts import recruitment as ids

PAGE = "/recruitment"
Csv = tuple[pd.DataFrame, str, str]          # (table, title, file name)


def filter_choices(data: TrialData, _init: Any = None) -> dict[str, Any]:
    """The cut's sites, and the screening dates the range may take (first screening to the cut)."""
    status = subject_status(data)
    first = status["SCREEN_DT"].min()
    start = None if pd.isna(first) else first.date().isoformat()
    return {"options": [{"label": f"Site {s}", "value": s} for s in rec.site_options(status)], "min_date": start,
            "max_date": data.cut.cut_date, "visible_month": start or data.cut.cut_date}


def _exposure_csv(data: TrialData, key: Key) -> Csv:
    regimen = data.config.regimen
    listing = exposure_frames(data, key)[1].rename(columns=tables.exposure_headers(regimen))
    return (listing, tables.listing_title(regimen),
            "exposure" if regimen == "continuous" else f"missed_{regimen}")


def _sites_csv(data: TrialData, key: Key) -> Csv:
    table, headers = site_table(data, key)
    return table.rename(columns=headers), "Enrollment by site", "enrollment_by_site"


CSV_TABLES: dict[str, Callable[[TrialData, Key], Csv]] = {
    ids.CSV_FAILURES: lambda data, key: (failure_reasons(data, key), "Screen-failure reasons",
                                         "screen_failure_reasons"),
    ids.CSV_SITES: _sites_csv,
    ids.CSV_BASELINE: lambda data, key: (baseline_tables(data, key)[0], "Baseline characteristics", "baseline"),
    ids.CSV_DEVIATIONS: lambda data, key: (baseline_tables(data, key)[1].rename(columns=tables.DEVIATION_HEADERS),
                                           "Eligibility checks: possible protocol deviations",
                                           "eligibility_deviations"),
    ids.CSV_MISSED: _exposure_csv,
    ids.CSV_VISITS: lambda data, key: (completeness_tables(data, key)[0].rename(columns=tables.VISIT_HEADERS),
                                       "Visit completeness", "visit_completeness"),
}


def download(data: TrialData, sites: Any = None, start: Any = None, end: Any = None, **_clicks: Any
             ) -> dict[str, Any]:
    """The CSV of the table whose button was pressed (nothing for any other trigger)."""
    make = CSV_TABLES.get(dash.ctx.triggered_id) if dash.ctx.triggered_id in ids.CSV_BUTTONS else None
    if make is None:
        return {"data": dash.no_update}
    frame, title, filename = make(data, filter_key(sites, start, end))
    return {"data": send_csv(frame, data, title=title, filename=filename)}


FILTERS = Display("recruitment.filters", "Sites and screening dates", "choice", ("DM",),
                  {"options": Out(ids.SITE_FILTER, "options"), "min_date": Out(ids.DATE_FILTER, "min_date_allowed"),
                   "max_date": Out(ids.DATE_FILTER, "max_date_allowed"),
                   "visible_month": Out(ids.DATE_FILTER, "initial_visible_month")},
                  POOLED_ONLY, analysis=(rec.site_options,), fields=("DM.SITEID",), in_pack=False)
DOWNLOAD = Display("recruitment.download", "CSV of the page's tables", "download", ("DM", "DS", "EX", "IE"),
                   {"data": Out(ids.DOWNLOAD, "data")}, in_pack=False)

VIEWS = (
    View("recruitment:filters", PAGE, Permission.VIEW_RECRUITMENT, filter_choices, (FILTERS,),
         {"_init": Control(ids.INIT, "data")}, audited=False,
         no_cut=lambda _sees: {"options": [], "min_date": None, "max_date": None, "visible_month": None}),
    View("recruitment:download", PAGE, Permission.VIEW_RECRUITMENT, download, (DOWNLOAD,),
         {**{button.removeprefix("rec-").replace("-", "_"): Control(button, "n_clicks") for button in ids.CSV_BUTTONS},
          **FILTER_STATES},
         prevent_initial_call=True),
)
