"""Accrual: cumulative randomizations, the planned line, and the projected date of reaching the target.

Projection model (docs/recruitment.md): randomizations are a Poisson process. Its rate is estimated from
the last `window_days` (or since recruitment opened, if that is shorter) with a Jeffreys prior, giving a
Gamma(n + 1/2, T) posterior. The waiting time for the R remaining subjects is Gamma(R, rate); over the
posterior of the rate it is T times a beta-prime(R, n + 1/2) variable, whose quantiles scipy gives exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

WINDOW_DAYS = 28
QUANTILES = (0.1, 0.5, 0.9)
PRIOR_SHAPE = 0.5
MAX_PROJECTION_DAYS = 3650


def cumulative_randomizations(rand_dates: pd.Series) -> pd.DataFrame:
    """One row per date with a randomization: new that day and cumulative count."""
    dates = pd.to_datetime(rand_dates.dropna()).dt.normalize()
    if dates.empty:
        return pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"), "new": pd.Series(dtype="int64"),
                             "cumulative": pd.Series(dtype="int64")})
    counts = dates.value_counts().sort_index()
    return pd.DataFrame({"date": counts.index, "new": counts.to_numpy().astype("int64"),
                         "cumulative": counts.cumsum().to_numpy().astype("int64")})


def cumulative_randomizations_by_arm(rand: pd.DataFrame, arm_of: pd.Series,
                                     arm_labels: Sequence[str]) -> pd.DataFrame:
    """Cumulative randomizations per arm on every date any arm randomized (long: date, arm, new, cumulative)."""
    frame = pd.DataFrame({"date": pd.to_datetime(rand["RAND_DT"]).dt.normalize().to_numpy(),
                          "arm": rand["USUBJID"].map(arm_of.astype(object)).to_numpy()}).dropna()
    if frame.empty:
        return pd.DataFrame(columns=["date", "arm", "new", "cumulative"])
    table = pd.crosstab(frame["date"], frame["arm"]).reindex(columns=list(arm_labels), fill_value=0).sort_index()
    new = table.stack().rename("new")
    cumulative = table.cumsum().stack().rename("cumulative")
    out = pd.concat([new, cumulative], axis=1).reset_index()
    out.columns = ["date", "arm", "new", "cumulative"]
    out["arm"] = pd.Categorical(out["arm"].astype(str), categories=list(arm_labels))
    return out.sort_values(["arm", "date"], kind="stable").reset_index(drop=True)


def planned_accrual(first_planned: dt.date, target: int, planned_end: dt.date | None = None,
                    rate_per_week: float | None = None) -> pd.DataFrame:
    """The planned line: linear from 0 at the first planned randomization to the target.

    The rate per week wins when given; otherwise the line ends at `planned_end`.
    """
    start = pd.Timestamp(first_planned)
    if rate_per_week:
        end = start + pd.Timedelta(days=7.0 * target / rate_per_week)
    elif planned_end is not None:
        end = pd.Timestamp(planned_end)
    else:
        return pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"), "planned": pd.Series(dtype="float64")})
    return pd.DataFrame({"date": [start, end.normalize()], "planned": [0.0, float(target)]})


def planned_rate_per_week(first_planned: dt.date, target: int, planned_end: dt.date | None = None,
                          rate_per_week: float | None = None) -> float | None:
    """Subjects per week the plan assumes."""
    if rate_per_week:
        return float(rate_per_week)
    if planned_end is None:
        return None
    days = (pd.Timestamp(planned_end) - pd.Timestamp(first_planned)).days
    return 7.0 * target / days if days > 0 else None


def waiting_time_quantiles(remaining: int, events: int, exposure_days: float,
                           quantiles: Sequence[float] = QUANTILES, prior_shape: float = PRIOR_SHAPE) -> np.ndarray:
    """Days until `remaining` more arrivals, given `events` in `exposure_days`: T * betaprime(R, n + a) quantiles."""
    return exposure_days * stats.betaprime.ppf(np.asarray(quantiles, float), remaining, events + prior_shape)


def _date_after(cut: pd.Timestamp, days: float) -> str | None:
    if not np.isfinite(days) or days > MAX_PROJECTION_DAYS:
        return None
    return (cut + pd.Timedelta(days=float(np.ceil(days)))).date().isoformat()


def accrual_projection(rand_dates: pd.Series, target: int, cut_date: str, *, recruitment_open: dt.date | None = None,
                       window_days: int = WINDOW_DAYS, quantiles: Sequence[float] = QUANTILES,
                       plan_rate_per_week: float | None = None) -> pd.Series:
    """When the target will be reached: from the recent Poisson rate (with a band) and at the planned rate.

    `rand_dates` has one entry per randomized subject (NaT where the date is unknown). `status` is one of
    'none' (nobody randomized), 'reached', 'paused' (no randomization in the window) or 'projected'.
    """
    cut = pd.Timestamp(cut_date).normalize()
    dates = pd.to_datetime(rand_dates).dropna().dt.normalize()
    dates = dates[dates <= cut]
    n_total = int(len(rand_dates))
    remaining = max(int(target) - n_total, 0)
    opened = min([d for d in (pd.Timestamp(recruitment_open) if recruitment_open else None,
                              dates.min() if len(dates) else None) if d is not None], default=cut)
    window_start = max(cut - pd.Timedelta(days=window_days - 1), opened.normalize())
    window_start = min(window_start, cut)
    exposure = float((cut - window_start).days + 1)
    events = int((dates >= window_start).sum())
    result = {"status": "projected", "randomized": n_total, "target": int(target), "remaining": remaining,
              "window_start": window_start.date().isoformat(), "window_days": exposure, "window_events": events,
              "rate_per_week": 7.0 * events / exposure, "reached_date": None, "last_randomization": None,
              "low_date": None, "median_date": None, "high_date": None,
              "coverage": float(max(quantiles) - min(quantiles)) if len(quantiles) > 1 else np.nan,
              "plan_rate_per_week": plan_rate_per_week, "plan_rate_date": None}
    if len(dates):
        result["last_randomization"] = dates.max().date().isoformat()
    if n_total == 0:
        result["status"] = "none"
    elif remaining == 0:
        result["status"] = "reached"
        ordered = dates.sort_values()
        if len(ordered) >= target:
            result["reached_date"] = ordered.iloc[int(target) - 1].date().isoformat()
    elif events == 0:
        result["status"] = "paused"
    else:
        days = waiting_time_quantiles(remaining, events, exposure, quantiles)
        result["low_date"], result["median_date"], result["high_date"] = (
            _date_after(cut, days[0]), _date_after(cut, days[len(days) // 2]), _date_after(cut, days[-1]))
    if remaining and plan_rate_per_week:
        result["plan_rate_date"] = _date_after(cut, 7.0 * remaining / plan_rate_per_week)
    return pd.Series(result, dtype=object)
