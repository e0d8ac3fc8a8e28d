"""Infusion reactions: adverse events starting within the configured window (72 h) after any infusion."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.analysis.ae import finish_counts, subject_counts
from dashboard.analysis.safety import assign_groups, group_sizes, to_day, with_columns

_DAY = pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)


def _has_time(dtc: pd.Series) -> pd.Series:
    return dtc.astype("string").str.contains("T", regex=False).fillna(False)


def infusions(ex: pd.DataFrame, subjects: pd.Series) -> pd.DataFrame:
    """Infusions of `subjects`: USUBJID, INFUSION (1, 2... by start), START (time or day), DAY, TIMED."""
    ex = with_columns(ex, ("USUBJID", "EXSTDTC", "EXSTDT"))
    ex = ex[ex["USUBJID"].isin(subjects)]
    start = pd.to_datetime(ex["EXSTDT"], errors="coerce").astype("datetime64[ns]")
    day = to_day(start).fillna(to_day(ex["EXSTDTC"].astype("string").str.slice(0, 10)))
    timed = _has_time(ex["EXSTDTC"]) & start.notna()
    out = pd.DataFrame({"USUBJID": ex["USUBJID"].astype(str), "START": start.where(timed, day), "DAY": day,
                        "TIMED": timed})
    out = out[out["DAY"].notna()].sort_values(["USUBJID", "DAY", "START"], kind="stable")
    out["INFUSION"] = out.groupby("USUBJID").cumcount() + 1
    return out.reset_index(drop=True)


def flag_infusion_reactions(events: pd.DataFrame, ex: pd.DataFrame, window_hours: int) -> pd.DataFrame:
    """`events` plus IR (bool), IR_INFUSION (number of the infusion) and IR_HOURS (hours after it, when both are timed).

    An infusion's window runs from the start of its day to its start time (end of day if untimed) plus the
    window; an event is in it when its start (the whole day if untimed) overlaps that window.
    """
    inf = infusions(ex, events["USUBJID"].drop_duplicates())
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


def _ir_summary(events: pd.DataFrame, population: pd.DataFrame, arm_of: pd.Series | None) -> pd.DataFrame:
    sizes = group_sizes(population, arm_of)
    reactions = events[events["IR"]]
    by_number = reactions.assign(CATEGORY=reactions["IR_INFUSION"].map(lambda v: f"After infusion {int(v)}"))
    rows = pd.concat([reactions.assign(CATEGORY="Any infusion"), by_number], ignore_index=True)
    counts = subject_counts(assign_groups(rows[["USUBJID", "CATEGORY"]], arm_of), ["CATEGORY"], sizes)
    numbers = sorted(int(v) for v in reactions["IR_INFUSION"].dropna().unique())
    order = ["Any infusion"] + [f"After infusion {n}" for n in numbers]
    counts = counts.reindex(order).fillna(0).rename_axis("CATEGORY").reset_index()
    return finish_counts(counts, sizes, ["CATEGORY"])


def infusion_reaction_summary(events: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Subjects and events with an infusion reaction, overall and after each infusion number, pooled."""
    return _ir_summary(events, population, None)


def infusion_reaction_summary_by_arm(events: pd.DataFrame, population: pd.DataFrame,
                                     arm_of: pd.Series) -> pd.DataFrame:
    """Subjects and events with an infusion reaction, for each arm and the total."""
    return _ir_summary(events, population, arm_of)

