"""Clinical events (intubation, death, discharge): who had one, on which study day, and the time-to-event curves.

Time runs in study days from day 1 (first dose; the randomization date when no dose was given).
Follow-up ends at the configured day (28), at the data cut, or at withdrawal / loss to follow-up,
whichever comes first. For every event other than death, a death before the event is a competing
event (STATUS 2): the curve is the Aalen-Johansen cumulative incidence (statsmodels
CumIncidenceRight). Without competing deaths it is 1 - Kaplan-Meier (statsmodels SurvfuncRight).
The log-rank test (statsmodels survdiff) compares the cause-specific hazard: competing deaths
count as censored there, and the test is named so ("cause-specific log-rank: competing events censored").
No p-value is given with fewer than `min_events` events (default 5).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from statsmodels.duration.survfunc import CumIncidenceRight, SurvfuncRight, survdiff
from statsmodels.stats.proportion import proportion_confint

from dashboard.analysis.outcomes import arm_order, day_one, randomized_ids, study_day, with_arm
from dashboard.config import EventSource

EVENT_COLUMNS = ["USUBJID", "EVENT", "DAY", "STATUS"]
CENSORED, EVENT, COMPETING = 0, 1, 2
DISCONTINUATION_TERMS = ("WITHDRAWAL BY SUBJECT", "LOST TO FOLLOW-UP")
PROPORTION_COLUMNS = ["N", "EVENTS", "PROPORTION", "LOW", "HIGH"]
CURVE_COLUMNS = ["DAY", "INCIDENCE", "AT_RISK", "EVENTS"]

# Where each source keeps the event term and its date.
_SOURCE_FIELDS = {
    "PR": (("PRDECOD", "PRTRT"), "PRSTDT"),
    "HO": (("HODECOD", "HOTERM"), "HOENDT"),
    "DS": (("DSDECOD",), "DSSTDT"),
    "AE": (("AEDECOD", "AETERM"), "AESTDT"),
}


def is_death(event: EventSource) -> bool:
    """Whether this configured event is death itself (then nothing competes with it)."""
    term = event.term.upper()
    return (event.source == "DM" and term.startswith("DTH")) or (event.source in ("DS", "AE") and term == "DEATH")


def _blank(series: pd.Series) -> pd.Series:
    return series.isna() | series.astype("str").str.strip().eq("")


def event_records(event: EventSource, source: pd.DataFrame) -> pd.DataFrame:
    """USUBJID and DATE (NaT when unknown or partial) of every record of `event` in its source domain."""
    empty = pd.DataFrame({"USUBJID": pd.Series(dtype="str"), "DATE": pd.Series(dtype="datetime64[ns]")})
    if source.empty or "USUBJID" not in source:
        return empty
    if event.source == "DM":
        term = event.term.upper()
        if term not in source:
            return empty
        occurred = ~_blank(source[term])
        if term.startswith("DTH") and "DTHFL" in source:
            occurred |= source["DTHFL"].eq("Y")
        date_column = term[:-1] if term.endswith("DTC") else term
        rows = source[occurred]
        known = date_column in rows and date_column != term
        dates = rows[date_column] if known else pd.Series(pd.NaT, index=rows.index)
    else:
        term_columns, date_column = _SOURCE_FIELDS.get(event.source, ((), ""))
        match = pd.Series(False, index=source.index)
        for column in term_columns:
            if column in source:
                match |= source[column].astype("str").str.upper().eq(event.term.upper())
        rows = source[match]
        if event.source == "HO":
            rows = rows[~_blank(rows["HOENDTC"])] if "HOENDTC" in rows else rows[rows[date_column].notna()]
        dates = rows[date_column] if date_column in rows else pd.Series(pd.NaT, index=rows.index)
    return pd.DataFrame({"USUBJID": rows["USUBJID"].astype("str"),
                         "DATE": pd.to_datetime(dates).astype("datetime64[ns]")}).reset_index(drop=True)


def death_records(dm: pd.DataFrame, ds: pd.DataFrame) -> pd.DataFrame:
    """Deaths from DM (DTHFL / DTHDTC), and from DS (DSDECOD = DEATH) for subjects DM does not date."""
    from_dm = event_records(EventSource("death", "Death", "DM", "DTHDTC"), dm)
    from_ds = event_records(EventSource("death", "Death", "DS", "DEATH"), ds)
    dated = set(from_dm.loc[from_dm["DATE"].notna(), "USUBJID"])
    return pd.concat([from_dm, from_ds[~from_ds["USUBJID"].isin(dated)]], ignore_index=True)


def _first_day(records: pd.DataFrame, day1: pd.Series, last_day: pd.Series) -> tuple[pd.Series, pd.Index]:
    """Earliest study day in [1, last_day] per subject, and subjects with only an undated record."""
    day = study_day(records["DATE"], records["USUBJID"].map(day1))
    limit = records["USUBJID"].map(last_day).astype("float64")
    known = records.assign(DAY=day)[day.notna() & (day >= 1) & (day <= limit)]
    first = known.groupby("USUBJID")["DAY"].min()
    undated = pd.Index(records.loc[day.isna(), "USUBJID"].unique()).difference(first.index)
    return first, undated


def event_times(event: EventSource, source: pd.DataFrame, dm: pd.DataFrame, ds: pd.DataFrame,
                cut_date: str, followup_days: int) -> pd.DataFrame:
    """One row per randomized subject: EVENT (had it), DAY (event, competing death or censoring), STATUS."""
    subjects = randomized_ids(dm)
    day1 = day_one(dm).reindex(subjects)
    cut_day = study_day(pd.Series(pd.Timestamp(cut_date), index=subjects), day1)
    end = cut_day.clip(upper=followup_days)
    if not ds.empty and {"DSDECOD", "DSSTDT"} <= set(ds.columns):
        stops = ds[ds["DSDECOD"].isin(DISCONTINUATION_TERMS)]
        stop_day = study_day(stops["DSSTDT"], stops["USUBJID"].map(day1)).groupby(stops["USUBJID"]).min()
        end = np.fmin(end, stop_day.reindex(subjects))
    end = end.clip(lower=0)
    limit = cut_day.clip(upper=followup_days)
    first, undated = _first_day(event_records(event, source), day1, limit)
    out = pd.DataFrame({"USUBJID": subjects.astype("str"), "EVENT": False, "DAY": end.to_numpy(dtype=float),
                        "STATUS": CENSORED}, index=subjects)
    if not is_death(event):
        deaths, _ = _first_day(death_records(dm, ds), day1, limit)
        competing = deaths.reindex(subjects).notna()
        out.loc[competing, "DAY"] = deaths.reindex(subjects)[competing].to_numpy(dtype=float)
        out.loc[competing, "STATUS"] = COMPETING
    had = first.reindex(subjects)
    hit = had.notna()
    out.loc[hit, "DAY"] = had[hit].to_numpy(dtype=float)
    out.loc[hit, "STATUS"] = EVENT
    out.loc[hit, "EVENT"] = True
    unknown = subjects.isin(undated)
    out.loc[unknown, ["EVENT", "STATUS"]] = [True, EVENT]
    out.loc[unknown | day1.isna().to_numpy(), "DAY"] = np.nan
    out["STATUS"] = out["STATUS"].astype("int64")
    return out.reset_index(drop=True)[EVENT_COLUMNS]


def _proportion(events: int, n: int) -> dict[str, float]:
    if n == 0:
        return {"N": 0, "EVENTS": 0, "PROPORTION": np.nan, "LOW": np.nan, "HIGH": np.nan}
    low, high = proportion_confint(events, n, alpha=0.05, method="wilson")
    return {"N": n, "EVENTS": events, "PROPORTION": events / n, "LOW": float(low), "HIGH": float(high)}


def event_proportion(times: pd.DataFrame) -> pd.DataFrame:
    """Pooled: subjects, subjects with the event, proportion and Wilson 95 % CI (one row)."""
    return pd.DataFrame([_proportion(int(times["EVENT"].sum()), len(times))], columns=PROPORTION_COLUMNS)


def event_proportion_by_arm(times: pd.DataFrame, arm_of: pd.Series) -> pd.DataFrame:
    """One row per arm (display order): ARM plus PROPORTION_COLUMNS."""
    armed = with_arm(times, arm_of)
    rows = []
    for arm in arm_order(arm_of):
        group = armed[armed["ARM"] == arm]
        rows.append({"ARM": arm, **_proportion(int(group["EVENT"].sum()), len(group))})
    return pd.DataFrame(rows, columns=["ARM", *PROPORTION_COLUMNS])


def incidence_curve(times: pd.DataFrame) -> pd.DataFrame:
    """Cumulative incidence at each event time, from (day 0, 0) to the last day followed (CURVE_COLUMNS)."""
    timed = times[times["DAY"].notna()]
    day = timed["DAY"].to_numpy(dtype=float)
    status = timed["STATUS"].to_numpy(dtype=int)
    start = pd.DataFrame({"DAY": [0.0], "INCIDENCE": [0.0], "AT_RISK": [len(day)], "EVENTS": [0]})
    if not (status == EVENT).any():
        last_day = float(day.max()) if len(day) else 0.0
        end = pd.DataFrame({"DAY": [last_day], "INCIDENCE": [0.0], "AT_RISK": [int((day >= last_day).sum())],
                            "EVENTS": [0]})
        return pd.concat([start, end], ignore_index=True)[CURVE_COLUMNS]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if (status == COMPETING).any():
            fit = CumIncidenceRight(day, status)
            grid, incidence = np.asarray(fit.times, dtype=float), np.asarray(fit.cinc[0], dtype=float)
        else:
            fit = SurvfuncRight(day, (status == EVENT).astype(int))
            grid, incidence = np.asarray(fit.surv_times, dtype=float), 1.0 - np.asarray(fit.surv_prob)
    ordered = np.sort(day)
    event_days = np.sort(day[status == EVENT])
    curve = pd.DataFrame({
        "DAY": grid, "INCIDENCE": incidence,
        "AT_RISK": len(day) - np.searchsorted(ordered, grid, side="left"),
        "EVENTS": np.searchsorted(event_days, grid, side="right") - np.searchsorted(event_days, grid, side="left"),
    })
    curve = curve[curve["EVENTS"] > 0]
    last_day = float(day.max())
    end = pd.DataFrame({"DAY": [last_day], "INCIDENCE": [float(curve["INCIDENCE"].iloc[-1])],
                        "AT_RISK": [int((day >= last_day).sum())], "EVENTS": [0]})
    return pd.concat([start, curve, end], ignore_index=True)[CURVE_COLUMNS]


def incidence_by_arm(times: pd.DataFrame, arm_of: pd.Series) -> pd.DataFrame:
    """ARM plus CURVE_COLUMNS, one curve per arm in display order."""
    armed = with_arm(times, arm_of)
    curves = [incidence_curve(armed[armed["ARM"] == arm]).assign(ARM=arm) for arm in arm_order(arm_of)]
    return pd.concat(curves, ignore_index=True)[["ARM", *CURVE_COLUMNS]]


MAX_RISK_COLUMNS = 11


def risk_table_days(followup_days: int, step: int | None = None) -> list[int]:
    """Days at which the numbers at risk are shown: 0, 7, 14, ... up to the end of follow-up; for a long
    follow-up (26 weeks) every 2, 3, ... weeks, so the table under the curve keeps at most 11 readable columns."""
    followup = max(followup_days, 0)
    if step is None:
        step = 7 * max(1, -(-followup // (7 * (MAX_RISK_COLUMNS - 1))))
    return list(range(0, followup + 1, step))


def at_risk(times: pd.DataFrame, days: list[int]) -> pd.DataFrame:
    """Subjects still followed and free of the event at the start of each day (DAY >= day)."""
    observed = np.sort(times["DAY"].dropna().to_numpy(dtype=float))
    counts = len(observed) - np.searchsorted(observed, np.asarray(days, dtype=float), side="left")
    return pd.DataFrame({"DAY": days, "AT_RISK": counts.astype("int64")})


def at_risk_by_arm(times: pd.DataFrame, arm_of: pd.Series, days: list[int]) -> pd.DataFrame:
    armed = with_arm(times, arm_of)
    tables = [at_risk(armed[armed["ARM"] == arm], days).assign(ARM=arm) for arm in arm_order(arm_of)]
    return pd.concat(tables, ignore_index=True)[["ARM", "DAY", "AT_RISK"]]


MIN_EVENTS_FOR_P = 5                 # [statistics] min_events_for_p: no p-value below this many events
TOO_FEW_EVENTS = "too few events"
LOGRANK_TEST = "log-rank"
CAUSE_SPECIFIC_TEST = "cause-specific log-rank: competing events censored"
LOGRANK_COLUMNS = ["CHI2", "DF", "P", "EVENTS", "TEST", "NOTE"]


def logrank_test_name(times: pd.DataFrame) -> str:
    """The test named for what it is: with competing deaths it compares cause-specific hazards, not the
    cumulative incidence that the Aalen-Johansen curve draws (Gray's test is in no maintained Python library)."""
    return CAUSE_SPECIFIC_TEST if bool((times["STATUS"] == COMPETING).any()) else LOGRANK_TEST


def logrank(times: pd.DataFrame, arm_of: pd.Series, min_events: int = MIN_EVENTS_FOR_P) -> pd.DataFrame:
    """Log-rank test across arms (statsmodels survdiff; one row, LOGRANK_COLUMNS).

    Competing events count as censored, so TEST says "cause-specific" when there are any. With fewer than
    `min_events` events in all arms together, no statistic is given: NOTE says "too few events".
    """
    armed = with_arm(times[times["DAY"].notna()], arm_of)
    events = int((armed["STATUS"] == EVENT).sum())
    groups = armed["ARM"].astype("str").to_numpy()
    result = {"CHI2": np.nan, "DF": max(len(set(groups)) - 1, 0), "P": np.nan, "EVENTS": events,
              "TEST": logrank_test_name(armed), "NOTE": ""}
    if events < max(min_events, 1):
        result["NOTE"] = f"{TOO_FEW_EVENTS} ({events} < {max(min_events, 1)})"
    elif len(set(groups)) < 2:
        result["NOTE"] = "one arm only"
    else:
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                chi2, p = survdiff(armed["DAY"].to_numpy(dtype=float),
                                   (armed["STATUS"] == EVENT).to_numpy(dtype=int), groups)
            result.update(CHI2=float(chi2), P=float(p))
        except (np.linalg.LinAlgError, ValueError, ZeroDivisionError):
            result["NOTE"] = "not computable"
    return pd.DataFrame([result], columns=LOGRANK_COLUMNS)


def event_summary(events: Sequence[EventSource], times: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Pooled: one row per configured event (NAME, LABEL, PROPORTION_COLUMNS, UNKNOWN_DAY)."""
    rows = []
    for event, frame in zip(events, times):
        row = event_proportion(frame).iloc[0].to_dict()
        unknown = int((frame["EVENT"] & frame["DAY"].isna()).sum())
        rows.append({"NAME": event.name, "LABEL": event.label, **row, "UNKNOWN_DAY": unknown})
    return pd.DataFrame(rows, columns=["NAME", "LABEL", *PROPORTION_COLUMNS, "UNKNOWN_DAY"])
