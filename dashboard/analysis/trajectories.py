"""Outcome trajectories by scheduled visit: pooled or by arm, and the between-arm difference in change.

Summaries are median with interquartile range (25th and 75th percentiles, linear interpolation) or
mean with a 95 % t-interval (scipy.stats.t). The difference between arms in mean change from baseline
is the Welch two-sample t-interval (scipy.stats.ttest_ind, equal_var=False).

Change from baseline is offered on three scales (`SCALES`): absolute (CHG), percent (PCHG = 100 x CHG / BASE)
and, for outcomes configured `log_normal`, the ratio to baseline summarised on the log scale and transformed back
(LRATIO = log(VALUE / BASE)): the mean of the logs gives the geometric mean ratio and its interval, the difference
between arms the ratio of geometric mean ratios.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from dashboard.analysis.outcomes import arm_order, with_arm
from dashboard.config import Visit

STATISTICS = ("median", "mean")
SUMMARY_COLUMNS = ["VISITNUM", "VISIT", "DAY", "POSITION", "N", "CENTER", "LOW", "HIGH"]
DIFFERENCE_COLUMNS = ["ARM", "REFERENCE", "VISITNUM", "VISIT", "DAY", "POSITION", "N_ARM", "N_REF", "MEAN_ARM",
                      "MEAN_REF", "DIFF", "LOW", "HIGH", "P"]
CONFIDENCE = 0.95
SCALES = {"absolute": "CHG", "percent": "PCHG", "ratio": "LRATIO"}


def scale_column(scale: str, log_normal: bool) -> tuple[str, str]:
    """(scale, column) actually used: the ratio to baseline only for log-normal outcomes, else absolute change."""
    if scale == "ratio" and not log_normal:
        return "absolute", "CHG"
    return (scale, SCALES[scale]) if scale in SCALES else ("absolute", "CHG")


def back_transformed(summary: pd.DataFrame, columns: Sequence[str] = ("CENTER", "LOW", "HIGH")) -> pd.DataFrame:
    """Summary of LRATIO put back on the ratio scale (exp): geometric mean ratio, or median ratio and quartiles."""
    return summary.assign(**{c: np.exp(summary[c].astype("float64")) for c in columns})


def _day(visit: Visit) -> float:
    return np.nan if visit.day is None else float(visit.day)


def _visit_table(visits: Sequence[Visit]) -> pd.DataFrame:
    """VISITNUM, VISIT, DAY (planned, NaN if none) and POSITION: the visit's place on a by-visit axis, 1, 2, ...
    in order of planned day, so a plot places visits by their day, whatever their VISITNUM."""
    table = pd.DataFrame({"VISITNUM": [float(v.num) for v in visits], "VISIT": [v.name for v in visits],
                          "DAY": [_day(v) for v in visits]})
    order = table.sort_values(["DAY", "VISITNUM"], kind="stable", na_position="last").index
    table.loc[order, "POSITION"] = np.arange(1, len(table) + 1, dtype="float64")
    table["POSITION"] = table["POSITION"].astype("float64")
    return table


def _statistics(frame: pd.DataFrame, by: list[str], column: str, stat: str) -> pd.DataFrame:
    """N and centre / low / high of `column` for each group in `by`."""
    values = frame[frame[column].notna()]
    grouped = values.groupby(by, sort=True, observed=True)[column]
    if stat == "mean":
        n = grouped.count()
        mean = grouped.mean()
        sem = grouped.std(ddof=1) / np.sqrt(n)
        df = (n - 1).where(n > 1)
        with warnings.catch_warnings(), np.errstate(invalid="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            low, high = stats.t.interval(CONFIDENCE, df.to_numpy(dtype=float), loc=mean.to_numpy(dtype=float),
                                         scale=sem.to_numpy(dtype=float))
        out = pd.DataFrame({"N": n, "CENTER": mean, "LOW": low, "HIGH": high}, index=n.index)
    else:
        out = pd.DataFrame({"N": grouped.count(), "CENTER": grouped.median(),
                            "LOW": grouped.quantile(0.25), "HIGH": grouped.quantile(0.75)})
    return out.reset_index()


def pooled_summary(visit_values: pd.DataFrame, visits: Sequence[Visit], column: str = "VALUE",
                   stat: str = "median") -> pd.DataFrame:
    """One row per visit in `visits` (SUMMARY_COLUMNS); N is 0 where no subject has a value."""
    table = _visit_table(visits)
    summary = _statistics(visit_values, ["VISITNUM"], column, stat) if len(visit_values) else None
    if summary is None or summary.empty:
        summary = pd.DataFrame(columns=["VISITNUM", "N", "CENTER", "LOW", "HIGH"], dtype="float64")
    out = table.merge(summary, on="VISITNUM", how="left")
    out["N"] = out["N"].fillna(0).astype("int64")
    return out[SUMMARY_COLUMNS]


def summary_by_arm(visit_values: pd.DataFrame, visits: Sequence[Visit], arm_of: pd.Series,
                   column: str = "VALUE", stat: str = "median") -> pd.DataFrame:
    """ARM plus SUMMARY_COLUMNS for every arm and visit (arms in display order, N 0 where empty)."""
    arms = arm_order(arm_of)
    grid = pd.MultiIndex.from_product([arms, [float(v.num) for v in visits]], names=["ARM", "VISITNUM"])
    armed = with_arm(visit_values, arm_of)
    summary = _statistics(armed, ["ARM", "VISITNUM"], column, stat) if len(armed) else None
    out = grid.to_frame(index=False)
    out["ARM"] = out["ARM"].astype("str")
    if summary is not None and not summary.empty:
        summary["ARM"] = summary["ARM"].astype("str")
        out = out.merge(summary, on=["ARM", "VISITNUM"], how="left")
    else:
        out = out.assign(N=np.nan, CENTER=np.nan, LOW=np.nan, HIGH=np.nan)
    out = out.merge(_visit_table(visits), on="VISITNUM", how="left")
    out["N"] = out["N"].fillna(0).astype("int64")
    out["ARM"] = pd.Categorical(out["ARM"], categories=arms)
    return out.sort_values(["ARM", "VISITNUM"], kind="stable").reset_index(drop=True)[["ARM", *SUMMARY_COLUMNS]]


def welch_difference(arm_values: np.ndarray, ref_values: np.ndarray) -> tuple[float, float, float, float]:
    """Mean difference (arm - reference), its Welch 95 % CI and p-value; NaN with fewer than 2 per group."""
    a, b = np.asarray(arm_values, dtype=float), np.asarray(ref_values, dtype=float)
    if len(a) < 2 or len(b) < 2:
        return float("nan"), float("nan"), float("nan"), float("nan")
    diff = float(a.mean() - b.mean())
    if a.var(ddof=1) + b.var(ddof=1) == 0:
        return diff, float("nan"), float("nan"), float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.ttest_ind(a, b, equal_var=False)
    ci = result.confidence_interval(CONFIDENCE)
    return diff, float(ci.low), float(ci.high), float(result.pvalue)


def change_differences(visit_values: pd.DataFrame, visits: Sequence[Visit], arm_of: pd.Series,
                       reference: str, column: str = "CHG") -> pd.DataFrame:
    """For each arm other than `reference` and each visit: difference in mean `column` (change from baseline; on
    LRATIO, transformed back by the caller with `back_transformed`, it is the ratio of geometric mean ratios)."""
    armed = with_arm(visit_values[visit_values[column].notna()], arm_of)
    groups = {key: g[column].to_numpy() for key, g in armed.groupby(["ARM", "VISITNUM"], observed=True)}
    empty = np.array([], dtype=float)
    rows = []
    position = _visit_table(visits).set_index("VISITNUM")["POSITION"]
    for arm in arm_order(arm_of):
        if arm == reference:
            continue
        for v in visits:
            a = groups.get((arm, float(v.num)), empty)
            b = groups.get((reference, float(v.num)), empty)
            diff, low, high, p = welch_difference(a, b)
            rows.append({"ARM": arm, "REFERENCE": reference, "VISITNUM": float(v.num), "VISIT": v.name,
                         "DAY": _day(v), "POSITION": float(position[float(v.num)]),
                         "N_ARM": len(a), "N_REF": len(b),
                         "MEAN_ARM": float(a.mean()) if len(a) else np.nan,
                         "MEAN_REF": float(b.mean()) if len(b) else np.nan,
                         "DIFF": diff, "LOW": low, "HIGH": high, "P": p})
    return pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS)
