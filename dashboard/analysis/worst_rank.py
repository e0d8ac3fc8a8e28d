"""Survivors and deaths: who is behind each by-visit comparison, and a worst-rank analysis that keeps the dead.

Change from baseline is computed among subjects alive with a value at the visit. When deaths differ by arm, that
comparison is among survivors only. Two displays make it visible:

- `visit_status` / `status_counts`: for each post-baseline visit, every randomized subject is counted once as
  having a change from baseline there, having died by the visit's planned day without one, the visit not being
  due yet at the cut, or alive without a change (missed, withdrawn, no baseline).
- `worst_rank`: a sensitivity analysis at one visit (Lachin 1999): subjects who died by the visit without a value
  are ranked worst, an earlier death worse than a later one; survivors with a change are ranked above them by
  their change, oriented so that a higher rank is better. Alive subjects without a value cannot be ranked without
  imputation and are counted as left out. Each arm is compared with the reference by the Wilcoxon rank-sum
  (Mann-Whitney U) test (`scipy.stats.mannwhitneyu`, two-sided); with three or more arms the Kruskal-Wallis test
  (`scipy.stats.kruskal`) compares all arms at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from dashboard.analysis.pvalues import p_digits
from dashboard.analysis.events import death_records
from dashboard.analysis.outcomes import arm_order, day_one, randomized_ids, study_day, with_arm
from dashboard.config import Outcome, Visit

WITH_CHANGE, DIED, NOT_DUE, NO_VALUE = "change", "died", "not due", "no value"
STATUSES = (WITH_CHANGE, DIED, NOT_DUE, NO_VALUE)
STATUS_LABELS = {WITH_CHANGE: "with a change from baseline", DIED: "died by the visit (no value)",
                 NOT_DUE: "visit not yet due at the cut", NO_VALUE: "alive, no value"}
UNDATED_DEATH = np.inf  # a death of unknown day: dead by every visit, ranked as the latest death (least bad)
RANK_COLUMNS = ["ARM", "REFERENCE", "N", "RANKED", "DEATHS", "SURVIVORS", "LEFT_OUT", "MEAN_RANK", "WIN", "TEST",
                "STATISTIC", "P"]
MANN_WHITNEY = "Wilcoxon rank-sum (Mann-Whitney U)"
KRUSKAL = "Kruskal-Wallis, all arms"


def death_days(dm: pd.DataFrame, ds: pd.DataFrame) -> pd.Series:
    """Study day of death of each randomized subject who died (inf when the date is unknown or partial)."""
    records = death_records(dm, ds)
    records = records[records["USUBJID"].isin(randomized_ids(dm))]
    day = study_day(records["DATE"], records["USUBJID"].map(day_one(dm)))
    days = pd.Series(day.fillna(UNDATED_DEATH).to_numpy(dtype=float), index=records["USUBJID"].to_numpy())
    out = days.groupby(level=0).min()
    out.index.name = "USUBJID"
    return out.rename("DEATH_DAY")


def cut_days(dm: pd.DataFrame, cut_date: str) -> pd.Series:
    """Study day of the cut date for each randomized subject (how far each could have been followed)."""
    day1 = day_one(dm)
    return study_day(pd.Series(pd.Timestamp(cut_date), index=day1.index), day1).rename("CUT_DAY")


def visit_status(visit_values: pd.DataFrame, subjects: pd.Index, visits: Sequence[Visit], deaths: pd.Series,
                 cut_day: pd.Series | None = None, column: str = "CHG") -> pd.DataFrame:
    """USUBJID, VISITNUM, STATUS for every subject and visit: a value of `column` there first, else died by the
    visit's planned day, else not yet due at the cut (planned day after the subject's cut day), else no value."""
    grid = pd.MultiIndex.from_product([pd.Index(subjects).astype("str"), [float(v.num) for v in visits]],
                                      names=["USUBJID", "VISITNUM"]).to_frame(index=False)
    present = visit_values.loc[visit_values[column].notna(), ["USUBJID", "VISITNUM"]].drop_duplicates()
    has = grid.merge(present.assign(HAS=True), on=["USUBJID", "VISITNUM"], how="left")["HAS"].eq(True).to_numpy()
    planned = grid["VISITNUM"].map({float(v.num): np.nan if v.day is None else float(v.day) for v in visits})
    death = grid["USUBJID"].map(deaths).astype("float64")
    died = death.notna() & ((death <= planned) | np.isinf(death))
    due = cut_day.reindex(grid["USUBJID"]).to_numpy(dtype=float) if cut_day is not None else np.full(len(grid), np.inf)
    not_due = planned.to_numpy(dtype=float) > due
    status = np.select([has, died.to_numpy(), not_due], [WITH_CHANGE, DIED, NOT_DUE], default=NO_VALUE)
    return grid.assign(STATUS=status)


def status_counts(status: pd.DataFrame, arm_of: pd.Series | None = None) -> pd.DataFrame:
    """Subjects per visit and status (and per arm when `arm_of` is given): VISITNUM, [ARM,] STATUS, N."""
    if arm_of is None:
        counts = status.groupby(["VISITNUM", "STATUS"]).size()
        index = pd.MultiIndex.from_product([sorted(status["VISITNUM"].unique()), STATUSES],
                                           names=["VISITNUM", "STATUS"])
        return counts.reindex(index, fill_value=0).rename("N").reset_index()
    armed = with_arm(status, arm_of)
    counts = armed.groupby(["VISITNUM", "ARM", "STATUS"], observed=False).size()
    index = pd.MultiIndex.from_product([sorted(status["VISITNUM"].unique()), arm_order(arm_of), STATUSES],
                                       names=["VISITNUM", "ARM", "STATUS"])
    out = counts.reindex(index, fill_value=0).rename("N").reset_index()
    out["ARM"] = pd.Categorical(out["ARM"], categories=arm_order(arm_of))
    return out


def worst_rank_scores(visit_values: pd.DataFrame, status: pd.DataFrame, visit_num: float, deaths: pd.Series,
                      outcome: Outcome) -> pd.DataFrame:
    """USUBJID, KIND (death / survivor) and RANK (1 = worst, ties averaged) of the subjects ranked at the visit."""
    at = status[status["VISITNUM"] == float(visit_num)]
    dead = at.loc[at["STATUS"] == DIED, "USUBJID"]
    alive = at.loc[at["STATUS"] == WITH_CHANGE, "USUBJID"]
    change = visit_values[visit_values["VISITNUM"] == float(visit_num)].groupby("USUBJID")["CHG"].mean()
    direction = 1.0 if outcome.higher_is_better else -1.0  # a higher rank is always the better outcome
    death_rank = stats.rankdata(dead.map(deaths).to_numpy(dtype=float)) if len(dead) else np.array([])
    alive_rank = len(dead) + stats.rankdata(direction * alive.map(change).to_numpy(dtype=float)) if len(alive) \
        else np.array([])
    return pd.DataFrame({"USUBJID": pd.concat([dead, alive]).astype("str").to_numpy(),
                         "KIND": ["death"] * len(dead) + ["survivor"] * len(alive),
                         "RANK": np.concatenate([death_rank, alive_rank]).astype("float64")})


def _pair_test(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Mann-Whitney U of `a` vs `b`, its p-value, and P(a ranks better than b) + half the ties (U / n_a n_b)."""
    if len(a) < 2 or len(b) < 2 or np.ptp(np.concatenate([a, b])) == 0:
        return np.nan, np.nan, np.nan
    result = stats.mannwhitneyu(a, b, alternative="two-sided")
    return float(result.statistic), float(result.pvalue), float(result.statistic) / (len(a) * len(b))


def worst_rank(scores: pd.DataFrame, status: pd.DataFrame, visit_num: float, arm_of: pd.Series,
               reference: str) -> pd.DataFrame:
    """One row per arm (RANK_COLUMNS): counts, mean rank, the test against `reference`; a Kruskal-Wallis row
    (ARM = 'All arms') with three or more arms."""
    arms = arm_order(arm_of)
    ranked = with_arm(scores, arm_of)
    at = with_arm(status[status["VISITNUM"] == float(visit_num)], arm_of)
    ranks = {arm: ranked.loc[ranked["ARM"] == arm, "RANK"].to_numpy(dtype=float) for arm in arms}
    rows = []
    for arm in arms:
        mine, here = ranked[ranked["ARM"] == arm], at[at["ARM"] == arm]
        u, p, win = _pair_test(ranks[arm], ranks.get(reference, np.array([]))) if arm != reference else (np.nan,) * 3
        rows.append({"ARM": arm, "REFERENCE": reference, "N": len(here), "RANKED": len(mine),
                     "DEATHS": int((mine["KIND"] == "death").sum()),
                     "SURVIVORS": int((mine["KIND"] == "survivor").sum()),
                     "LEFT_OUT": len(here) - len(mine),
                     "MEAN_RANK": float(mine["RANK"].mean()) if len(mine) else np.nan, "WIN": win,
                     "TEST": MANN_WHITNEY if arm != reference else "", "STATISTIC": u, "P": p})
    if len(arms) >= 3:
        groups = [r for r in ranks.values() if len(r)]
        ok = len(groups) >= 2 and all(len(g) >= 2 for g in groups) and np.ptp(np.concatenate(groups)) > 0
        h, p = stats.kruskal(*groups) if ok else (np.nan, np.nan)
        rows.append({"ARM": "All arms", "REFERENCE": "", "N": len(at), "RANKED": len(ranked),
                     "DEATHS": int((ranked["KIND"] == "death").sum()),
                     "SURVIVORS": int((ranked["KIND"] == "survivor").sum()), "LEFT_OUT": len(at) - len(ranked),
                     "MEAN_RANK": np.nan, "WIN": np.nan, "TEST": KRUSKAL, "STATISTIC": float(h), "P": float(p)})
    return pd.DataFrame(rows, columns=RANK_COLUMNS)


def format_p(p: float) -> str:
    """Two significant digits, '< 0.001' below it, '' when there is no test (`analysis.pvalues`)."""
    return p_digits(p)


def population_differences(dm: pd.DataFrame, ex: pd.DataFrame, arm_of: pd.Series | None = None,
                           treated_arm_of: pd.Series | None = None) -> pd.DataFrame:
    """Subjects in the Outcomes population (randomized) and not in the safety population as Safety builds it
    (dosed, and SAFFL = Y where ADaM gives SAFFL), or in it under another arm: USUBJID, REASON, ARM (as
    randomized) and TREATED (as treated, for those treated as another arm). Without arms, no arm is filled.
    `safety_base.population_difference` decides; this is its Outcomes form."""
    # safety imports outcomes, and safety_base imports safety: import here, not above
    from dashboard.analysis.adam_flags import safety_population as flagged_population
    from dashboard.analysis.safety import safety_population
    from dashboard.analysis.safety_base import OTHER_ARM, population_difference

    dosed = safety_population(dm, ex)
    armed = arm_of is not None and treated_arm_of is not None
    arms = (arm_of, treated_arm_of) if armed else ()
    rows = population_difference(dm, flagged_population(dosed, dm), *arms, dosed=dosed["USUBJID"])
    rows = rows.rename(columns={"PLANNED": "ARM"})
    rows["TREATED"] = rows["TREATED"].where(rows["REASON"] == OTHER_ARM) if armed else None
    return rows.sort_values(["REASON", "USUBJID"], kind="stable").reset_index(drop=True)


STATUS_COLUMNS = {DIED: "DIED", NOT_DUE: "NOT_DUE", NO_VALUE: "NO_VALUE"}


def with_status(summary: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """`summary` (VISITNUM, [ARM,] ...) plus DIED, NOT_DUE and NO_VALUE: the subjects behind no point there."""
    keys = ["VISITNUM", "ARM"] if "ARM" in counts else ["VISITNUM"]
    wide = (counts[counts["STATUS"].isin(list(STATUS_COLUMNS))]
            .assign(ARM=lambda f: f["ARM"].astype("str")) if "ARM" in counts else
            counts[counts["STATUS"].isin(list(STATUS_COLUMNS))])
    wide = wide.pivot_table(index=keys, columns="STATUS", values="N", aggfunc="sum", observed=True)
    wide = wide.rename(columns=STATUS_COLUMNS).reset_index()
    out = summary.assign(ARM=summary["ARM"].astype("str")) if "ARM" in keys else summary
    out = out.merge(wide, on=keys, how="left")
    for column in STATUS_COLUMNS.values():
        out[column] = out[column].fillna(0).astype("int64") if column in out else 0
    if "ARM" in keys:
        out["ARM"] = pd.Categorical(out["ARM"], categories=summary["ARM"].cat.categories)
    return out
