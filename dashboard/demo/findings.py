"""Full-trajectory findings: LB, VS and the custom CT domain, at scheduled and unscheduled visits.

Values follow a per-subject baseline and a recovery curve whose strength is the subject's `benefit`
(stronger on the active arm, negative for subjects who deteriorate and die). No value is dated on or
after a subject's death or withdrawal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.demo.frames import fmt_dates, fmt_numbers, round_rows, sdtm_frame, seq_within
from dashboard.demo.timeline import Cohort, pick, study_date

UNSCHEDULED_SHARE = 0.12          # randomized subjects with one unscheduled visit (without daily labs)
MISSING_LAB_RATE = 0.02
MISSING_VS_RATE = 0.01
RECOVERY_RATE = 0.12          # per day


@dataclass(frozen=True)
class LabTest:
    testcd: str
    test: str
    cat: str
    unit: str            # standard unit
    lo: float            # standard normal range
    hi: float
    median: float        # baseline median, standard unit
    sd: float            # between-subject log SD
    effect: float        # log change at full recovery (benefit 1)
    decimals: int        # of the original result
    orig_unit: str = ""
    factor: float = 1.0  # standard = original x factor
    std_decimals: int | None = None
    extended: bool = False      # only measured in large (daily-lab) exports
    unscheduled: bool = False   # also measured at unscheduled / daily visits
    weekly: bool = False        # scheduled only at day 1 and from day 7 on


LAB_TESTS: tuple[LabTest, ...] = (
    LabTest("CRP", "C-Reactive Protein", "CHEMISTRY", "mg/L", 0, 5, 90, 0.5, -2.5, 1, unscheduled=True),
    LabTest("FERRITIN", "Ferritin", "CHEMISTRY", "ng/mL", 30, 400, 900, 0.6, -1.0, 0, weekly=True),
    LabTest("DDIMER", "D-Dimer", "COAGULATION", "ug/mL FEU", 0, 0.5, 1.8, 0.6, -1.0, 2, unscheduled=True),
    LabTest("LYM", "Lymphocytes", "HEMATOLOGY", "10^9/L", 1.0, 4.0, 0.7, 0.35, 0.8, 2, unscheduled=True),
    LabTest("CD4", "CD4+ T Cells", "IMMUNOLOGY", "cells/uL", 500, 1500, 380, 0.4, 0.7, 0, weekly=True),
    LabTest("CD8", "CD8+ T Cells", "IMMUNOLOGY", "cells/uL", 200, 800, 210, 0.4, 0.6, 0, weekly=True),
    LabTest("IL6", "Interleukin 6", "IMMUNOLOGY", "pg/mL", 0, 7, 45, 0.8, -2.0, 1, weekly=True),
    LabTest("ALT", "Alanine Aminotransferase", "CHEMISTRY", "U/L", 7, 40, 38, 0.45, -0.1, 0, unscheduled=True),
    LabTest("AST", "Aspartate Aminotransferase", "CHEMISTRY", "U/L", 8, 40, 42, 0.4, -0.2, 0, unscheduled=True),
    LabTest("BILI", "Bilirubin", "CHEMISTRY", "umol/L", 1.7, 20.5, 10, 0.35, 0.0, 2, "mg/dL", 17.1, 1,
            unscheduled=True),
    LabTest("CREAT", "Creatinine", "CHEMISTRY", "umol/L", 53, 106, 80, 0.25, 0.0, 2, "mg/dL", 88.4, 0,
            unscheduled=True),
    LabTest("HGB", "Hemoglobin", "HEMATOLOGY", "g/L", 120, 170, 128, 0.1, 0.05, 0, extended=True),
    LabTest("WBC", "Leukocytes", "HEMATOLOGY", "10^9/L", 4, 11, 9, 0.35, -0.3, 1, extended=True, unscheduled=True),
    LabTest("PLAT", "Platelets", "HEMATOLOGY", "10^9/L", 150, 400, 210, 0.3, 0.2, 0, extended=True,
            unscheduled=True),
    LabTest("NEUT", "Neutrophils", "HEMATOLOGY", "10^9/L", 2, 7.5, 7.5, 0.4, -0.4, 1, extended=True),
    LabTest("LDH", "Lactate Dehydrogenase", "CHEMISTRY", "U/L", 140, 280, 420, 0.35, -0.6, 0, extended=True),
    LabTest("SODIUM", "Sodium", "CHEMISTRY", "mmol/L", 135, 145, 138, 0.02, 0.0, 0, extended=True),
    LabTest("K", "Potassium", "CHEMISTRY", "mmol/L", 3.5, 5.1, 4.1, 0.08, 0.0, 1, extended=True),
    LabTest("GLUC", "Glucose", "CHEMISTRY", "mmol/L", 3.9, 7.8, 8.5, 0.3, -0.2, 1, extended=True, unscheduled=True),
    LabTest("PCT", "Procalcitonin", "CHEMISTRY", "ug/L", 0, 0.5, 0.25, 0.8, -0.8, 2, extended=True),
    LabTest("TROPONI", "Troponin I", "CHEMISTRY", "ng/L", 0, 14, 9, 0.7, -0.2, 0, extended=True),
)
# Hy's-law values as multiples of the upper limit of normal at the two visits before the last.
HYS_LAW_ULN = {"ALT": (4.5, 3.6), "AST": (3.8, 3.2), "BILI": (2.6, 2.2)}


def visit_schedule(c: Cohort, rng: np.random.Generator) -> pd.DataFrame:
    """Assessment occasions: subj, VISITNUM, VISIT, day (NaN before randomization), date, scheduled."""
    vd = c.visit_day.copy()
    vd[~c.randomized, 1:] = np.nan
    subj, j = np.nonzero(~np.isnan(vd))
    rand = c.randomized[subj]
    day = np.where(rand, vd[subj, j], np.nan)
    nums = np.array([v.num for v in c.config.visits])
    names = np.array([v.name for v in c.config.visits], dtype=object)
    scheduled = pd.DataFrame({"subj": subj, "VISITNUM": nums[j], "VISIT": names[j], "day": day,
                              "date": np.where(rand, study_date(c.day1[subj], day), c.screen[subj]),
                              "scheduled": True})
    extra = _daily_visits(c, vd) if c.scale.daily_labs else _unscheduled_visits(c, vd, rng)
    extra["date"] = study_date(c.day1[extra["subj"].to_numpy()], extra["day"].to_numpy())
    extra["scheduled"] = False
    frame = pd.concat([scheduled, extra], ignore_index=True)
    return frame.sort_values(["subj", "date", "VISITNUM"], kind="stable", ignore_index=True)


def _unscheduled_name(num: np.ndarray) -> np.ndarray:
    return np.array([f"UNSCHEDULED {n:.1f}" for n in num], dtype=object)


def _unscheduled_visits(c: Cohort, vd: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """One unscheduled visit between two post-baseline visits for some randomized subjects."""
    subj = np.flatnonzero(pick(rng, c.randomized, round(UNSCHEDULED_SHARE * c.scale.randomized)))
    gap = rng.integers(1, vd.shape[1] - 1, subj.size)
    prev, nxt = vd[subj, gap], vd[subj, gap + 1]
    day = prev + 1 + np.floor(rng.random(subj.size) * (nxt - prev - 1))
    ok = (nxt - prev >= 2) & ~np.isnan(day)
    num = np.round(np.array([v.num for v in c.config.visits])[gap] + 0.1, 1)
    return pd.DataFrame({"subj": subj[ok], "VISITNUM": num[ok], "VISIT": _unscheduled_name(num[ok]),
                         "day": day[ok]})


def _daily_visits(c: Cohort, vd: np.ndarray) -> pd.DataFrame:
    """In-hospital daily assessments on days without a scheduled visit (at most 9 per gap)."""
    days = np.arange(2, c.config.followup_days + 1, dtype=float)
    stay_end = np.fmin(np.where(np.isnan(c.discharge_day), np.inf, c.discharge_day), c.last_day)
    in_hospital = c.randomized[:, None] & (days[None, :] < stay_end[:, None])
    not_visit = ~(vd[:, :, None] == days[None, None, :]).any(axis=1)
    subj, k = np.nonzero(in_hospital & not_visit)
    day = days[k]
    prev = (vd[subj] < day[:, None]).sum(axis=1) - 1
    key = subj * 100 + prev
    rank = seq_within(key)
    ok = rank <= 9
    nums = np.array([v.num for v in c.config.visits])
    num = np.round(nums[prev[ok]] + rank[ok] / 10, 1)
    return pd.DataFrame({"subj": subj[ok], "VISITNUM": num, "VISIT": _unscheduled_name(num), "day": day[ok]})


def recovery(day: np.ndarray, benefit: np.ndarray) -> np.ndarray:
    """Share of the way to recovery reached by study day `day`: 0 before day 1, tending to `benefit`."""
    return benefit * (1 - np.exp(-RECOVERY_RATE * np.clip(np.nan_to_num(day - 1, nan=0.0), 0, None)))


def baseline_flag(subj: np.ndarray, test: np.ndarray, date: np.ndarray, pre_dose: np.ndarray,
                   has_value: np.ndarray) -> np.ndarray:
    """'Y' on the last pre-dose record with a value of each subject and test."""
    idx = np.flatnonzero(pre_dose & has_value)
    frame = pd.DataFrame({"s": subj[idx], "t": test[idx], "d": date[idx], "i": idx})
    last = frame.sort_values(["s", "t", "d"], kind="stable").groupby(["s", "t"]).tail(1)["i"].to_numpy()
    flag = np.full(subj.size, "", dtype=object)
    flag[last] = "Y"
    return flag


def occasion_tests(schedule: pd.DataFrame, per_scheduled: np.ndarray, per_unscheduled: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray]:
    """(schedule row, test index) pairs: each occasion crossed with the tests measured there."""
    sched = np.flatnonzero(schedule["scheduled"].to_numpy())
    unsched = np.flatnonzero(~schedule["scheduled"].to_numpy())
    row = np.concatenate([np.repeat(sched, per_scheduled.size), np.repeat(unsched, per_unscheduled.size)])
    test = np.concatenate([np.tile(per_scheduled, sched.size), np.tile(per_unscheduled, unsched.size)])
    return row, test


def _attr(name: str, test: np.ndarray) -> np.ndarray:
    """A LabTest attribute for each row's test index."""
    return np.array([getattr(t, name) for t in LAB_TESTS])[test]


def _measured(c: Cohort, schedule: pd.DataFrame, row: np.ndarray, test: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """Keep randomized subjects' rows, and weekly tests only at day 1 and from day 7 on."""
    planned = {v.num: v.day for v in c.config.visits}
    planned_day = np.array([planned.get(n, np.nan) for n in schedule["VISITNUM"].to_numpy()])[row]
    weekly = _attr("weekly", test).astype(bool)
    keep = c.randomized[schedule["subj"].to_numpy()[row]] & (~weekly | (planned_day == 1) | (planned_day >= 7))
    return row[keep], test[keep]


def lb_frame(c: Cohort, schedule: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """LB: the lab panel at every occasion, in original and standard units with normal ranges."""
    tests = LAB_TESTS
    panel = np.array([i for i, t in enumerate(tests) if c.scale.daily_labs or not t.extended])
    unsched_panel = np.array([i for i in panel if tests[i].unscheduled])
    row, test = occasion_tests(schedule, panel, unsched_panel)
    row, test = _measured(c, schedule, row, test)
    subj, day = schedule["subj"].to_numpy()[row], schedule["day"].to_numpy()[row]
    visit_num = schedule["VISITNUM"].to_numpy()[row]
    z = rng.standard_normal((c.usubjid.size, len(tests)))
    logv = (np.log(_attr("median", test)) + _attr("sd", test) * z[subj, test]
            + _attr("effect", test) * recovery(day, c.benefit[subj]) + 0.12 * rng.standard_normal(row.size))
    logv = _hys_law_values(c, tests, subj, test, visit_num, logv)
    keep = (rng.random(row.size) >= MISSING_LAB_RATE) | c.hys_law[subj]
    row, test, subj, day, visit_num, logv = row[keep], test[keep], subj[keep], day[keep], visit_num[keep], logv[keep]
    date = schedule["date"].to_numpy("datetime64[D]")[row]
    order = np.lexsort((test, visit_num, date, subj))
    row, test, subj, day, visit_num, logv, date = (a[order] for a in (row, test, subj, day, visit_num, logv, date))
    factor, decimals, lo, hi = (_attr(name, test) for name in ("factor", "decimals", "lo", "hi"))
    std_dec = np.array([t.decimals if t.std_decimals is None else t.std_decimals for t in tests])[test]
    orig = round_rows(np.exp(logv) / factor, decimals)
    std = round_rows(orig * factor, std_dec)
    orres, stresc = fmt_numbers(orig, decimals), fmt_numbers(std, std_dec)
    nrind = np.where(std < lo, "LOW", np.where(std > hi, "HIGH", "NORMAL")).astype(object)
    below = _below_detection(test, visit_num, std, c)
    orres[below], stresc[below], std[below], nrind[below] = "<0.5", "<0.5", np.nan, "NORMAL"
    pre_dose = c.randomized[subj] & (np.nan_to_num(day, nan=2) <= 1)
    units = np.array([t.orig_unit or t.unit for t in tests], dtype=object)[test]
    return sdtm_frame(c.config.study_id, "LB", c.usubjid[subj], {
        "LBSEQ": seq_within(subj), "LBTESTCD": np.array([t.testcd for t in tests], dtype=object)[test],
        "LBTEST": np.array([t.test for t in tests], dtype=object)[test],
        "LBCAT": np.array([t.cat for t in tests], dtype=object)[test],
        "LBORRES": orres, "LBORRESU": units,
        "LBORNRLO": fmt_numbers(lo / factor, decimals), "LBORNRHI": fmt_numbers(hi / factor, decimals),
        "LBSTRESC": stresc, "LBSTRESN": std, "LBSTRESU": np.array([t.unit for t in tests], dtype=object)[test],
        "LBSTNRLO": lo, "LBSTNRHI": hi, "LBNRIND": nrind,
        "LBBLFL": baseline_flag(subj, test, date, pre_dose, ~np.isnan(std)),
        "VISITNUM": visit_num, "VISIT": schedule["VISIT"].to_numpy()[row],
        "LBDTC": fmt_dates(date), "LBDY": day,
    }, {"_t": date})


def _hys_law_values(c: Cohort, tests: tuple[LabTest, ...], subj: np.ndarray, test: np.ndarray,
                    visit_num: np.ndarray, logv: np.ndarray) -> np.ndarray:
    """Raise ALT, AST and bilirubin of the Hy's-law subjects at the two visits before the last."""
    visits = (c.config.visits[-3].num, c.config.visits[-2].num)
    for code, multiples in HYS_LAW_ULN.items():
        k = next(i for i, t in enumerate(tests) if t.testcd == code)
        for visit, multiple in zip(visits, multiples):
            rows = c.hys_law[subj] & (test == k) & (visit_num == visit)
            logv[rows] = np.log(multiple * tests[k].hi)
    return logv


def _below_detection(test: np.ndarray, visit_num: np.ndarray, std: np.ndarray, c: Cohort) -> np.ndarray:
    """The single lowest CRP at the last scheduled visit, reported as '<0.5'."""
    crp = next(i for i, t in enumerate(LAB_TESTS) if t.testcd == "CRP")
    candidates = np.flatnonzero((test == crp) & (visit_num == c.config.visits[-1].num))
    mask = np.zeros(test.size, bool)
    if candidates.size:
        mask[candidates[np.argmin(std[candidates])]] = True
    return mask
