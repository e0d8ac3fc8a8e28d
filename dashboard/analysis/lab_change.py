"""Laboratory values and their change from baseline at each scheduled visit: n, mean, SD, median, min and max of
the value and of the change, pooled or per arm (and the total). Baseline is the Labs tab's (`labs.baseline_split`:
the last record flagged LBBLFL = Y); scheduled visits are whole VISITNUMs, as on the tab's box plot.
"""

from __future__ import annotations

import pandas as pd

from dashboard.analysis import labs
from dashboard.analysis.safety import GROUP, assign_groups, group_sizes

MEASURES = (("VALUE", "Value"), ("CHANGE", "Change from baseline"))
STATISTICS = ("N", "MEAN", "SD", "MEDIAN", "MIN", "MAX")


def visit_values(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per subject and scheduled visit: the subject's last value there (latest study day) and its change
    from the subject's baseline (only at visits after the baseline visit, and only for subjects with one)."""
    scheduled = rows[rows["VISITNUM"].notna() & (rows["VISITNUM"] == rows["VISITNUM"].round())]
    ordered = scheduled.sort_values(["USUBJID", "VISITNUM", "LBDY"], kind="stable", na_position="first")
    last = ordered.drop_duplicates(["USUBJID", "VISITNUM"], keep="last")
    base, _ = labs.baseline_split(rows)
    base = base.set_index("USUBJID")
    base_value, base_visit = last["USUBJID"].map(base["LBSTRESN"]), last["USUBJID"].map(base["VISITNUM"])
    change = (last["LBSTRESN"] - base_value).where(last["VISITNUM"] > base_visit)
    return pd.DataFrame({"USUBJID": last["USUBJID"].to_numpy(), "VISITNUM": last["VISITNUM"].to_numpy(),
                         "VISIT": last["VISIT"].to_numpy(), "VALUE": last["LBSTRESN"].to_numpy(dtype=float),
                         "CHANGE": change.to_numpy(dtype=float)})


def _statistics(grouped: pd.DataFrame, measure: str) -> pd.DataFrame:
    g = grouped.groupby([GROUP, "VISITNUM"], sort=True)[measure]
    return pd.DataFrame({"N": g.count(), "MEAN": g.mean(), "SD": g.std(), "MEDIAN": g.median(), "MIN": g.min(),
                         "MAX": g.max()})


def _change_by_visit(rows: pd.DataFrame, population: pd.DataFrame, arm_of: pd.Series | None) -> pd.DataFrame:
    values = visit_values(rows)
    values = values[values["USUBJID"].isin(population["USUBJID"])]
    grouped = assign_groups(values, arm_of)
    # the visits come from every subject's records, never from one arm's, so the rows do not depend on allocation
    visits = values.groupby("VISITNUM", sort=True)["VISIT"].first()
    full = pd.MultiIndex.from_product([list(group_sizes(population, arm_of).index), list(visits.index)],
                                      names=[GROUP, "VISITNUM"])
    parts = []
    for measure, _ in MEASURES:
        stats = _statistics(grouped, measure).reindex(full)
        stats["N"] = stats["N"].fillna(0).astype(int)
        parts.append(stats.assign(MEASURE=measure).reset_index())
    out = pd.concat(parts, ignore_index=True)
    out["VISIT"] = out["VISITNUM"].map(visits)
    return out[[GROUP, "VISITNUM", "VISIT", "MEASURE", *STATISTICS]]


def lab_change_by_visit(rows: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Value and change statistics per scheduled visit, pooled (long: GROUP, VISITNUM, VISIT, MEASURE, N, MEAN,
    SD, MEDIAN, MIN, MAX; MEASURE is VALUE or CHANGE)."""
    return _change_by_visit(rows, population, None)


def lab_change_by_visit_by_arm(rows: pd.DataFrame, population: pd.DataFrame, arm_of: pd.Series) -> pd.DataFrame:
    """The same statistics for each arm and the total."""
    return _change_by_visit(rows, population, arm_of)
