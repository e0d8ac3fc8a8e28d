"""Eligibility checks come from the configuration (EligibilityCheck), not from COVID-specific constants: a DM
variable or any findings test at baseline, with min, max and an exclusive minimum."""

from __future__ import annotations

import pandas as pd
import pytest
import recruitment_frames as f

from dashboard.analysis import baseline_characteristics as bl
from dashboard.analysis import recruitment as rec
from dashboard.config import Eligibility, EligibilityCheck


@pytest.fixture
def randomized() -> pd.DataFrame:
    status = rec.subject_status(f.dm(), f.ds(), f.ex(), f.CUT, planned_doses=5, interval_days=1)
    return status[status["RANDOMIZED"]]


def _qs() -> pd.DataFrame:
    """A questionnaire score at baseline (QSBLFL) for three of the four randomized subjects, one later value."""
    rows = [("S01", "HAMD17", 22.0, "Y", -1.0), ("S03", "HAMD17", 14.0, "Y", -1.0), ("S04", "HAMD17", 18.0, "Y", -1.0),
            ("S04", "HAMD17", 30.0, "", 14.0)]
    return pd.DataFrame(rows, columns=["USUBJID", "QSTESTCD", "QSSTRESN", "QSBLFL", "QSDY"])


def test_a_questionnaire_check_flags_baseline_scores_outside_the_protocol_range(randomized):
    check = EligibilityCheck("HAM-D 17 total >= 18", "QS", "HAMD17", min=18, unit=" points")
    values = randomized[["USUBJID", "AGE", "SEX"]]
    dev = bl.eligibility_deviations(randomized, values, pd.DataFrame(), Eligibility(checks=(check,)), {},
                                    domains={"QS": _qs()}, test_names={"HAMD17": "HAM-D total"})
    found = dev[dev["source"] == "QS"]
    # independent reference: baseline = the flagged record; below 18 or missing is a deviation
    qs = _qs()
    base = qs[qs["QSBLFL"] == "Y"].set_index("USUBJID")["QSSTRESN"]
    score = randomized["USUBJID"].map(base)
    low = set(randomized["USUBJID"][score < 18])
    missing = set(randomized["USUBJID"][score.isna()])
    assert set(found.loc[found["check"] == "Baseline HAM-D total below 18 points", "USUBJID"]) == low == {"S03"}
    assert set(found.loc[found["check"] == "Baseline HAM-D total not recorded", "USUBJID"]) == missing == {"S07"}
    row = found[found["USUBJID"] == "S03"].iloc[0]
    assert (row["value"], row["protocol_rule"]) == ("14 points", "HAM-D 17 total >= 18")


def test_an_exclusive_minimum_and_a_maximum_on_a_lab_test(randomized):
    checks = (EligibilityCheck("CRP > 20 mg/L", "LB", "CRP", min=20, min_exclusive=True, unit=" mg/L"),
              EligibilityCheck("CRP <= 50 mg/L", "LB", "CRP", max=50, unit=" mg/L"))
    dev = bl.eligibility_deviations(randomized, randomized[["USUBJID", "AGE", "SEX"]], pd.DataFrame(),
                                    Eligibility(checks=checks), {}, domains={"LB": f.lb()})
    lab = dev[dev["source"] == "LB"]
    # baselines: S01 40, S03 60, S04 missing result, S07 20 -> 20 is not above 20; 60 above 50
    assert set(zip(lab["USUBJID"], lab["check"])) == {
        ("S07", "Baseline CRP not above 20 mg/L"), ("S03", "Baseline CRP above 50 mg/L"),
        ("S04", "Baseline CRP not recorded")}


def test_the_older_keys_give_the_same_listing_as_before(randomized):
    """age_min/age_max/spo2_max/resp_rate_min (NCT05019287's keys) are checks too, worded as they always were,
    whether the baseline comes from `values` or is read from the domain."""
    values = bl.baseline_values(randomized, (bl.Measure("VS", "OXYSAT", "SpO2", "%"),
                                             bl.Measure("VS", "RESP", "Respiratory rate", "breaths/min")),
                                {"VS": f.vs()})
    legacy = Eligibility(age_min=25, age_max=75, spo2_max=90, resp_rate_min=30)
    from_values = bl.eligibility_deviations(randomized, values, f.ie(), legacy, {})
    from_domain = bl.eligibility_deviations(randomized, values, f.ie(), legacy, {}, domains={"VS": f.vs()},
                                            test_names={"OXYSAT": "SpO2", "RESP": "Respiratory rate"})
    assert from_values.astype(str).equals(from_domain.astype(str))
    assert {"Baseline SpO2 above 90 %", "Baseline respiratory rate not above 30/min",
            "Age above 75"} <= set(from_values["check"])
    assert set(from_values.loc[from_values["check"] == "Age above 75", "protocol_rule"]) == {"Age 25 to 75 years"}


def test_no_check_configured_means_no_check_run(randomized):
    dev = bl.eligibility_deviations(randomized, randomized[["USUBJID", "AGE", "SEX"]], pd.DataFrame(),
                                    Eligibility(), {})
    assert not dev["check"].str.contains("Baseline|Age").any()


def test_consent_is_not_flagged_subject_by_subject_when_the_export_records_it_for_nobody(randomized):
    nobody = randomized.assign(CONSENTED=False, CONSENT_DT=pd.NaT)
    values = randomized[["USUBJID", "AGE", "SEX"]]
    flagged = bl.eligibility_deviations(nobody, values, pd.DataFrame(), Eligibility(), {})
    assert (flagged["check"] == "No informed consent recorded").sum() == len(nobody)
    quiet = bl.eligibility_deviations(nobody, values, pd.DataFrame(), Eligibility(), {}, consent_recorded=False)
    assert not (quiet["check"] == "No informed consent recorded").any()
