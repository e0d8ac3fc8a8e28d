"""Time to first serious adverse event: Kaplan-Meier curves (statsmodels) and the log-rank test."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight, survdiff

from dashboard.analysis.safety import GROUP, TOTAL, arm_order, study_days

Z95 = float(stats.norm.ppf(0.975))


def time_to_first_serious(events: pd.DataFrame, population: pd.DataFrame, obs_end: pd.Series) -> pd.DataFrame:
    """Per safety subject: TIME (study day of the first serious TEAE, or of the end of observation) and EVENT.

    Time is in study days, as on the Outcomes page: an event on the day of the first infusion is at day 1, and
    every curve starts from 100 % at day 0.
    """
    serious = events[events["SERIOUS"] & events["TEAE"]]
    first = serious.groupby("USUBJID")["ADY"].min()
    ids = population["USUBJID"]
    censor = study_days(pd.Series(obs_end.reindex(ids).to_numpy(), index=ids.index), ids, population).to_numpy(float)
    event_day = first.reindex(ids).to_numpy(dtype=float)
    # an event after the subject's end of observation (withdrawal, end of follow-up, cut) is not counted
    has_event = ~np.isnan(event_day) & ~(event_day > censor)
    time = np.where(has_event, event_day, censor)
    return pd.DataFrame({"USUBJID": ids.to_numpy(), "TIME": np.clip(np.nan_to_num(time, nan=0.0), 0, None),
                         "EVENT": has_event.astype(int)})


def km_estimate(time: Sequence[float], event: Sequence[int]) -> pd.DataFrame:
    """Kaplan-Meier steps from time 0: TIME, SURV, LO, HI (95 % log-log), AT_RISK, EVENTS."""
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=int)
    start = pd.DataFrame({"TIME": [0.0], "SURV": [1.0], "LO": [1.0], "HI": [1.0], "AT_RISK": [len(time)],
                          "EVENTS": [0]})
    if len(time) == 0 or event.sum() == 0:
        return start
    sf = SurvfuncRight(time, event)
    surv = np.asarray(sf.surv_prob, dtype=float)
    se = np.asarray(sf.surv_prob_se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_log = np.log(-np.log(surv))
        half = Z95 * se / (surv * np.abs(np.log(surv)))
        lo = np.exp(-np.exp(log_log + half))
        hi = np.exp(-np.exp(log_log - half))
    lo = np.where(surv >= 1.0, 1.0, np.where(surv <= 0.0, 0.0, lo))
    hi = np.where(surv >= 1.0, 1.0, np.where(surv <= 0.0, 0.0, hi))
    steps = pd.DataFrame({"TIME": sf.surv_times, "SURV": surv, "LO": lo, "HI": hi, "AT_RISK": sf.n_risk,
                          "EVENTS": sf.n_events})
    steps = steps[(steps["TIME"] > 0) | (steps["EVENTS"] > 0)]
    # every curve starts at 100 % at time 0 (an event at time 0 is a drop at 0, not a lower start)
    # and runs on to the last time anyone was followed
    last = steps.iloc[-1]
    end = pd.DataFrame({"TIME": [float(time.max())], "SURV": [last["SURV"]], "LO": [last["LO"]],
                        "HI": [last["HI"]], "AT_RISK": [int((time >= time.max()).sum())], "EVENTS": [0]})
    parts = [start, steps] + ([end] if time.max() > last["TIME"] else [])
    return pd.concat(parts, ignore_index=True).astype({"AT_RISK": int, "EVENTS": int})


def km_first_serious(tte: pd.DataFrame) -> pd.DataFrame:
    """Pooled Kaplan-Meier curve of time to first serious event (GROUP = all subjects)."""
    return km_estimate(tte["TIME"], tte["EVENT"]).assign(**{GROUP: TOTAL})


def km_first_serious_by_arm(tte: pd.DataFrame, arm_of: pd.Series) -> pd.DataFrame:
    """One Kaplan-Meier curve per arm, in display order."""
    arms = tte["USUBJID"].map(arm_of.astype(object))
    curves = [km_estimate(tte.loc[arms == label, "TIME"], tte.loc[arms == label, "EVENT"]).assign(**{GROUP: label})
              for label in arm_order(arm_of)]
    return pd.concat(curves, ignore_index=True)


def logrank_by_arm(tte: pd.DataFrame, arm_of: pd.Series, min_events: int = 5) -> dict[str, Any] | None:
    """Log-rank test across arms (statsmodels `survdiff`): chi2, df, p and a note; None with one arm. Fewer than
    `min_events` events in all arms together: no test, the note says 'too few events (n < min)'; no event at all:
    None."""
    arms = tte["USUBJID"].map(arm_of.astype(object))
    keep = arms.notna().to_numpy()
    groups = arms[keep].to_numpy()
    events = int(tte.loc[keep, "EVENT"].sum())
    if len(set(groups)) < 2 or events == 0:
        return None
    if events < max(int(min_events), 1):
        return {"chi2": float("nan"), "df": float(len(set(groups)) - 1), "p": float("nan"),
                "note": f"too few events ({events} < {max(int(min_events), 1)})"}
    chi2, p = survdiff(tte.loc[keep, "TIME"].to_numpy(float), tte.loc[keep, "EVENT"].to_numpy(int), groups)
    return {"chi2": float(chi2), "df": float(len(set(groups)) - 1), "p": float(p), "note": ""}


def at_risk(tte: pd.DataFrame, days: Sequence[int], groups: pd.Series | None = None) -> pd.DataFrame:
    """Subjects still at risk (time >= day) at each day, per GROUP when `groups` (USUBJID-aligned labels) is given."""
    labels = groups.to_numpy() if groups is not None else np.full(len(tte), TOTAL, dtype=object)
    rows = []
    for label in pd.unique(labels):
        times = tte["TIME"].to_numpy(float)[labels == label]
        rows.extend({GROUP: label, "DAY": int(d), "AT_RISK": int((times >= d).sum())} for d in days)
    return pd.DataFrame(rows, columns=[GROUP, "DAY", "AT_RISK"])


def at_risk_pooled(tte: pd.DataFrame, days: Sequence[int]) -> pd.DataFrame:
    """Numbers at risk at `days`, pooled."""
    return at_risk(tte, days)


def at_risk_by_arm(tte: pd.DataFrame, days: Sequence[int], arm_of: pd.Series) -> pd.DataFrame:
    """Numbers at risk at `days` for each arm (display order)."""
    arms = tte["USUBJID"].map(arm_of.astype(object))
    table = at_risk(tte[arms.notna().to_numpy()], days, arms[arms.notna()])
    order = {label: i for i, label in enumerate(arm_order(arm_of))}
    return table.sort_values([GROUP, "DAY"], key=lambda s: s.map(order) if s.name == GROUP else s,
                             kind="stable").reset_index(drop=True)
