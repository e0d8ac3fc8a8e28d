"""Clinical events (intubation, death, discharge): who had one, on which study day, and their proportions; the
curves and the log-rank test come from the survival toolkit (`dashboard.analysis.survival`).

Time runs in study days from day 1 (first dose; the randomization date when no dose was given).
Follow-up ends at the configured day (28), at the data cut, or at withdrawal / loss to follow-up,
whichever comes first. For every event other than death, a death before the event is a competing
event (STATUS 2): the curve is then the Aalen-Johansen cumulative incidence, and the log-rank test
compares the cause-specific hazard (competing deaths censored; named so). No p-value with fewer than
`min_events` events (default 5).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from dashboard.analysis import survival
from dashboard.analysis.outcomes import arm_order, day_one, randomized_ids, study_day, with_arm
from dashboard.analysis.survival import CENSORED, COMPETING, EVENT, MIN_EVENTS_FOR_P, times_frame  # noqa: F401
from dashboard.config import EventSource

EVENT_COLUMNS = ["USUBJID", "EVENT", "DAY", "STATUS"]
DISCONTINUATION_TERMS = ("WITHDRAWAL BY SUBJECT", "LOST TO FOLLOW-UP")
PROPORTION_COLUMNS = ["N", "EVENTS", "PROPORTION", "LOW", "HIGH"]

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


def survival_times(times: pd.DataFrame) -> pd.DataFrame:
    """`event_times` as the survival toolkit takes them (USUBJID, TIME = DAY, STATUS; an undated event keeps TIME
    NaN: counted in the table, not drawn)."""
    return times_frame(times["USUBJID"], times["DAY"], times["STATUS"])


def logrank(times: pd.DataFrame, arm_of: pd.Series, min_events: int = MIN_EVENTS_FOR_P) -> pd.DataFrame:
    """The survival toolkit's log-rank test across arms for `event_times` (subjects without an arm left out)."""
    return survival.logrank(survival_times(times), times["USUBJID"].map(arm_of.astype(object)), min_events)


def event_summary(events: Sequence[EventSource], times: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Pooled: one row per configured event (NAME, LABEL, PROPORTION_COLUMNS, UNKNOWN_DAY)."""
    rows = []
    for event, frame in zip(events, times):
        row = event_proportion(frame).iloc[0].to_dict()
        unknown = int((frame["EVENT"] & frame["DAY"].isna()).sum())
        rows.append({"NAME": event.name, "LABEL": event.label, **row, "UNKNOWN_DAY": unknown})
    return pd.DataFrame(rows, columns=["NAME", "LABEL", *PROPORTION_COLUMNS, "UNKNOWN_DAY"])


def adtte_event_descriptions(adtte: pd.DataFrame, paramcd: str) -> pd.DataFrame:
    """USUBJID and EVNTDESC of the events (CNSR = 0) of one ADTTE parameter ("" where EVNTDESC is blank)."""
    part = adtte[adtte["PARAMCD"].astype("str") == paramcd]
    hit = pd.to_numeric(part["CNSR"], errors="coerce").eq(0).to_numpy()
    described = part["EVNTDESC"].astype("str").fillna("").str.strip() if "EVNTDESC" in part else \
        pd.Series("", index=part.index, dtype="str")
    return pd.DataFrame({"USUBJID": part["USUBJID"].astype("str").to_numpy()[hit],
                         "EVNTDESC": described.to_numpy()[hit]})


def description_text(described: pd.DataFrame) -> str:
    """"Death 2, Disease Progression 1": events by their description, most frequent first ("–" when none)."""
    counts = described["EVNTDESC"].replace("", "not described").value_counts()
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{name} {int(n)}" for name, n in ordered) or "–"


def descriptions_pooled(described: pd.DataFrame, label: str) -> dict[str, str]:
    """{label: description_text} over every subject."""
    return {label: description_text(described)}


def descriptions_by_arm(described: pd.DataFrame, label: str, *, arm_of: pd.Series) -> dict[str, str]:
    """{arm: description_text} per arm in display order (subjects without an arm left out); `label` unused."""
    arms = described["USUBJID"].map(arm_of.astype(object))
    return {arm: description_text(described[(arms == arm).to_numpy()]) for arm in arm_order(arm_of)}
