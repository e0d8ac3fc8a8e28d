"""Infusion reactions: adverse events starting within the configured window after any infusion (NCT05019287: 72 h)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.analysis.ae import finish_counts, subject_counts
from dashboard.analysis.safety import (GROUP, assign_groups, date_times, group_sizes, percent, study_days, to_day,
                                      with_columns)

_DAY = pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)


def _has_time(dtc: pd.Series) -> pd.Series:
    return dtc.astype("string").str.contains("T", regex=False).fillna(False)


def dosing_plan(planned_doses: int, interval_days: int) -> pd.DataFrame:
    """The planned infusions: INFUSION (1..planned_doses) and PLANNED_DAY, study day 1 + (k - 1) x interval."""
    k = np.arange(1, max(int(planned_doses), 1) + 1)
    return pd.DataFrame({"INFUSION": k, "PLANNED_DAY": 1 + max(int(interval_days), 1) * (k - 1)})


def infusions(ex: pd.DataFrame, population: pd.DataFrame, planned_doses: int, interval_days: int) -> pd.DataFrame:
    """Infusions of the safety population: USUBJID, INFUSION, START (time or day), DAY, STUDYDAY, TIMED.

    INFUSION is the number of the planned infusion in the dosing plan (1..planned_doses), not the order received:
    the planned infusion whose day, counted from the subject's first infusion, is nearest (halfway: the later
    one), so a subject who missed infusion 2 has 1, 3, 4, 5. Numbers rise in the order received, and leave
    room for the infusions still to come: a subject given all five, one a day late (days 1, 2, 4, 5, 6), has
    1, 2, 3, 4, 5, not 1, 2, 4, 5, 5. More infusions than planned share the last number.
    STUDYDAY is the infusion's study day (day 1 = reference day, no day 0).
    """
    ex = with_columns(ex, ("USUBJID", "EXSTDTC", "EXSTDT"))
    ex = ex[ex["USUBJID"].isin(population["USUBJID"])]
    # EXSTDT holds the day only: the time of day is read from EXSTDTC
    start = date_times(ex["EXSTDTC"].astype("string"))
    day = to_day(ex["EXSTDT"]).fillna(to_day(ex["EXSTDTC"].astype("string").str.slice(0, 10)))
    timed = start.notna() & (to_day(start) == day)
    out = pd.DataFrame({"USUBJID": ex["USUBJID"].astype(str), "START": start.where(timed, day), "DAY": day,
                        "TIMED": timed})
    out = out[out["DAY"].notna()].sort_values(["USUBJID", "DAY", "START"], kind="stable")
    first = out["USUBJID"].map(population.set_index("USUBJID")["FIRSTDOSE"]).astype("datetime64[ns]")
    elapsed = (out["DAY"] - first).dt.days.to_numpy(float)
    planned = max(int(planned_doses), 1)
    nearest = np.clip(np.nan_to_num(np.floor(elapsed / max(int(interval_days), 1) + 0.5) + 1, nan=1.0), 1, planned)
    by_subject = out.groupby("USUBJID", sort=False)
    k = by_subject.cumcount().to_numpy()                              # 0-based order received
    received = by_subject["USUBJID"].transform("size").to_numpy()
    rising = pd.Series(nearest - k, index=out.index).groupby(out["USUBJID"], sort=False).cummax().to_numpy() + k
    # the highest number that leaves room for the infusions still to come (none to leave beyond the plan)
    room = np.where(received <= planned, planned - received + 1 + k, planned)
    out["INFUSION"] = np.clip(np.minimum(rising, room), 1, planned).astype(int)
    out["STUDYDAY"] = study_days(out["DAY"], out["USUBJID"], population)
    return out[["USUBJID", "INFUSION", "START", "DAY", "STUDYDAY", "TIMED"]].reset_index(drop=True)


def flag_infusion_reactions(events: pd.DataFrame, doses: pd.DataFrame, window_hours: int) -> pd.DataFrame:
    """`events` plus IR (bool), IR_INFUSION (planned number of the infusion, see `infusions`) and IR_HOURS (hours
    after it, when both are timed); `doses` is the frame of `infusions`.

    An infusion's window runs from the start of its day to its start time (end of day if untimed) plus the
    window; an event is in it when its start (the whole day if untimed) overlaps that window.
    """
    inf = doses[doses["USUBJID"].isin(events["USUBJID"])]
    window = pd.Timedelta(hours=window_hours)
    inf = inf.assign(WIN_START=inf["DAY"], WIN_END=inf["START"].where(inf["TIMED"], inf["DAY"] + _DAY) + window)
    timed = _has_time(events["AESTDTC"]) & events["AESTTIME"].notna()
    earliest = events["AESTTIME"].where(timed, events["ASTDT"])
    latest = events["AESTTIME"].where(timed, events["ASTDT"] + _DAY)
    left = pd.DataFrame({"_row": np.arange(len(events)), "USUBJID": events["USUBJID"].to_numpy(),
                         "KEY": latest.to_numpy(), "EARLIEST": earliest.to_numpy(), "TIMED": timed.to_numpy()})
    left = left[left["KEY"].notna()].sort_values("KEY", kind="stable")
    right = inf.rename(columns={"WIN_START": "KEY", "TIMED": "INF_TIMED"})[
        ["USUBJID", "KEY", "WIN_END", "INFUSION", "START", "INF_TIMED"]].sort_values("KEY", kind="stable")
    matched = pd.merge_asof(left, right, on="KEY", by="USUBJID", direction="backward")
    hit = matched["INFUSION"].notna() & (matched["EARLIEST"] <= matched["WIN_END"])
    hours = (matched["EARLIEST"] - matched["START"]).dt.total_seconds() / 3600.0
    hours = hours.where(matched["TIMED"] & matched["INF_TIMED"].fillna(False).astype(bool) & hit)
    ir = np.zeros(len(events), dtype=bool)
    number = np.full(len(events), np.nan)
    after = np.full(len(events), np.nan)
    rows = matched["_row"].to_numpy()
    ir[rows] = hit.to_numpy()
    number[rows] = matched["INFUSION"].where(hit).to_numpy(dtype=float)
    after[rows] = hours.to_numpy(dtype=float)
    return events.assign(IR=ir & events["TEAE"].to_numpy(bool), IR_INFUSION=number, IR_HOURS=after)


ANY_INFUSION = "Any infusion"


def infusion_label(number: int, planned_day: int) -> str:
    return f"After infusion {number} (planned day {planned_day})"


def _ir_summary(events: pd.DataFrame, population: pd.DataFrame, doses: pd.DataFrame, plan: pd.DataFrame,
                arm_of: pd.Series | None) -> pd.DataFrame:
    """Rows: any infusion (N = the safety population of the group), then each planned infusion (N = the subjects
    of the group who received it); columns n<i>, pct<i>, ev<i>, N<i> by group position."""
    sizes = group_sizes(population, arm_of)
    labels = {int(k): infusion_label(int(k), int(d)) for k, d in zip(plan["INFUSION"], plan["PLANNED_DAY"])}
    reactions = events[events["IR"]]
    by_number = reactions.assign(CATEGORY=reactions["IR_INFUSION"].map(lambda v: labels.get(int(v), "")))
    rows = pd.concat([reactions.assign(CATEGORY=ANY_INFUSION), by_number], ignore_index=True)
    order = [ANY_INFUSION, *labels.values()]
    counts = subject_counts(assign_groups(rows[["USUBJID", "CATEGORY"]], arm_of), ["CATEGORY"], sizes)
    counts = counts.reindex(order).fillna(0).rename_axis("CATEGORY").reset_index()
    counts = finish_counts(counts, sizes, ["CATEGORY"])
    received = assign_groups(doses[["USUBJID", "INFUSION"]].drop_duplicates(), arm_of)
    received = received.groupby(["INFUSION", GROUP])["USUBJID"].nunique()
    for i, group in enumerate(sizes.index):
        per_row = [int(sizes[group])] + [int(received.get((k, group), 0)) for k in labels]
        counts[f"N{i}"] = per_row
        counts[f"pct{i}"] = percent(counts[f"n{i}"], counts[f"N{i}"])
    return counts


def infusion_reaction_summary(events: pd.DataFrame, population: pd.DataFrame, doses: pd.DataFrame,
                              plan: pd.DataFrame) -> pd.DataFrame:
    """Subjects and events with an infusion reaction, after any infusion and after each planned infusion, pooled."""
    return _ir_summary(events, population, doses, plan, None)


def infusion_reaction_summary_by_arm(events: pd.DataFrame, population: pd.DataFrame, doses: pd.DataFrame,
                                     plan: pd.DataFrame, arm_of: pd.Series) -> pd.DataFrame:
    """Subjects and events with an infusion reaction, for each arm and the total."""
    return _ir_summary(events, population, doses, plan, arm_of)
