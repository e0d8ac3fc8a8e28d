"""Shared pieces of the Recruitment page's callbacks: the filter key, the subjects it selects, grids, views."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from callbacks.common import NO_CUT, arm_basis_text
from dashboard.analysis import recruitment as rec
from dashboard.blinding import TrialData
from dashboard.figures.common import empty_figure, stamp_text
from dashboard.memo import memoized
from layouts.common import NUMBER_COLUMN

MAX_GRID_ROWS = 1000
ARMS_AS_RANDOMIZED = arm_basis_text("planned")    # recruitment's by-arm displays: the arm randomized to
Key = tuple[tuple[str, ...], str, str]


def _key(sites: Any, start: Any, end: Any) -> Key:
    """Filter values as a clean hashable key: a tuple of site ids and two ISO dates ('' when unset or invalid)."""
    if isinstance(sites, str):
        sites = [sites]
    chosen = tuple(sorted({str(s) for s in sites if isinstance(s, (str, int))})) if isinstance(sites, list) else ()
    return chosen, _iso_date(start), _iso_date(end)


def _iso_date(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    try:
        return dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return ""


def _status(data: TrialData) -> pd.DataFrame:
    config = data.config
    return memoized(data, "recruitment:status", lambda: rec.subject_status(
        data.dm, data.ds, data.ex, data.cut.cut_date, planned_doses=config.planned_doses,
        interval_days=config.dose_interval_days, vocabulary=config.vocabulary))


def _selected(data: TrialData, key: Key) -> pd.DataFrame:
    sites, start, end = key
    return memoized(data, "recruitment:selected", lambda: rec.filter_subjects(_status(data), sites, start, end), *key)


def _randomized(data: TrialData, key: Key) -> pd.DataFrame:
    selected = _selected(data, key)
    return selected.loc[selected["RANDOMIZED"]]


def _randomized_at(data: TrialData, sites: tuple[str, ...]) -> pd.DataFrame:
    """Randomized subjects of the chosen sites, whatever their screening date (accrual and balance charts)."""
    status = rec.filter_subjects(_status(data), sites)
    return status.loc[status["RANDOMIZED"]]


def _split_allowed(data: TrialData, key: Key) -> bool:
    return rec.arm_split_allowed(_selected(data, key), key[0])


def _grid(frame: pd.DataFrame, headers: Mapping[str, str], limit: int = MAX_GRID_ROWS) -> tuple[list, list]:
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


def _capped_note(frame: pd.DataFrame, what: str) -> str:
    if len(frame) > MAX_GRID_ROWS:
        return f"Showing the first {MAX_GRID_ROWS} of {len(frame)} {what}; the CSV download has all of them."
    return ""


def _plain(value: Any) -> Any:
    return value.to_plotly_json() if isinstance(value, go.Figure) else value


def _view(data: TrialData, name: str, build: Callable[[], Any], *key: Any) -> Any:
    """The finished outputs of one display, built once per cut, access and filters (figures as plain dicts)."""
    def compute() -> Any:
        out = build()
        return tuple(_plain(v) for v in out) if isinstance(out, tuple) else _plain(out)

    return memoized(data, f"recruitment:view:{name}", compute, *key)


def _no_cut_figure(title: str, sees_arms: bool) -> go.Figure:
    """Empty-state figure before the first cut, stamped OPEN or CLOSED as the user's access is."""
    return empty_figure(title, stamp_text(None, sees_arms), NO_CUT)
