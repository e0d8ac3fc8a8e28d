"""The pure functions behind the pack's new outline parts: lab value and change by visit, the clinically
significant rule, and the deviation log summary; each reference computed here in plain pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.analysis import deviations, lab_change, lab_significant
from dashboard.analysis.safety import GROUP, TOTAL

ROWS = pd.DataFrame({
    "USUBJID": ["S1", "S1", "S1", "S1", "S2", "S2", "S2", "S3", "S3"],
    "LBTESTCD": ["ALT"] * 9, "LBTEST": ["ALT"] * 9,
    "LBSTRESN": [40.0, 42.0, 50.0, 55.0, 30.0, 33.0, 60.0, 20.0, 25.0],
    "LBSTRESU": ["U/L"] * 9, "LBSTNRLO": [5.0] * 9, "LBSTNRHI": [40.0] * 9, "LBNRIND": [""] * 9,
    # S1 has two records at visit 2 (days 8 and 9: the later counts), an unscheduled 2.1; S3 has no baseline
    "VISITNUM": [1.0, 2.0, 2.0, 2.1, 1.0, 2.0, 3.0, 1.0, 2.0],
    "VISIT": ["BASE", "W2", "W2", "UNS", "BASE", "W2", "W3", "BASE", "W2"],
    "LBDY": [1.0, 8.0, 9.0, 10.0, 1.0, 8.0, 15.0, 1.0, 8.0],
    "LBBLFL": ["Y", "", "", "", "Y", "", "", "", ""], "LBDT": [pd.NaT] * 9})
POPULATION = pd.DataFrame({"USUBJID": ["S1", "S2", "S3", "S4"]})


def test_value_and_change_by_visit_match_plain_pandas():
    stats = lab_change.lab_change_by_visit(ROWS, POPULATION).set_index(["MEASURE", "VISITNUM"])
    scheduled = ROWS[ROWS["VISITNUM"] == ROWS["VISITNUM"].round()]
    last = scheduled.sort_values(["USUBJID", "VISITNUM", "LBDY"]).groupby(["USUBJID", "VISITNUM"]).tail(1)
    base = ROWS[ROWS["LBBLFL"] == "Y"].set_index("USUBJID")["LBSTRESN"]
    for visit, part in last.groupby("VISITNUM"):
        values = part["LBSTRESN"]
        got = stats.loc[("VALUE", visit)]
        assert got["N"] == len(values) and np.isclose(got["MEAN"], values.mean())
        assert np.isclose(got["MEDIAN"], values.median()) and got["MIN"] == values.min() and got["MAX"] == values.max()
        change = (part["LBSTRESN"] - part["USUBJID"].map(base)).dropna()[part["VISITNUM"] > 1]
        got = stats.loc[("CHANGE", visit)]
        assert got["N"] == len(change)
        if len(change) > 1:
            assert np.isclose(got["SD"], change.std())
    # S1's later record at W2 (50) counts, not the first (42); S3 without a baseline has no change
    assert stats.loc[("CHANGE", 2.0), "N"] == 2 and np.isclose(stats.loc[("CHANGE", 2.0), "MEAN"], (10 + 3) / 2)
    assert 2.1 not in stats.index.get_level_values("VISITNUM")


def test_by_arm_rows_every_arm_and_visit_even_when_empty():
    arm_of = pd.Series({"S1": "A", "S2": "B", "S3": "A", "S4": "B"})
    stats = lab_change.lab_change_by_visit_by_arm(ROWS, POPULATION, arm_of)
    assert list(dict.fromkeys(stats[GROUP])) == ["A", "B", TOTAL]
    w3 = stats[(stats["VISITNUM"] == 3.0) & (stats["MEASURE"] == "VALUE")].set_index(GROUP)["N"]
    assert w3.to_dict() == {"A": 0, "B": 1, TOTAL: 1}


LB = pd.DataFrame({"USUBJID": ["S1", "S1", "S2", "S2", "S9"], "LBTESTCD": ["ALT", "ALB", "ALT", "GLUC", "ALT"],
                   "LBTEST": ["ALT", "Albumin", "ALT", "Glucose", "ALT"],
                   "LBSTRESN": [121.0, 14.0, 119.0, 5.0, 500.0], "LBSTRESC": ["121", "14", "119", "5", "500"],
                   "LBSTNRLO": [0.0, 35.0, 0.0, np.nan, 0.0], "LBSTNRHI": [40.0, 50.0, 40.0, np.nan, 40.0],
                   "VISITNUM": [2.0, 2.0, 2.0, 2.0, 2.0]})


def test_range_rule_flags_above_three_uln_and_below_half_lln_only():
    listing = lab_significant.flagged_values(LB, pd.Series(["S1", "S2"]))
    lb = LB[LB["USUBJID"].isin(["S1", "S2"])]
    expected = lb[(lb["LBSTRESN"] > 3 * lb["LBSTNRHI"]) | (lb["LBSTRESN"] < 0.5 * lb["LBSTNRLO"])]
    expected = expected.sort_values(["USUBJID", "LBTESTCD"])
    assert listing[["USUBJID", "LBTESTCD"]].values.tolist() == expected[["USUBJID", "LBTESTCD"]].values.tolist()
    assert listing["REASON"].tolist() == ["< 0.5 x LLN", "> 3 x ULN"]       # ALB 14 < 17.5; ALT 121 > 120
    assert lab_significant.unjudged(LB, pd.Series(["S1", "S2"])) == 1       # glucose without a range
    assert "no LBCLSIG" in lab_significant.rule_text(LB)


def test_the_exports_own_flag_wins_where_it_has_one():
    lb = LB.assign(LBCLSIG=["", "Y", " y ", "N", "Y"])
    listing = lab_significant.flagged_values(lb, pd.Series(["S1", "S2"]))
    assert listing[["USUBJID", "LBTESTCD"]].values.tolist() == [["S1", "ALB"], ["S2", "ALT"]]
    assert set(listing["REASON"]) == {"LBCLSIG = Y"} and "LBCLSIG = Y" in lab_significant.rule_text(lb)
    # an LBCLSIG column without any value is no flag: the range rule applies
    assert lab_significant.uses_clsig(LB.assign(LBCLSIG="")) is False


DV = pd.DataFrame({"USUBJID": ["S1", "S1", "S2", "S3", "S9"], "DVSEQ": [1, 2, 1, 1, 1],
                   "DVCAT": ["Eligibility", "Visit window", "Visit window", "", "Eligibility"],
                   "DVTERM": ["t"] * 5, "DVDECOD": ["d"] * 5,
                   "DVSTDTC": ["2021-01-02", "2021-01-01", "2021-02-01", "2021-03-01", "2021-01-05"]})


def test_deviation_summary_counts_subjects_and_records_per_category():
    population = pd.DataFrame({"USUBJID": ["S1", "S2", "S3", "S4"]})
    arm_of = pd.Series({"S1": "A", "S2": "B", "S3": "B", "S4": "A"})
    got = deviations.deviation_summary_by_arm(DV, population, arm_of).set_index([GROUP, "DVCAT"])
    dv = DV[DV["USUBJID"].isin(population["USUBJID"])].assign(
        DVCAT=lambda f: f["DVCAT"].replace("", deviations.NO_CATEGORY), ARM=lambda f: f["USUBJID"].map(arm_of))
    for (arm, category), part in dv.groupby(["ARM", "DVCAT"]):
        assert got.loc[(arm, category), "SUBJECTS"] == part["USUBJID"].nunique()
        assert got.loc[(arm, category), "OCCURRENCES"] == len(part)
    assert got.loc[(TOTAL, deviations.ALL_CATEGORIES), "OCCURRENCES"] == len(dv)
    assert got.loc[(TOTAL, deviations.ALL_CATEGORIES), "SUBJECTS"] == dv["USUBJID"].nunique()
    assert got.loc[("A", "Visit window"), "OCCURRENCES"] == 1 and got.loc[("A", "Visit window"), "N"] == 2
    pooled = deviations.deviation_summary(DV, population)
    assert set(pooled[GROUP]) == {TOTAL}
    log = deviations.deviation_log(DV)
    assert log["USUBJID"].tolist() == ["S1", "S1", "S2", "S3", "S9"] and log["DVSEQ"].tolist()[:2] == [2, 1]
