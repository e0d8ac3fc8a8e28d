"""Baseline values and summaries (pooled and by arm), and eligibility checks against the protocol's numbers."""

from __future__ import annotations

import pandas as pd
import pytest
import recruitment_frames as f

from dashboard.analysis import baseline_characteristics as bl
from dashboard.analysis import recruitment as rec
from dashboard.config import Eligibility, load_trial_config

MEASURES = (bl.Measure("VS", "OXYSAT", "SpO2", "%"), bl.Measure("VS", "RESP", "Respiratory rate", "breaths/min"),
            bl.Measure("LB", "CRP", "C-reactive protein", "mg/L"))
ELIGIBILITY = Eligibility(age_min=25, age_max=75, spo2_max=90, resp_rate_min=30)


@pytest.fixture
def randomized() -> pd.DataFrame:
    status = rec.subject_status(f.dm(), f.ds(), f.ex(), f.CUT, planned_doses=5, interval_days=1)
    return status[status["RANDOMIZED"]]


@pytest.fixture
def values(randomized) -> pd.DataFrame:
    return bl.baseline_values(randomized, MEASURES, f.domains())


def test_measures_from_the_configuration():
    measures = bl.baseline_measures(load_trial_config())
    codes = [m.testcd for m in measures]
    assert codes[:2] == ["OXYSAT", "RESP"] and "CRP" in codes and "CREAT" in codes
    assert "PULMINV" not in codes                                  # CT is not a baseline lab or vital sign
    assert len(codes) == len(set(codes))


def test_safety_labs_in_the_baseline_table_carry_the_unit_the_export_reports():
    config = load_trial_config()
    titles = {m.testcd: m.title for m in bl.baseline_measures(config, {"ALT": "U/L", "CREAT": "umol/L"})}
    assert titles["ALT"] == "ALT (U/L)" and titles["CREAT"] == "Creatinine (umol/L)"
    assert titles["AST"] == "AST"                                   # no unit reported: the label alone
    assert titles["CRP"] == "C-reactive protein (mg/L)"             # configured outcomes keep their own unit


def test_baseline_is_the_flagged_value_else_the_last_before_day_one(values):
    v = values.set_index("USUBJID")
    assert v.loc["S01", "OXYSAT"] == 88 and v.loc["S03", "OXYSAT"] == 92 and v.loc["S04", "OXYSAT"] == 85
    assert v.loc["S07", "OXYSAT"] == 93                            # no flag: day 1 value, not the day -1 one
    assert v.loc["S07", "RESP"] == 35                              # the day 3 value is not a baseline
    assert pd.isna(v.loc["S04", "RESP"]) and pd.isna(v.loc["S04", "CRP"])    # missing result is not a baseline
    assert v.loc["S01", "AGE"] == 50 and v.loc["S01", "SEX"] == "F"


def test_pooled_summary_worked_by_hand(values):
    table = bl.baseline_summary(values, MEASURES).set_index(["characteristic", "statistic"])
    col = "All randomized (N=4)"
    assert list(table.columns) == [col]
    age = table.loc["Age (years)", col]
    assert age["n"] == "4"
    assert age["Mean (SD)"] == "49.0 (19.8)"                       # ages 50, 76, 40, 30
    assert age["Median [Q1, Q3]"] == "45.0 [37.5, 56.5]"
    assert age["Min, max"] == "30.0, 76.0"
    assert table.loc[("Sex", "F, n (%)"), col] == "2 (50.0 %)"
    assert table.loc[("Respiratory rate (breaths/min)", "n"), col] == "3"
    assert table.loc[("C-reactive protein (mg/L)", "Mean (SD)"), col] == "40.0 (20.0)"   # 40, 60, 20


def test_summary_by_arm_keeps_the_pooled_column_and_row_order(values):
    pooled = bl.baseline_summary(values, MEASURES)
    by_arm = bl.baseline_summary_by_arm(values, MEASURES, f.arm_of(), f.ARM_LABELS)
    assert list(by_arm.columns) == ["characteristic", "statistic", "All randomized (N=4)", "Group A (N=2)",
                                    "Group B (N=2)"]
    assert by_arm[pooled.columns].equals(pooled)
    table = by_arm.set_index(["characteristic", "statistic"])
    assert table.loc[("Sex", "M, n (%)"), "Group A (N=2)"] == "0 (0.0 %)"
    assert table.loc[("Age (years)", "Mean (SD)"), "Group B (N=2)"] == "53.0 (32.5)"   # 76 and 30


def test_an_arm_with_nobody_still_gets_a_column(values):
    by_arm = bl.baseline_summary_by_arm(values, MEASURES, f.arm_of(), ("Group A", "Group B", "Group C"))
    assert by_arm["Group C (N=0)"].iloc[0] == "0"


def test_eligibility_checks_list_possible_deviations(randomized, values):
    dev = bl.eligibility_deviations(randomized, values, f.ie(), ELIGIBILITY, {})
    found = set(zip(dev["USUBJID"], dev["check"]))
    assert found == {
        ("S03", "Age above 75"), ("S03", "Baseline SpO2 above 90 %"),
        ("S03", "Baseline respiratory rate not above 30/min"),   # RR must be > 30: 30 is not
        ("S04", "Baseline respiratory rate not recorded"),
        ("S07", "Baseline SpO2 above 90 %")}
    row = dev[(dev["USUBJID"] == "S03") & (dev["check"] == "Age above 75")].iloc[0]
    assert (row["value"], row["protocol_rule"], row["source"], row["SITEID"]) == ("76 years", "Age 25 to 75 years",
                                                                                  "DM", "01")
    assert dev["USUBJID"].is_monotonic_increasing


def test_criteria_recorded_as_failed_for_a_randomized_subject(randomized, values):
    ie = pd.DataFrame({"USUBJID": ["S01"], "IETESTCD": ["EX14"], "IETEST": ["Pregnancy"], "IEORRES": ["Y"]})
    dev = bl.eligibility_deviations(randomized, values, ie, Eligibility(), {"EX14": "Exclusion: pregnancy"})
    assert dev[["USUBJID", "check", "value", "source"]].values.tolist() == [
        ["S01", "Criterion not met: Exclusion: pregnancy", "EX14 = Y", "IE"]]


def test_consent_and_dosing_order(randomized, values):
    r = randomized.copy()
    r.loc[r["USUBJID"] == "S01", "CONSENT_DT"] = pd.Timestamp("2021-04-25")
    r.loc[r["USUBJID"] == "S04", "DAY1_DT"] = pd.Timestamp("2021-05-01")
    r.loc[r["USUBJID"] == "S07", "CONSENTED"] = False
    dev = bl.eligibility_deviations(r, values, pd.DataFrame(), Eligibility(), {})
    assert set(zip(dev["USUBJID"], dev["check"])) == {("S01", "Randomized before informed consent"),
                                                       ("S04", "Dosed before randomization"),
                                                       ("S07", "No informed consent recorded")}


def test_no_checks_configured_and_nobody_randomized(randomized, values):
    assert bl.eligibility_deviations(randomized, values, pd.DataFrame(), Eligibility(), {}).empty
    none = bl.eligibility_deviations(randomized.iloc[0:0], values.iloc[0:0], f.ie(), ELIGIBILITY, {})
    assert none.empty and list(none.columns) == bl.DEVIATION_COLUMNS


def _treated(mapping: dict[str, str]) -> pd.Series:
    """`treated_arm_of` as ArmedTrialData holds it: `arm_of` with some subjects' labels changed."""
    treated = f.arm_of().astype(object)
    for subject, label in mapping.items():
        treated[subject] = label
    return treated.astype(f.arm_of().dtype)


def test_a_subject_dosed_with_the_other_arms_product_is_flagged(randomized, values):
    dev = bl.treatment_deviations(randomized, f.arm_of(), _treated({"S04": "Group B"}))
    assert dev[["USUBJID", "SITEID", "check", "value", "source"]].values.tolist() == [
        ["S04", "02", bl.TREATED_AS_OTHER_ARM, "randomized to Group A, treated as Group B", "DM ARMCD / ACTARMCD"]]
    assert list(dev.columns) == bl.DEVIATION_COLUMNS


def test_treatment_as_randomized_gives_no_row_and_the_same_columns(randomized):
    dev = bl.treatment_deviations(randomized, f.arm_of(), f.arm_of())
    assert dev.empty and list(dev.columns) == bl.DEVIATION_COLUMNS


def test_only_the_selected_randomized_subjects_are_checked(randomized):
    site_01 = randomized[randomized["SITEID"] == "01"]
    assert bl.treatment_deviations(site_01, f.arm_of(), _treated({"S04": "Group B"})).empty


def test_the_treatment_check_joins_the_listing_sorted_by_subject(randomized, values):
    eligibility = bl.eligibility_deviations(randomized, values, f.ie(), ELIGIBILITY, {})
    treated = bl.treatment_deviations(randomized, f.arm_of(), _treated({"S01": "Group B", "S07": "Group A"}))
    merged = bl.combine_deviations(eligibility, treated)
    assert len(merged) == len(eligibility) + 2 and list(merged.columns) == bl.DEVIATION_COLUMNS
    assert merged["USUBJID"].is_monotonic_increasing
    assert merged[merged["check"] != bl.TREATED_AS_OTHER_ARM].reset_index(drop=True).equals(eligibility)


def test_a_measure_without_any_record_is_one_row_not_in_this_cut(randomized):
    """O7: a lab the export does not deliver (no record of its test code) is one 'not in this cut' row, not n = 0."""
    measures = MEASURES + (bl.Measure("LB", "AST", "AST", "U/L"),)
    domains = f.domains()
    assert not (domains["LB"]["LBTESTCD"] == "AST").any()           # the frames deliver no AST
    absent = bl.absent_measures(measures, domains)
    assert absent == {"AST"}
    values = bl.baseline_values(randomized, measures, domains)
    table = bl.baseline_summary(values, measures, absent)
    ast = table.loc[table["characteristic"] == "AST (U/L)"]
    assert ast["statistic"].tolist() == [bl.NOT_IN_CUT]
    assert len(table.loc[table["characteristic"] == "C-reactive protein (mg/L)"]) == 4   # delivered: n, mean, ...
    by_arm = bl.baseline_summary_by_arm(values, measures, f.arm_of(), f.ARM_LABELS, absent)
    assert by_arm.loc[by_arm["characteristic"] == "AST (U/L)", "statistic"].tolist() == [bl.NOT_IN_CUT]


def test_no_consent_note_names_adsl_on_an_adam_cut():
    """O3: on an ADaM cut the consent note names ADSL RFICDT / RFICDTC, a DS record only when DS was delivered."""
    from dashboard.displays.recruitment.baseline import NO_CONSENT_CHECK, no_consent_check
    assert no_consent_check({}) == NO_CONSENT_CHECK == no_consent_check({"DM": "SDTM dm.xpt", "DS": "SDTM ds.xpt"})
    adam = no_consent_check({"DM": "ADaM adsl.xpt", "DS": "derived from ADSL (EOSSTT)"})
    assert "ADSL RFICDT nor RFICDTC" in adam and "DM RFICDTC" not in adam and "DS INFORMED" not in adam
    mixed = no_consent_check({"DM": "ADaM adsl.xpt", "DS": "SDTM ds.xpt"})
    assert "ADSL RFICDT" in mixed and "DS INFORMED CONSENT OBTAINED" in mixed
