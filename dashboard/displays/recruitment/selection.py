"""What every Recruitment display starts from: the filter key, the subjects it selects, the small-site rule for
by-arm displays, and the memo of each view's finished outputs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
import plotly.graph_objects as go

from dashboard.displays.common import arm_basis_text, stamp
from dashboard.analysis import recruitment as rec
from dashboard.blinding import TrialData
from dashboard.displays.model import Control
from dashboard.memo import memoized
from layouts import recruitment as ids

T = TypeVar("T")
ARMS_AS_RANDOMIZED = arm_basis_text("planned")    # recruitment's by-arm displays: the arm randomized to
Key = tuple[tuple[str, ...], str, str]             # (site ids, first screening date, last screening date)
FILTERS = {"sites": Control(ids.SITE_FILTER, "value"), "start": Control(ids.DATE_FILTER, "start_date"),
           "end": Control(ids.DATE_FILTER, "end_date")}
FILTER_STATES = {name: Control(c.component_id, c.prop, state=True) for name, c in FILTERS.items()}


def filter_key(sites: Any, start: Any, end: Any) -> Key:
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


def subject_status(data: TrialData) -> pd.DataFrame:
    """One status row per subject of the cut (memoized per cut and access)."""
    config = data.config
    return memoized(data, "recruitment:status", lambda: rec.subject_status(
        data.dm, data.ds, data.ex, data.cut.cut_date, planned_doses=config.planned_doses,
        interval_days=config.dose_interval_days, vocabulary=config.vocabulary))


def selected(data: TrialData, key: Key) -> pd.DataFrame:
    """Subjects of the chosen sites screened in the chosen date range."""
    sites, start, end = key
    return memoized(data, "recruitment:selected", lambda: rec.filter_subjects(subject_status(data), sites, start,
                                                                              end), *key)


def randomized(data: TrialData, key: Key) -> pd.DataFrame:
    """The randomized subjects of the selection."""
    chosen = selected(data, key)
    return chosen.loc[chosen["RANDOMIZED"]]


def randomized_at(data: TrialData, sites: tuple[str, ...]) -> pd.DataFrame:
    """Randomized subjects of the chosen sites, whatever their screening date (accrual and balance charts)."""
    status = rec.filter_subjects(subject_status(data), sites)
    return status.loc[status["RANDOMIZED"]]


def split_allowed(data: TrialData, key: Key) -> bool:
    """Whether every chosen site has enough randomized subjects in the selection to be shown by arm."""
    return rec.arm_split_allowed(selected(data, key), key[0])


def by_arm_where_allowed(data: TrialData, key: Key, pooled: Callable[..., T], by_arm: Callable[..., T],
                         *args: Any) -> T:
    """By arm as randomized when the data holds arms and the small-site rule allows it; pooled otherwise."""
    if not split_allowed(data, key):
        return pooled(*args)
    return data.split(pooled, by_arm, *args, basis="randomized")


def arm_stamp(data: TrialData) -> str:
    """The stamp of a by-arm figure: it also says the arms are as randomized."""
    return f"{stamp(data)} · {ARMS_AS_RANDOMIZED}"


def finished(data: TrialData, name: str, build: Callable[[], dict[str, Any]], *key: Any) -> dict[str, Any]:
    """A view's finished outputs, built once per cut, access and filters (figures as plain dicts)."""
    def compute() -> dict[str, Any]:
        return {k: v.to_plotly_json() if isinstance(v, go.Figure) else v for k, v in build().items()}

    return memoized(data, f"recruitment:view:{name}", compute, *key)
