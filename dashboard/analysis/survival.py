"""The one survival toolkit of the app: time-to-event curves, numbers at risk, medians and the log-rank test.

Every time-to-event display (Safety: time to the first serious adverse event; Outcomes: the configured clinical
events and the ADTTE parameters of an ADaM cut) goes through `pooled(times, days)` or
`by_arm(times, days, arm_of=...)`, which have one signature (so `data.split(pooled, by_arm, ...)` picks one) and
return one result type, `Survival`.

Input: a times frame (`times_frame`): USUBJID, TIME (study days; NaN for an event of unknown day, which the curve
cannot place and the caller counts), STATUS (CENSORED 0, EVENT 1, COMPETING 2).
Curves: Kaplan-Meier (statsmodels SurvfuncRight) with a 95 % log-log band; where a competing event occurs, the
Aalen-Johansen cumulative incidence (statsmodels CumIncidenceRight), whose complement is drawn as "free of the
event". The log-rank test (statsmodels survdiff) counts competing events as censored and is then named
"cause-specific". No p-value with fewer than `min_events` events. lifelines is not a dependency of this
project; statsmodels does all of this and is checked against textbook values in the tests.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import CumIncidenceRight, SurvfuncRight, survdiff

from dashboard.analysis.arms import arm_order

CENSORED, EVENT, COMPETING = 0, 1, 2
POOLED = "All subjects"
TIMES_COLUMNS = ["USUBJID", "TIME", "STATUS"]
CURVE_COLUMNS = ["GROUP", "TIME", "SURV", "LO", "HI", "INCIDENCE", "AT_RISK", "EVENTS"]
RISK_COLUMNS = ["GROUP", "DAY", "AT_RISK"]
MEDIAN_COLUMNS = ["GROUP", "N", "EVENTS", "MEDIAN"]
LOGRANK_COLUMNS = ["CHI2", "DF", "P", "EVENTS", "TEST", "NOTE"]
MIN_EVENTS_FOR_P = 5                 # [statistics] min_events_for_p: no p-value below this many events
TOO_FEW_EVENTS = "too few events"
LOGRANK_TEST = "log-rank"
CAUSE_SPECIFIC_TEST = "cause-specific log-rank: competing events censored"
MAX_RISK_COLUMNS = 11
Z95 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class Survival:
    """Curves, numbers at risk and medians per group (display order), and the test across arms (None pooled)."""

    groups: tuple[str, ...]
    curves: pd.DataFrame          # CURVE_COLUMNS
    at_risk: pd.DataFrame         # RISK_COLUMNS
    medians: pd.DataFrame         # MEDIAN_COLUMNS
    test: pd.DataFrame | None     # LOGRANK_COLUMNS, one row; None for the pooled form
    competing: bool               # a competing event occurred (the curve is then Aalen-Johansen)
    unknown_day: int              # subjects with an event of unknown day: counted by the caller, not drawn

    @property
    def by_arm(self) -> bool:
        return self.test is not None


def times_frame(subjects: Sequence[str] | pd.Series, time: Sequence[float] | pd.Series,
                status: Sequence[int] | pd.Series) -> pd.DataFrame:
    """The toolkit's input: USUBJID, TIME (float, NaN = unknown day), STATUS (int: 0 censored, 1 event, 2 competing)."""
    return pd.DataFrame({"USUBJID": pd.Series(np.asarray(subjects, dtype=object)).astype("str"),
                         "TIME": np.asarray(time, dtype=float), "STATUS": np.asarray(status, dtype="int64")})


def _estimate(time: np.ndarray, status: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Event times and the estimate there: (times, survival, low, high); the band is NaN for Aalen-Johansen."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if (status == COMPETING).any():
            fit = CumIncidenceRight(time, status)
            grid, surv = np.asarray(fit.times, dtype=float), 1.0 - np.asarray(fit.cinc[0], dtype=float)
            return grid, surv, np.full(len(grid), np.nan), np.full(len(grid), np.nan)
        fit = SurvfuncRight(time, (status == EVENT).astype(int))
        surv = np.asarray(fit.surv_prob, dtype=float)
        se = np.asarray(fit.surv_prob_se, dtype=float)
        half = Z95 * se / (surv * np.abs(np.log(surv)))
        lo = np.exp(-np.exp(np.log(-np.log(surv)) + half))
        hi = np.exp(-np.exp(np.log(-np.log(surv)) - half))
    lo = np.where(surv >= 1.0, 1.0, np.where(surv <= 0.0, 0.0, lo))
    hi = np.where(surv >= 1.0, 1.0, np.where(surv <= 0.0, 0.0, hi))
    return np.asarray(fit.surv_times, dtype=float), surv, lo, hi


def curve(times: pd.DataFrame, group: str = POOLED) -> pd.DataFrame:
    """One group's curve (CURVE_COLUMNS): 100 % free at time 0, a step at each event time, on to the last time
    anyone was followed (an event at time 0 is a drop at 0, not a lower start)."""
    timed = times[times["TIME"].notna()]
    time, status = timed["TIME"].to_numpy(float), timed["STATUS"].to_numpy(int)
    start = {"TIME": 0.0, "SURV": 1.0, "LO": 1.0, "HI": 1.0, "AT_RISK": len(time), "EVENTS": 0}
    rows = [start]
    if (status == EVENT).any():
        grid, surv, lo, hi = _estimate(time, status)
        ordered, event_days = np.sort(time), np.sort(time[status == EVENT])
        for t, s, low, high in zip(grid, surv, lo, hi):
            events = int(np.searchsorted(event_days, t, "right") - np.searchsorted(event_days, t, "left"))
            if events:
                rows.append({"TIME": float(t), "SURV": float(s), "LO": float(low), "HI": float(high),
                             "AT_RISK": int(len(time) - np.searchsorted(ordered, t, "left")), "EVENTS": events})
    last = float(time.max()) if len(time) else 0.0
    if last > rows[-1]["TIME"] or len(rows) == 1:
        rows.append({**rows[-1], "TIME": last, "AT_RISK": int((time >= last).sum()), "EVENTS": 0})
    frame = pd.DataFrame(rows).assign(GROUP=group)
    frame["INCIDENCE"] = 1.0 - frame["SURV"]
    return frame.astype({"AT_RISK": "int64", "EVENTS": "int64"})[CURVE_COLUMNS]


MEDIAN_TOLERANCE = 1.5e-8      # R's sqrt(.Machine$double.eps): "exactly one half" despite rounding


def median_time(steps: pd.DataFrame) -> float:
    """The median time to event: where a horizontal line at one half meets the curve (NaN when it never falls that
    far). Where the curve is flat at exactly one half, the midpoint of that flat (up to the next drop, or to the last
    follow-up time when it stays flat), as R's survfit and SAS LIFETEST report it: the usual median of even counts."""
    surv, time = steps["SURV"].to_numpy(float), steps["TIME"].to_numpy(float)
    below = np.flatnonzero(surv <= 0.5 + MEDIAN_TOLERANCE)
    if not len(below):
        return float("nan")
    first = below[0]
    if abs(surv[first] - 0.5) > MEDIAN_TOLERANCE:
        return float(time[first])
    later = np.flatnonzero((time > time[first]) & (surv < 0.5 - MEDIAN_TOLERANCE))
    end = time[later[0]] if len(later) else time.max()
    return float((time[first] + end) / 2)


def risk_table_days(followup_days: int, step: int | None = None) -> list[int]:
    """Days at which the numbers at risk are shown: 0, 7, 14, ... up to the end of follow-up; for a long
    follow-up every 2, 3, ... weeks, so the table under the curve keeps at most 11 readable columns."""
    followup = max(int(followup_days), 0)
    if step is None:
        step = 7 * max(1, -(-followup // (7 * (MAX_RISK_COLUMNS - 1))))
    return list(range(0, followup + 1, step))


def at_risk(times: pd.DataFrame, days: Sequence[int], group: str = POOLED) -> pd.DataFrame:
    """Subjects still followed and free of the event at the start of each day (TIME >= day), RISK_COLUMNS."""
    observed = np.sort(times["TIME"].dropna().to_numpy(dtype=float))
    counts = len(observed) - np.searchsorted(observed, np.asarray(list(days), dtype=float), side="left")
    return pd.DataFrame({"GROUP": group, "DAY": [int(d) for d in days], "AT_RISK": counts.astype("int64")},
                        columns=RISK_COLUMNS)


def logrank_test_name(times: pd.DataFrame) -> str:
    """The test named for what it is: with competing events it compares cause-specific hazards, not the
    cumulative incidence the Aalen-Johansen curve draws (Gray's test is in no maintained Python library)."""
    return CAUSE_SPECIFIC_TEST if bool((times["STATUS"] == COMPETING).any()) else LOGRANK_TEST


def logrank(times: pd.DataFrame, groups: pd.Series, min_events: int = MIN_EVENTS_FOR_P) -> pd.DataFrame:
    """Log-rank test across groups (`groups` aligned with `times`; one row, LOGRANK_COLUMNS); NOTE says why there
    is no p-value (too few events, one group, not computable)."""
    keep = (times["TIME"].notna() & groups.notna()).to_numpy()
    timed, labels = times[keep], groups[keep].astype("str").to_numpy()
    events = int((timed["STATUS"] == EVENT).sum())
    floor = max(int(min_events), 1)
    result = {"CHI2": np.nan, "DF": max(len(set(labels)) - 1, 0), "P": np.nan, "EVENTS": events,
              "TEST": logrank_test_name(timed), "NOTE": ""}
    if events < floor:
        result["NOTE"] = f"{TOO_FEW_EVENTS} ({events} < {floor})"
    elif len(set(labels)) < 2:
        result["NOTE"] = "one arm only"
    else:
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                chi2, p = survdiff(timed["TIME"].to_numpy(float), (timed["STATUS"] == EVENT).to_numpy(int), labels)
            result.update(CHI2=float(chi2), P=float(p))
        except (np.linalg.LinAlgError, ValueError, ZeroDivisionError):
            result["NOTE"] = "not computable"
    return pd.DataFrame([result], columns=LOGRANK_COLUMNS)


def _median_row(times: pd.DataFrame, steps: pd.DataFrame, group: str) -> dict:
    timed = times[times["TIME"].notna()]
    return {"GROUP": group, "N": len(timed), "EVENTS": int((timed["STATUS"] == EVENT).sum()),
            "MEDIAN": median_time(steps)}


def _result(parts: list[tuple[str, pd.DataFrame]], days: Sequence[int], test: pd.DataFrame | None) -> Survival:
    curves = [curve(part, group) for group, part in parts]
    whole = pd.concat([part for _, part in parts], ignore_index=True) if parts else times_frame([], [], [])
    return Survival(
        groups=tuple(group for group, _ in parts),
        curves=pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=CURVE_COLUMNS),
        at_risk=pd.concat([at_risk(part, days, group) for group, part in parts], ignore_index=True),
        medians=pd.DataFrame([_median_row(part, steps, group) for (group, part), steps in zip(parts, curves)],
                             columns=MEDIAN_COLUMNS),
        test=test, competing=bool((whole["STATUS"] == COMPETING).any()),
        unknown_day=int((whole["TIME"].isna() & (whole["STATUS"] == EVENT)).sum()))


def pooled(times: pd.DataFrame, days: Sequence[int], *, label: str = POOLED,
           min_events: int = MIN_EVENTS_FOR_P) -> Survival:
    """Every subject in one group (`label`); no test. `min_events` is taken for the by-arm form's signature."""
    return _result([(label, times)], days, None)


def by_arm(times: pd.DataFrame, days: Sequence[int], *, arm_of: pd.Series, label: str = POOLED,
           min_events: int = MIN_EVENTS_FOR_P) -> Survival:
    """One group per arm in display order (subjects without an arm left out), and the log-rank test across arms.
    `label` is taken for the pooled form's signature."""
    arms = times["USUBJID"].map(arm_of.astype(object))
    parts = [(arm, times[(arms == arm).to_numpy()]) for arm in arm_order(arm_of)]
    return _result(parts, days, logrank(times, arms, min_events))
