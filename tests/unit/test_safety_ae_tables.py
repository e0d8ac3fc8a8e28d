"""Overview, incidence by SOC / PT, maximum severity, ordering, expansion and Newcombe risk differences."""

import numpy as np
import pandas as pd
import pytest

from dashboard.analysis import ae as A
from dashboard.analysis import safety as S
from safety_frames import ae, small_trial

ARM = pd.Series(pd.Categorical(["Group A", "Group B", "Group A", "Group B"], categories=["Group A", "Group B"]),
                index=["S1", "S2", "S3", "S4"])


@pytest.fixture
def teae():
    d = small_trial()
    pop = S.safety_population(d["DM"], d["EX"])
    return S.treatment_emergent(S.adverse_events(d["AE"], pop)), pop


def test_overview_counts_subjects_and_events(teae):
    events, pop = teae
    table = A.ae_overview(events, pop).set_index("CATEGORY")
    assert table.loc["ANY", ["n0", "ev0", "N0"]].tolist() == [3, 4, 3]
    assert table.loc["SERIOUS", "n0"] == 1 and table.loc["FATAL", "n0"] == 1
    assert table.loc["DISCONT", "n0"] == 1 and table.loc["RELATED", "n0"] == 1
    assert table.loc["ANY", "pct0"] == pytest.approx(100.0)
    assert not any(c.startswith("n1") for c in table.columns)  # pooled: one group only


def test_overview_by_arm_has_each_arm_then_total(teae):
    events, pop = teae
    table = A.ae_overview_by_arm(events, pop, ARM).set_index("CATEGORY")
    # S1, S3 in Group A (N 2); S2 in Group B (N 1: S4 was never dosed)
    assert table.loc["ANY", ["n0", "N0", "n1", "N1", "n2", "N2"]].tolist() == [2, 2, 1, 1, 3, 3]
    assert table.loc["SERIOUS", ["n0", "n1"]].tolist() == [0, 1]


def test_a_subject_with_two_events_in_one_class_counts_once():
    pop = pd.DataFrame({"USUBJID": ["A", "B"], "FIRSTDOSE": pd.to_datetime(["2021-05-01"] * 2)})
    frame = ae([{"USUBJID": "A", "AESEQ": 1, "AEDECOD": "Headache", "AEBODSYS": "Nervous", "AESTDTC": "2021-05-02"},
                {"USUBJID": "A", "AESEQ": 2, "AEDECOD": "Dizziness", "AEBODSYS": "Nervous", "AESTDTC": "2021-05-03"},
                {"USUBJID": "A", "AESEQ": 3, "AEDECOD": "Headache", "AEBODSYS": "Nervous", "AESTDTC": "2021-05-04"}])
    events = S.adverse_events(frame, pop)
    table = A.ae_incidence(events, pop).set_index(["LEVEL", "AEDECOD"])
    assert table.loc[("SOC", ""), ["n0", "ev0", "pct0"]].tolist() == [1, 3, 50.0]
    assert table.loc[("PT", "Headache"), ["n0", "ev0"]].tolist() == [1, 2]
    assert table.loc[("ALL", ""), "n0"] == 1


def test_no_events_still_gives_the_any_row():
    pop = pd.DataFrame({"USUBJID": ["A"], "FIRSTDOSE": pd.to_datetime(["2021-05-01"])})
    events = S.adverse_events(pd.DataFrame(), pop)
    table = A.ae_incidence(events, pop)
    assert table["LEVEL"].tolist() == ["ALL"] and table["n0"].tolist() == [0]
    assert A.ae_overview(events, pop)["n0"].sum() == 0
    assert A.ae_max_severity(events, pop)["n0_SEVERE"].tolist() == [0]


def test_maximum_severity_counts_each_subject_once_at_the_worst():
    pop = pd.DataFrame({"USUBJID": ["A", "B"], "FIRSTDOSE": pd.to_datetime(["2021-05-01"] * 2)})
    frame = ae([{"USUBJID": "A", "AESEQ": 1, "AEDECOD": "Headache", "AESTDTC": "2021-05-02", "AESEV": "MILD"},
                {"USUBJID": "A", "AESEQ": 2, "AEDECOD": "Headache", "AESTDTC": "2021-05-03", "AESEV": "SEVERE"},
                {"USUBJID": "B", "AESEQ": 1, "AEDECOD": "Headache", "AESTDTC": "2021-05-03", "AESEV": None}])
    table = A.ae_max_severity(S.adverse_events(frame, pop), pop).set_index(["LEVEL", "AEDECOD"])
    row = table.loc[("PT", "Headache")]
    assert [row["n0_MILD"], row["n0_MODERATE"], row["n0_SEVERE"]] == [0, 0, 2]  # unknown counts as severe


@pytest.mark.parametrize("n1, N1, n0, N0, lo, hi", [
    (56, 70, 48, 80, 0.0524, 0.3339),   # Newcombe (1998) Table II, method 10, example (a)
    (9, 10, 3, 10, 0.1705, 0.8090),     # (b)
    (6, 7, 2, 7, 0.0582, 0.8062),       # (c)
    (10, 10, 0, 10, 0.6075, 1.0000),    # (h)
    (5, 56, 0, 29, -0.0381, 0.1926),    # (d)
    (0, 10, 0, 20, -0.1611, 0.2775),    # (e)
    (10, 10, 0, 20, 0.6791, 1.0000),    # (g)
])
def test_risk_difference_interval_matches_newcombe_1998(n1, N1, n0, N0, lo, hi):
    table = pd.DataFrame({"n0": [n0], "N0": [N0], "n1": [n1], "N1": [N1]})
    out = A.add_risk_differences(table, n_arms=2)
    assert out["rd1"].iloc[0] == pytest.approx(n1 / N1 - n0 / N0)
    assert out["lo1"].iloc[0] == pytest.approx(lo, abs=5e-5)
    assert out["hi1"].iloc[0] == pytest.approx(hi, abs=5e-5)


def test_risk_difference_is_missing_for_an_empty_arm():
    table = pd.DataFrame({"n0": [0], "N0": [0], "n1": [1], "N1": [3], "n2": [1], "N2": [3]})
    out = A.add_risk_differences(table, n_arms=3)
    assert np.isnan(out["rd1"].iloc[0]) and np.isnan(out["rd2"].iloc[0])


def test_three_arms_compare_each_against_the_first():
    pop = pd.DataFrame({"USUBJID": list("ABCDEF"), "FIRSTDOSE": pd.to_datetime(["2021-05-01"] * 6)})
    arms = pd.Series(pd.Categorical(list("XXYYZZ"), categories=["X", "Y", "Z"]), index=list("ABCDEF"))
    frame = ae([{"USUBJID": s, "AESEQ": 1, "AEDECOD": "Rash", "AESTDTC": "2021-05-02"} for s in "ACDEF"])
    table = A.ae_incidence_by_arm(S.adverse_events(frame, pop), pop, arms)
    rash = table[table["AEDECOD"] == "Rash"].iloc[0]
    assert [rash["n0"], rash["n1"], rash["n2"], rash["n3"]] == [1, 2, 2, 5]
    assert rash["rd1"] == pytest.approx(0.5) and rash["rd2"] == pytest.approx(0.5)


def test_order_puts_classes_by_incidence_with_their_terms_under_them(teae):
    events, pop = teae
    ordered = A.order_incidence(A.ae_incidence(events, pop), "incidence")
    assert ordered["LEVEL"].iloc[0] == "ALL"
    # Every class has 1 subject; ties alphabetical; each class is followed by its own terms
    assert ordered[["LEVEL", "AEBODSYS", "AEDECOD"]].values.tolist()[1:] == [
        ["SOC", "Infections", ""], ["PT", "Infections", "Pneumonia"],
        ["SOC", "Nervous system", ""], ["PT", "Nervous system", "Dizziness"], ["PT", "Nervous system", "Headache"],
        ["SOC", "Skin", ""], ["PT", "Skin", "Rash"]]


def test_visible_rows_show_terms_of_expanded_classes_only(teae):
    events, pop = teae
    ordered = A.order_incidence(A.ae_incidence(events, pop))
    shown = A.visible_rows(ordered, ["Skin"])
    assert shown[shown["LEVEL"] == "PT"]["AEDECOD"].tolist() == ["Rash"]
    assert len(A.visible_rows(ordered, None)) == len(ordered)


def test_forest_rows_take_terms_frequent_in_any_arm_highest_first():
    table = pd.DataFrame({"LEVEL": ["PT"] * 4, "AEBODSYS": ["X"] * 4, "AEDECOD": ["b", "a", "c", "d"],
                          "n0": [1, 2, 3, 0], "N0": [5] * 4, "n1": [1, 2, 2, 0], "N1": [5] * 4,
                          "n2": [2, 4, 5, 0], "N2": [10] * 4})
    assert A.forest_rows(table, 2)["AEDECOD"].tolist() == ["c", "a"]        # 60 %, 40 % in an arm
    assert A.forest_rows(table, 10)["AEDECOD"].tolist() == ["c", "a", "b"]  # d: 0 % everywhere


def test_every_group_column_header_names_its_number_of_subjects(teae):
    """As in a DSMB table, each arm column says how many subjects of the safety population it counts
    ('Group A (N=2)'), and the pooled column the whole safety population."""
    from dashboard.tables import safety as ST

    _, pop = teae
    arm = ARM[["S1", "S2", "S3"]]
    headers = ST.group_headers(S.group_sizes(pop, arm))
    assert headers == ["Group A (N=2)", "Group B (N=1)", "All subjects (N=3)"]
    assert ST.group_headers(S.group_sizes(pop, None)) == ["All subjects (N=3)"]
    columns = ST.incidence_columns(headers, ["Group B − Group A"], severity=False)
    assert [c["headerName"] for c in columns[2:5]] == headers
    assert [c["headerName"] for c in ST.overview_columns(headers)[1:]] == headers
