"""Recruitment page tables: column headers of its grids and CSVs, AG Grid rows and column definitions, the
'Table 1' layout of the baseline characteristics and the wide columns of the deviation listing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from layouts.common import NUMBER_COLUMN
from layouts.recruitment import MISSED_TITLE

MAX_GRID_ROWS = 1000
Grid = tuple[list[dict[str, Any]], list[dict[str, Any]]]     # (rows, column definitions)

SITE_HEADERS = {"SITEID": "Site", "screened": "Screened", "screen_failures": "Screen failures",
                "randomized": "Randomized", "pct_of_randomized": "% of randomized", "dosed": "Dosed",
                "completed": "Completed", "first_randomization": "First randomized",
                "last_randomization": "Last randomized"}
DEVIATION_HEADERS = {"USUBJID": "Subject", "SITEID": "Site", "check": "Check", "value": "Value",
                     "protocol_rule": "Protocol rule", "source": "Source"}
WIDE_DEVIATION_COLUMNS = ("Check", "Value")  # the long texts share the card's spare width
MISSED_HEADERS = {"USUBJID": "Subject", "SITEID": "Site", "day1": "Day 1", "received": "Infusions received",
                  "due": "Due by the cut", "missed": "Missed", "infusion_days": "Study days given",
                  "status": "Status"}
CYCLE_HEADERS = {**MISSED_HEADERS, "received": "Cycles started", "infusion_days": "Study days dosed"}
CONTINUOUS_HEADERS = {"USUBJID": "Subject", "SITEID": "Site", "DAY1_DT": "Day 1", "records": "Records received",
                      "first_dose": "First dose", "last_dose": "Last dose", "duration_days": "Days on treatment",
                      "days_covered": "Days covered", "days_expected": "Days expected",
                      "compliance_pct": "Compliance %", "end_before_start": "Records ending before they start",
                      "without_end": "Records without an end date", "STATUS": "Status"}
LISTING_TITLES = {"infusions": MISSED_TITLE, "cycles": "Subjects with a missed cycle",
                  "continuous": "Exposure of every randomized subject (continuous dosing)"}
VISIT_HEADERS = {"visit": "Visit", "planned_day": "Planned day", "expected": "Subjects due", "received": "Received",
                 "missing": "Missing", "pct_received": "% received"}


def grid(frame: pd.DataFrame, headers: Mapping[str, str], limit: int = MAX_GRID_ROWS) -> Grid:
    """AG Grid rows and column definitions: safe field names, ISO dates, None for missing, at most `limit` rows."""
    shown = frame.head(limit)
    rows: dict[str, list] = {}
    defs = []
    for i, (name, header) in enumerate(headers.items()):
        field = f"c{i}"
        values = shown[name]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if pd.api.types.is_datetime64_any_dtype(values):
            values = values.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(values):
            values = values.round(1)
        rows[field] = values.astype(object).where(values.notna(), None).tolist()
        # columns share the card's width and wrap their headers (the full header also on hover), so a table with
        # a column per arm stays on screen with three or more arms
        defs.append({"field": field, "headerName": header, "headerTooltip": header, "flex": 1, "minWidth": 100,
                     "wrapHeaderText": True, "autoHeaderHeight": True, **(NUMBER_COLUMN if numeric else {})})
    records = [dict(zip(rows, values)) for values in zip(*rows.values())] if rows else []
    return records, defs


def capped_note(frame: pd.DataFrame, what: str) -> str:
    """Says so when a listing holds more rows than its grid shows ('' otherwise)."""
    if len(frame) > MAX_GRID_ROWS:
        return f"Showing the first {MAX_GRID_ROWS} of {len(frame)} {what}; the CSV download has all of them."
    return ""


def site_headers(arm_labels: Sequence[str] = ()) -> dict[str, str]:
    """Headers of the enrollment-by-site table; by arm, a 'Randomized · <arm>' column per arm and the split flag."""
    if not arm_labels:
        return SITE_HEADERS
    return {**SITE_HEADERS, **{label: f"Randomized · {label}" for label in arm_labels},
            "split_by_arm": "Split by arm shown"}


def exposure_headers(regimen: str) -> dict[str, str]:
    """Headers of the exposure listing as the dosing regimen defines exposure."""
    return {"continuous": CONTINUOUS_HEADERS, "cycles": CYCLE_HEADERS}.get(regimen, MISSED_HEADERS)


def listing_title(regimen: str) -> str:
    """The exposure listing's title: missed infusions or cycles, or every subject's exposure (continuous)."""
    return LISTING_TITLES.get(regimen, MISSED_TITLE)


def table_one(summary: pd.DataFrame) -> Grid:
    """The baseline summary read as a 'Table 1': each characteristic named once, above its statistics, in the
    analysis order (not sortable), its label column wide enough to read in full."""
    rows, defs = grid(summary, {c: ("Characteristic" if c == "characteristic" else
                                    "Statistic" if c == "statistic" else c) for c in summary.columns})
    shown, previous = [], None
    for row in rows:
        label = row["c0"]
        shown.append({**row, "c0": "" if label == previous else label})
        previous = label
    columns = [{**d, "sortable": False, "flex": 2 if i == 0 else 1, "minWidth": 220 if i == 0 else 130}
               for i, d in enumerate(defs)]
    return shown, columns


def deviation_grid(deviations: pd.DataFrame) -> Grid:
    """The eligibility-deviation listing, its check and value columns wider than the others."""
    rows, defs = grid(deviations, DEVIATION_HEADERS)
    return rows, [{**d, "flex": 2 if d["headerName"] in WIDE_DEVIATION_COLUMNS else 1, "minWidth": 90}
                  for d in defs]
