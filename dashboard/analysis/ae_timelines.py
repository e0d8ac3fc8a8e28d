"""Adverse-event timelines: swimmer-plot lanes and the one-subject patient profile, on the study-day axis.

Study days as on the Outcomes page: day 1 is the day of the first infusion (DM.RFSTDTC), the day before is -1,
there is no day 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.analysis.ae_listings import emergence_flags
from dashboard.analysis.arms import arm_order
from dashboard.analysis.safety import study_days, with_columns

VITAL_TESTS = ("OXYSAT", "RESP")


def _days(dates: pd.Series, subjects: pd.Series, population: pd.DataFrame) -> pd.Series:
    """Study days of the (day-truncated) dates, each of the subject on the same row."""
    return study_days(pd.to_datetime(dates, errors="coerce").dt.normalize(), subjects, population)


def swimmer_subjects(events: pd.DataFrame, max_lanes: int, serious_only: bool = False) -> tuple[list[str], int]:
    """Subjects with a treatment-emergent event (or a serious one), first `max_lanes` by USUBJID, and how many there are."""
    chosen = events[events["TEAE"] & (events["SERIOUS"] if serious_only else True)]
    subjects = sorted(chosen["USUBJID"].astype(str).unique())
    return subjects[:max_lanes], len(subjects)


def swimmer_subjects_by_arm(events: pd.DataFrame, max_lanes: int, arm_of: pd.Series,
                            serious_only: bool = False) -> tuple[list[str], int]:
    """Subjects with events, arm by arm in display order, the first lanes of each arm by USUBJID (an equal share each)."""
    subjects, total = swimmer_subjects(events, len(events) + 1, serious_only)
    arms = pd.Series(subjects, dtype=object).map(arm_of.astype(object))
    labels = arm_order(arm_of)
    share = max(max_lanes // max(len(labels), 1), 1)
    chosen = [s for label in labels for s in [x for x, a in zip(subjects, arms) if a == label][:share]]
    return chosen, total


def swimmer_data(subjects: list[str], events: pd.DataFrame, population: pd.DataFrame, doses: pd.DataFrame,
                 clinical: pd.DataFrame, obs_end: pd.Series) -> dict[str, pd.DataFrame]:
    """Frames for the swimmer plot of `subjects` (lane order kept): lanes, bars, doses, markers."""
    order = pd.Series(np.arange(len(subjects)), index=subjects)
    ids = pd.Series(subjects, dtype=object)
    lane_end = _days(pd.Series(obs_end.reindex(subjects).to_numpy(), index=ids.index), ids, population)
    lanes = pd.DataFrame({"USUBJID": subjects, "END": lane_end.to_numpy()})
    ev = events[events["TEAE"] & events["USUBJID"].isin(subjects)]
    end = ev["AENDY"].where(ev["AENDY"].notna(), ev["USUBJID"].map(pd.Series(lane_end.to_numpy(), index=subjects)))
    bars = pd.DataFrame({"USUBJID": ev["USUBJID"], "START": ev["ADY"], "END": np.maximum(end, ev["ADY"]),
                         "ONGOING": ev["AENDY"].isna(), "AESEV": ev["AESEV"], "AEDECOD": ev["AEDECOD"],
                         "SERIOUS": ev["SERIOUS"]})
    dose = doses[doses["USUBJID"].isin(subjects)]
    dose_days = pd.DataFrame({"USUBJID": dose["USUBJID"], "DAY": _days(dose["DAY"], dose["USUBJID"], population),
                              "INFUSION": dose["INFUSION"]})
    sae = ev[ev["SERIOUS"]]
    marks = [pd.DataFrame({"USUBJID": sae["USUBJID"], "DAY": sae["ADY"], "EVENT": "serious",
                           "LABEL": "Serious adverse event: " + sae["AEDECOD"].astype(str)})]
    cl = clinical[clinical["USUBJID"].isin(subjects)]
    marks.append(pd.DataFrame({"USUBJID": cl["USUBJID"], "DAY": _days(cl["DATE"], cl["USUBJID"], population),
                               "EVENT": cl["EVENT"], "LABEL": cl["LABEL"]}))
    markers = pd.concat(marks, ignore_index=True)

    def ordered(frame: pd.DataFrame, *keys: str) -> pd.DataFrame:
        return frame.assign(_o=frame["USUBJID"].map(order)).sort_values(["_o", *keys], kind="stable") \
            .drop(columns="_o").reset_index(drop=True)

    return {"lanes": lanes, "bars": ordered(bars, "START"), "doses": ordered(dose_days, "DAY"),
            "markers": ordered(markers, "DAY", "EVENT")}


def subject_profile(usubjid: str, events: pd.DataFrame, population: pd.DataFrame, doses: pd.DataFrame,
                    clinical: pd.DataFrame, obs_end: pd.Series, key_labs: dict[str, pd.DataFrame],
                    vs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One subject on one time axis: dosing, adverse events, markers, key labs (x ULN) and vitals."""
    data = swimmer_data([usubjid], events.assign(TEAE=True), population, doses, clinical, obs_end)
    lab_rows = []
    for code, rows in key_labs.items():
        mine = rows[rows["USUBJID"] == usubjid]
        unit = mine["LBSTRESU"] if "LBSTRESU" in mine else pd.Series(None, index=mine.index, dtype=object)
        lab_rows.append(pd.DataFrame({"TEST": code, "DAY": _days(mine["LBDT"], mine["USUBJID"], population),
                                      "VALUE": mine["LBSTRESN"], "UNIT": unit.astype("string").fillna(""),
                                      "ULN": mine["LBSTRESN"] / mine["LBSTNRHI"].where(mine["LBSTNRHI"] > 0)}))
    labs = pd.concat(lab_rows, ignore_index=True) if lab_rows else \
        pd.DataFrame(columns=["TEST", "DAY", "VALUE", "UNIT", "ULN"])
    vs = with_columns(vs, ("USUBJID", "VSTESTCD", "VSSTRESN", "VSSTRESU", "VSDT"))
    mine = vs[(vs["USUBJID"] == usubjid) & vs["VSTESTCD"].isin(VITAL_TESTS)]
    vitals = pd.DataFrame({"TEST": mine["VSTESTCD"], "DAY": _days(mine["VSDT"], mine["USUBJID"], population),
                           "VALUE": pd.to_numeric(mine["VSSTRESN"], errors="coerce"),
                           "UNIT": mine["VSSTRESU"].astype("string").fillna("")})
    sub_events = events[events["USUBJID"] == usubjid]
    listing = sub_events[["AESEQ", "AEDECOD", "AEBODSYS", "AESEV", "AESTDTC", "AEENDTC", "ADY", "AENDY"]].assign(
        SERIOUS=np.where(sub_events["SERIOUS"], "Y", "N"), TEAE=emergence_flags(sub_events))
    return {**data, "labs": labs.dropna(subset=["DAY"]).sort_values(["TEST", "DAY"], kind="stable"),
            "vitals": vitals.dropna(subset=["DAY", "VALUE"]).sort_values(["TEST", "DAY"], kind="stable"),
            "events": listing.reset_index(drop=True)}
