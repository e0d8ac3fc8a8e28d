"""Between-arm effects: reference arm, risk differences (Newcombe), forest rows oriented by benefit."""

from __future__ import annotations

import math

import numpy as np
import outcomes_frames as F
import pandas as pd
import pytest
from statsmodels.stats.meta_analysis import effectsize_smd

from dashboard.analysis import effects as X
from dashboard.config import PROJECT_ROOT, EventSource, load_trial_config

DEMO_CODING = PROJECT_ROOT / "data" / "exports" / "NCT05019287" / "final" / "coding.csv"


def change_frame(by_arm: dict[str, list[float]], visitnum: float = 5.0) -> tuple[pd.DataFrame, pd.Series]:
    """A visit_values frame of changes at one visit, and arm_of."""
    rows, arms = [], {}
    for arm, changes in by_arm.items():
        for i, change in enumerate(changes):
            usubjid = f"{arm[-1]}{i:03d}"
            rows.append({"USUBJID": usubjid, "VISITNUM": visitnum, "VALUE": change, "BASE": 0.0, "CHG": change})
            arms[usubjid] = arm
    return pd.DataFrame(rows), F.arms(arms, order=tuple(by_arm))


def test_the_reference_is_the_first_coded_arm_and_keeps_its_identity_after_unmasking():
    coding = pd.read_csv(DEMO_CODING, dtype=str)          # the demo cut's key, as armed trial data carries it
    config = load_trial_config().with_coding(dict(zip(coding["ARMCD"], coding["CODED_LABEL"])))
    assert X.comparison_reference(config, coded=True) == "Group A"
    coded_a = next(a for a in config.arms if a.coded_label == "Group A")
    assert X.comparison_reference(config, coded=False) == coded_a.label


def test_risk_difference_matches_newcombe_1998_example():
    """Newcombe (1998b), example (a): 56/70 vs 48/80, hybrid score interval 0.0524 to 0.3339."""
    times, arm_of = F.event_counts({"Group A": (48, 80), "Group B": (56, 70)})
    row = X.risk_differences(times, arm_of, "Group A").iloc[0]
    assert (row["ARM"], row["EVENTS_ARM"], row["N_ARM"], row["EVENTS_REF"], row["N_REF"]) == \
        ("Group B", 56, 70, 48, 80)
    assert row["DIFF"] == pytest.approx(0.2)
    assert (row["LOW"], row["HIGH"]) == pytest.approx((0.0524, 0.3339), abs=1e-4)


def test_risk_difference_with_no_events_anywhere_is_zero_with_an_interval():
    times, arm_of = F.event_counts({"Group A": (0, 14), "Group B": (0, 15)})
    row = X.risk_differences(times, arm_of, "Group A").iloc[0]
    assert row["DIFF"] == 0 and row["LOW"] < 0 < row["HIGH"]


def test_risk_difference_with_an_empty_arm_is_not_computed():
    assert all(math.isnan(v) for v in X.risk_difference(1, 5, 0, 0))


def test_hedges_g_from_statsmodels_matches_borenstein():
    """Borenstein et al. 2009, ch. 4: means 103 vs 100, SD 5.5 and 4.5, n 50 each: g = 0.5924, V(g) ~ 0.0411."""
    g, var = effectsize_smd(103, 5.5, 50, 100, 4.5, 50)
    assert g == pytest.approx(0.5924, abs=1e-4)
    assert var == pytest.approx(0.0411, rel=0.02)


def test_forest_row_keeps_the_sign_of_arm_minus_reference_whatever_the_preferred_direction():
    frame, arm_of = change_frame({"Group A": [-1.0, 0.0, 1.0, 2.0], "Group B": [-5.0, -4.0, -3.0, -2.0]})
    row = X.change_effects(frame, F.CRP, F.VISITS, arm_of, "Group A").iloc[0]
    assert row["ESTIMATE"] == pytest.approx(-4.0)  # B - A in native units
    assert row["VISIT"] == "DAY 7" and (row["N_ARM"], row["N_REF"]) == (4, 4)
    a, b = np.array([-5.0, -4.0, -3.0, -2.0]), np.array([-1.0, 0.0, 1.0, 2.0])
    g, _ = effectsize_smd(a.mean(), a.std(ddof=1), 4, b.mean(), b.std(ddof=1), 4)
    assert row["G"] == pytest.approx(g) and row["G"] < 0  # not mirrored because lower is better for CRP
    assert row["G_LOW"] < row["G"] < row["G_HIGH"]
    same = X.change_effects(frame, F.SPO2, F.VISITS, arm_of, "Group A").iloc[0]
    assert same["G"] == pytest.approx(row["G"])  # the direction only changes which side is favoured


def test_forest_falls_back_to_the_latest_visit_with_two_subjects_per_arm():
    early, arm_of = change_frame({"Group A": [1.0, 2.0], "Group B": [3.0, 5.0]}, visitnum=3.0)
    late = early.iloc[[0, 2]].assign(VISITNUM=5.0)  # only one subject per arm reached day 7
    row = X.change_effects(pd.concat([early, late]), F.SPO2, F.VISITS, arm_of, "Group A").iloc[0]
    assert row["VISIT"] == "DAY 3" and row["ESTIMATE"] == pytest.approx(2.5)


def test_forest_row_without_enough_data_is_kept_empty():
    frame, arm_of = change_frame({"Group A": [1.0], "Group B": [2.0]})
    row = X.change_effects(frame, F.SPO2, F.VISITS, arm_of, "Group A").iloc[0]
    assert row["VISIT"] == "" and math.isnan(row["ESTIMATE"]) and row["N_ARM"] == 0


def test_event_rows_keep_the_risk_difference_as_it_is_for_deaths_and_discharges():
    times, arm_of = F.event_counts({"Group A": (6, 20), "Group B": (2, 20)})
    death = X.event_effects(times, F.DEATH, arm_of, "Group A").iloc[0]
    assert death["ESTIMATE"] == pytest.approx(2 / 20 - 6 / 20) and not death["HIGHER_IS_BETTER"]
    discharge = X.event_effects(times, F.DISCHARGE, arm_of, "Group A").iloc[0]
    assert discharge["ESTIMATE"] == pytest.approx(-0.2) and discharge["HIGHER_IS_BETTER"]
    assert X.event_is_good(EventSource("x", "X", "PR", "INTUBATION")) is False


def test_event_summary_by_arm_has_proportions_difference_and_log_rank():
    times, arm_of = F.event_counts({"Group A": (6, 20), "Group B": (2, 20)})
    table = X.event_summary_by_arm([F.DEATH], [times], arm_of, "Group A").set_index("ARM")
    assert table.loc["Group A", ["N", "EVENTS"]].tolist() == [20, 6]
    assert math.isnan(table.loc["Group A", "DIFF"]) and table.loc["Group B", "DIFF"] == pytest.approx(-0.2)
    assert 0 < table.loc["Group B", "P"] < 1


def test_forest_rows_keep_configuration_order_outcomes_first():
    frame, arm_of = change_frame({"Group A": [1.0, 2.0, 4.0], "Group B": [2.0, 3.0, 7.0]})
    times, _ = F.event_counts({"Group A": (1, 3), "Group B": (0, 3)})
    rows = X.forest_rows([X.change_effects(frame, o, F.VISITS, arm_of, "Group A") for o in (F.SPO2, F.CRP)],
                         [X.event_effects(times, F.DEATH, arm_of, "Group A")])
    assert rows["LABEL"].tolist() == ["SpO2", "C-reactive protein", "Death"]
    assert rows["KIND"].tolist() == ["outcome", "outcome", "event"]
    assert np.isfinite(rows.loc[rows["KIND"] == "outcome", "G"]).all()
    assert np.isfinite(rows.loc[rows["KIND"] == "event", "ESTIMATE"]).all()
    assert X.forest_rows([], []).empty
