"""Lab safety: visit summaries, deterministic spaghetti sample, shift tables, eDISH quadrants, creatinine rises."""

import pandas as pd
import pytest

from dashboard.analysis.arms import spaghetti_sample
from dashboard.analysis import labs as L
from dashboard.tables import safety as ST
from dashboard.config import SafetyLabs
from safety_frames import lb

POP = pd.DataFrame({"USUBJID": ["A", "B", "C"]})
ARM = pd.Series(pd.Categorical(["Group A", "Group B", "Group A"], categories=["Group A", "Group B"]),
                index=["A", "B", "C"])


def _index(rows):
    return L.split_by_test(lb(rows), POP["USUBJID"])


def test_shift_uses_baseline_and_the_value_furthest_outside_the_range():
    index = _index([
        ("A", "ALT", 1, 20, 10, 40, "Y", "2021-05-01"), ("A", "ALT", 2, 45, 10, 40, "", "2021-05-03"),
        ("A", "ALT", 3, 5, 10, 40, "", "2021-05-05"),   # high by 5/30, low by 5/30... low wins? tie -> see below
        ("B", "ALT", 1, 50, 10, 40, "Y", "2021-05-01"), ("B", "ALT", 2, 30, 10, 40, "", "2021-05-03"),
        ("C", "ALT", 2, 200, 10, 40, "", "2021-05-03"),  # no baseline
    ])
    shift = L.lab_shift(index["ALT"], POP)
    counts = shift.set_index(["BASELINE", "WORST"])["N"]
    assert counts[("NORMAL", "HIGH")] + counts[("NORMAL", "LOW")] == 1
    assert counts[("HIGH", "NORMAL")] == 1
    assert counts[("MISSING", "HIGH")] == 1
    assert shift["N"].sum() == 3


def test_worst_is_the_larger_deviation():
    index = _index([("A", "ALT", 1, 20, 10, 40, "Y", "2021-05-01"), ("A", "ALT", 2, 100, 10, 40, "", "2021-05-03"),
                    ("A", "ALT", 3, 5, 10, 40, "", "2021-05-05")])
    counts = L.lab_shift(index["ALT"], POP).set_index(["BASELINE", "WORST"])["N"]
    assert counts[("NORMAL", "HIGH")] == 1   # 60 above vs 5 below the range


def test_shift_matrix_has_totals():
    index = _index([("A", "ALT", 1, 20, 10, 40, "Y", "2021-05-01"), ("A", "ALT", 2, 100, 10, 40, "", "2021-05-03")])
    header, rows = ST.shift_matrix(L.lab_shift(index["ALT"], POP), "All subjects")
    assert header[0].startswith("Baseline") and rows[-1][0] == "Total" and rows[-1][-1] == 3


def test_shift_by_arm_splits_the_counts():
    index = _index([("A", "ALT", 1, 20, 10, 40, "Y", "2021-05-01"), ("B", "ALT", 1, 20, 10, 40, "Y", "2021-05-01")])
    shift = L.lab_shift_by_arm(index["ALT"], POP, ARM)
    assert set(shift["GROUP"]) == {"Group A", "Group B", "All subjects"}
    assert shift.groupby("GROUP")["N"].sum().to_dict() == {"All subjects": 3, "Group A": 2, "Group B": 1}


def test_edish_quadrants_use_3_x_uln_transaminase_and_2_x_uln_bilirubin():
    rows = []
    for subject, alt, ast, bili in (("A", 130, 20, 50), ("B", 20, 130, 10), ("C", 20, 20, 50)):
        rows += [(subject, "ALT", 2, alt, 0, 40, "", "2021-05-03"), (subject, "AST", 2, ast, 0, 40, "", "2021-05-03"),
                 (subject, "BILI", 2, bili, 0, 20, "", "2021-05-03")]
    points = L.edish_points(_index(rows), SafetyLabs()).set_index("USUBJID")
    assert points.loc["A", "QUADRANT"] == "Potential Hy's law"      # 3.25 x ULN, 2.5 x ULN
    assert points.loc["B", "QUADRANT"] == "Temple's corollary"      # AST 3.25 x ULN, bilirubin 0.5
    assert points.loc["C", "QUADRANT"] == "Hyperbilirubinaemia"
    assert points.loc["A", "TRANS_ULN"] == pytest.approx(3.25)
    counts = L.edish_quadrants(points.reset_index(), POP).set_index("QUADRANT")["N"]
    assert counts.to_dict() == {"Potential Hy's law": 1, "Temple's corollary": 1, "Hyperbilirubinaemia": 1,
                                "Normal range": 0}


def test_edish_ignores_baseline_values():
    rows = [("A", "ALT", 1, 400, 0, 40, "Y", "2021-05-01"), ("A", "ALT", 2, 20, 0, 40, "", "2021-05-03"),
            ("A", "BILI", 2, 10, 0, 20, "", "2021-05-03")]
    points = L.edish_points(_index(rows), SafetyLabs())
    assert points["QUADRANT"].tolist() == ["Normal range"]


def test_creatinine_rise_bands():
    rows = [("A", "CREAT", 1, 1.0, 0.5, 1.2, "Y", "2021-05-01"), ("A", "CREAT", 2, 2.1, 0.5, 1.2, "", "2021-05-03"),
            ("B", "CREAT", 1, 1.0, 0.5, 1.2, "Y", "2021-05-01"), ("B", "CREAT", 2, 1.2, 0.5, 1.2, "", "2021-05-03")]
    rise = L.creatinine_rise(_index(rows)["CREAT"], POP).set_index("USUBJID")
    assert rise.loc["A", "BAND"] == "2 to < 3 x baseline"
    assert rise.loc["B", "BAND"] == "< 1.5 x baseline"
    assert rise.loc["C", "BAND"] == "No baseline or no later value"
    bands = L.creatinine_bands_by_arm(rise.reset_index(), POP, ARM)
    assert bands[(bands["GROUP"] == "Group A") & (bands["BAND"] == "2 to < 3 x baseline")]["N"].tolist() == [1]


def test_visit_summary_gives_box_statistics_and_skips_unscheduled_visits():
    rows = [(s, "ALT", 2, v, 0, 40, "", "2021-05-03") for s, v in zip("ABC", (10, 20, 30))]
    rows.append(("A", "ALT", 2.1, 99, 0, 40, "", "2021-05-04"))
    summary = L.lab_visit_summary(_index(rows)["ALT"])
    row = summary.iloc[0]
    assert len(summary) == 1 and row["N"] == 3 and row["MEDIAN"] == 20
    assert row["Q1"] == 15 and row["Q3"] == 25 and row["LOWERFENCE"] == 10 and row["UPPERFENCE"] == 30
    by_arm = L.lab_visit_summary_by_arm(_index(rows)["ALT"], ARM)
    assert by_arm.set_index("GROUP")["N"].to_dict() == {"Group A": 2, "Group B": 1, "All subjects": 3}


def test_spaghetti_sample_is_the_first_subjects_by_id():
    rows = [(s, "ALT", 2, 10, 0, 40, "", "2021-05-03") for s in ("C", "A", "B")]
    sample, total = spaghetti_sample(_index(rows)["ALT"], 2, day="LBDY")
    assert sorted(sample["USUBJID"].unique()) == ["A", "B"] and total == 3


def test_lab_tests_lists_numeric_tests():
    tests = L.lab_tests(lb([("A", "ALT", 2, 10, 0, 40, "", "2021-05-03")]))
    assert tests["TESTCD"].tolist() == ["ALT"]


def test_units_come_from_lbstresu_else_from_the_configuration():
    """Every lab value a board member reads carries its unit: the reported standard unit, or the unit the
    trial configures for the test when the export leaves LBSTRESU empty."""
    frame = lb([("A", "ALT", 1, 20, 10, 40, "Y", "2021-05-01"), ("A", "CRP", 1, 5, 0, 10, "Y", "2021-05-01"),
                ("A", "XYZ", 1, 5, 0, 10, "Y", "2021-05-01")])
    frame.loc[frame["LBTESTCD"] != "ALT", "LBSTRESU"] = None
    units = L.test_units(frame, {"CRP": "mg/L", "ALT": "ignored"})
    assert units.to_dict() == {"ALT": "U/L", "CRP": "mg/L", "XYZ": ""}
    index = L.split_by_test(frame, POP["USUBJID"], {"CRP": "mg/L"})
    assert index["CRP"]["LBSTRESU"].tolist() == ["mg/L"]
    assert L.lab_tests(frame, {"CRP": "mg/L"}).set_index("TESTCD")["UNIT"].to_dict() == units.to_dict()
    assert L.with_unit("C-reactive protein", "mg/L") == "C-reactive protein (mg/L)"
    assert L.with_unit("Other", "") == "Other"


def test_baseline_and_change_from_baseline_are_summarised_with_their_unit():
    """The baseline table shows baseline values and changes from baseline in the unit of the test."""
    index = _index([("A", "ALT", 1, 20, 10, 40, "Y", "2021-05-01"), ("A", "ALT", 2, 60, 10, 40, "", "2021-05-03"),
                    ("A", "ALT", 3, 15, 10, 40, "", "2021-05-05"),
                    ("B", "ALT", 1, 30, 10, 40, "Y", "2021-05-01"), ("B", "ALT", 2, 35, 10, 40, "", "2021-05-03"),
                    ("C", "ALT", 2, 90, 10, 40, "", "2021-05-03")])   # C: no baseline, so nothing post-baseline
    summary = L.lab_baseline_summary(index["ALT"], POP).set_index("STAT")
    assert summary.loc["BASE", ["N", "MEDIAN"]].tolist() == [2, 25.0]
    assert summary.loc["HIGH", ["N", "MEDIAN"]].tolist() == [2, 47.5]                              # 60, 35
    assert summary.loc["CHG_HIGH", ["N", "MEDIAN", "Q1", "Q3"]].tolist() == [2, 22.5, 13.75, 31.25]  # +40, +5
    assert summary.loc["CHG_LOW", "MEDIAN"] == 0.0                                                 # -5, +5
    rows = ST.baseline_rows(summary.reset_index(), ["All subjects"], "U/L")
    assert rows[0] == ["Baseline (U/L)", "25.0 (22.5 to 27.5), n=2"]              # one rounding per test (O13)
    assert rows[2][0] == "Change from baseline to the highest value (U/L)"
    by_arm = L.lab_baseline_summary_by_arm(index["ALT"], POP, ARM)
    base = by_arm[by_arm["STAT"] == "BASE"].set_index("GROUP")["N"].to_dict()
    assert base == {"Group A": 1, "Group B": 1, "All subjects": 2}
    assert L.normal_range_text(index["ALT"], "U/L") == "normal range 10 to 40 U/L"


def test_a_test_reported_in_several_units_is_named_so_values_are_not_pooled_unnoticed():
    rows = pd.DataFrame({"LBSTRESU": ["g/L", "g/dL", None, " g/L ", ""]})
    assert L.reported_units(rows) == ["g/L", "g/dL"]
    assert L.reported_units(pd.DataFrame({"LBSTRESU": ["U/L", "U/L"]})) == ["U/L"]
