"""Full-trajectory VS (SpO2, respiratory rate) and chest CT (percent pulmonary involvement) findings."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.demo.findings import MISSING_VS_RATE, baseline_flag, recovery, occasion_tests
from dashboard.demo.frames import fmt_dates, fmt_numbers, sdtm_frame, seq_within
from dashboard.demo.timeline import Cohort

VS_TESTS = (("OXYSAT", "Oxygen Saturation", "%"), ("RESP", "Respiratory Rate", "breaths/min"))
SPO2_RECOVERED, RESP_RECOVERED = 96.0, 18.0


def _eligible_at_screening(c: Cohort) -> np.ndarray:
    """Subjects who met the severity criterion (all but screen failures for IN02)."""
    return np.array(["IN02" not in codes for codes in c.ie_codes])


def vs_frame(c: Cohort, schedule: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """VS: SpO2 and respiratory rate at every occasion; pre-dose values meet the eligibility limits."""
    m = c.usubjid.size
    severe = _eligible_at_screening(c)
    spo2_base = np.where(severe, np.clip(88 - np.abs(rng.normal(0, 2.5, m)), 79, 90), rng.integers(92, 96, m))
    rr_base = np.clip(31 + np.abs(rng.normal(0, 3, m)), 31, 45)
    row, test = occasion_tests(schedule, np.arange(2), np.arange(2))
    subj, day = schedule["subj"].to_numpy()[row], schedule["day"].to_numpy()[row]
    curve = np.clip(recovery(day, c.benefit[subj]), -1, 1)
    spo2 = spo2_base[subj] + (SPO2_RECOVERED - spo2_base[subj]) * curve + rng.normal(0, 1.0, row.size)
    rr = rr_base[subj] + (RESP_RECOVERED - rr_base[subj]) * curve + rng.normal(0, 1.5, row.size)
    pre_dose = np.nan_to_num(day, nan=-1) <= 1
    spo2 = np.where(pre_dose & severe[subj], np.minimum(spo2, 90), spo2)
    spo2 = np.where(pre_dose & c.spo2_deviation[subj], 91, spo2)
    rr = np.where(pre_dose & severe[subj], np.maximum(rr, 31), rr)
    value = np.where(test == 0, np.clip(np.round(spo2), 70, 100), np.clip(np.round(rr), 10, 50))
    keep = pre_dose | (rng.random(row.size) >= MISSING_VS_RATE)
    row, test, subj, day, value, pre_dose = (a[keep] for a in (row, test, subj, day, value, pre_dose))
    date = schedule["date"].to_numpy("datetime64[D]")[row]
    visit_num = schedule["VISITNUM"].to_numpy()[row]
    order = np.lexsort((test, visit_num, date, subj))
    row, test, subj, day, value, pre_dose, date, visit_num = (
        a[order] for a in (row, test, subj, day, value, pre_dose, date, visit_num))
    text = fmt_numbers(value, np.zeros(value.size, int))
    units = np.array([t[2] for t in VS_TESTS], dtype=object)[test]
    return sdtm_frame(c.config.study_id, "VS", c.usubjid[subj], {
        "VSSEQ": seq_within(subj), "VSTESTCD": np.array([t[0] for t in VS_TESTS], dtype=object)[test],
        "VSTEST": np.array([t[1] for t in VS_TESTS], dtype=object)[test],
        "VSORRES": text, "VSORRESU": units, "VSSTRESC": text, "VSSTRESN": value, "VSSTRESU": units,
        "VSBLFL": baseline_flag(subj, test, date, pre_dose & c.randomized[subj], np.ones(subj.size, bool)),
        "VISITNUM": visit_num, "VISIT": schedule["VISIT"].to_numpy()[row],
        "VSDTC": fmt_dates(date), "VSDY": day,
    }, {"_t": date})


def ct_domain(c: Cohort) -> tuple[str, str, str]:
    """(domain, test code, test label) of the radiological outcome, from the configuration."""
    for o in c.config.outcomes:
        if o.domain in c.config.custom_domains or o.family == "radiological":
            return o.domain, o.testcd, o.label
    return "CT", "PULMINV", "Pulmonary involvement on chest CT"


def ct_frame(c: Cohort, schedule: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """CT: percent pulmonary involvement at screening (baseline), day 7 and the last visit."""
    domain, testcd, label = ct_domain(c)
    visits = c.config.visits
    wanted = {visits[0].num, visits[-1].num} | {v.num for v in visits if v.day == 7}
    sched = schedule[schedule["scheduled"] & schedule["VISITNUM"].isin(wanted)]
    m = c.usubjid.size
    base = np.where(_eligible_at_screening(c), rng.uniform(52, 85, m), rng.uniform(30, 80, m))
    subj, day = sched["subj"].to_numpy(), sched["day"].to_numpy()
    value = base[subj] * (1 - 0.65 * recovery(day, c.benefit[subj])) + rng.normal(0, 3, subj.size)
    value = np.clip(np.round(value), 0, 100)
    is_screening = sched["VISITNUM"].to_numpy() == visits[0].num
    value = np.where(is_screening & _eligible_at_screening(c)[subj], np.maximum(value, 51), value)
    date = sched["date"].to_numpy("datetime64[D]")
    text = fmt_numbers(value, np.zeros(value.size, int))
    n = subj.size
    p = domain
    return sdtm_frame(c.config.study_id, domain, c.usubjid[subj], {
        f"{p}SEQ": seq_within(subj), f"{p}TESTCD": np.full(n, testcd, dtype=object),
        f"{p}TEST": np.full(n, label, dtype=object), f"{p}ORRES": text, f"{p}ORRESU": np.full(n, "%", dtype=object),
        f"{p}STRESC": text, f"{p}STRESN": value, f"{p}STRESU": np.full(n, "%", dtype=object),
        f"{p}BLFL": np.where(is_screening & c.randomized[subj], "Y", "").astype(object),
        "VISITNUM": sched["VISITNUM"].to_numpy(), "VISIT": sched["VISIT"].to_numpy(),
        f"{p}DTC": fmt_dates(date), f"{p}DY": day,
    }, {"_t": date})
