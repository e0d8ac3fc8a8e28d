"""Trajectory summaries by visit (pooled and by arm) and the between-arm difference in change from baseline."""

from __future__ import annotations

import inspect
import math

import numpy as np
import outcomes_frames as F
import pandas as pd
import pytest

from dashboard.analysis import trajectories as T
from dashboard.analysis.outcomes import post_baseline_visits

# Student's sleep data (Cushny & Peebles), as in R's `?sleep`: extra hours of sleep with two drugs.
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def visit_frame(rows: list[tuple[str, float, float, float]]) -> pd.DataFrame:
    """A visit_values frame from (USUBJID, VISITNUM, VALUE, BASE)."""
    frame = pd.DataFrame(rows, columns=["USUBJID", "VISITNUM", "VALUE", "BASE"])
    return frame.assign(CHG=frame["VALUE"] - frame["BASE"])


def test_pooled_median_and_quartiles_per_visit_with_n():
    frame = visit_frame([("S1", 3, 1, 0), ("S2", 3, 2, 0), ("S3", 3, 3, 0), ("S4", 3, 4, 0), ("S1", 4, 10, 0)])
    summary = T.pooled_summary(frame, F.VISITS).set_index("VISITNUM")
    assert summary.loc[3.0, ["N", "CENTER", "LOW", "HIGH"]].tolist() == [4, 2.5, 1.75, 3.25]
    assert summary.loc[4.0, "N"] == 1 and summary.loc[4.0, "CENTER"] == 10
    assert summary.loc[5.0, "N"] == 0 and math.isnan(summary.loc[5.0, "CENTER"])  # visit not reached yet
    assert summary["VISIT"].tolist() == [v.name for v in F.VISITS]


def test_mean_and_95_ci_match_the_t_interval_of_the_sleep_data():
    """R: t.test(extra[1:10] - extra[11:20]) gives mean 1.58, 95 % CI 0.7001142 to 2.4598858."""
    differences = np.array(SLEEP_2) - np.array(SLEEP_1)
    frame = visit_frame([(f"S{i}", 3, d, 0) for i, d in enumerate(differences)])
    row = T.pooled_summary(frame, F.VISITS, stat="mean").set_index("VISITNUM").loc[3.0]
    assert row["CENTER"] == pytest.approx(1.58)
    assert (row["LOW"], row["HIGH"]) == pytest.approx((0.7001142, 2.4598858), abs=1e-6)


def test_a_single_subject_has_a_mean_but_no_interval():
    row = T.pooled_summary(visit_frame([("S1", 3, 5, 0)]), F.VISITS, stat="mean").set_index("VISITNUM").loc[3.0]
    assert row["N"] == 1 and row["CENTER"] == 5 and math.isnan(row["LOW"])


def test_summary_by_arm_has_every_arm_and_visit_in_display_order():
    frame = visit_frame([("S1", 3, 1, 0), ("S2", 3, 3, 0), ("S3", 3, 5, 0)])
    arm_of = F.arms({"S1": "Group A", "S2": "Group B", "S3": "Group B"})
    summary = T.summary_by_arm(frame, F.VISITS, arm_of)
    assert len(summary) == 2 * len(F.VISITS)
    assert summary["ARM"].astype(str).unique().tolist() == ["Group A", "Group B"]
    day3 = summary[summary["VISITNUM"] == 3.0].set_index("ARM")
    assert day3.loc["Group A", "N"] == 1 and day3.loc["Group B", "CENTER"] == 4


def test_change_summary_counts_only_subjects_with_a_baseline():
    frame = visit_frame([("S1", 3, 5, 1), ("S2", 3, 6, np.nan)])
    summary = T.pooled_summary(frame, post_baseline_visits(F.VISITS), column="CHG").set_index("VISITNUM")
    assert summary.loc[3.0, "N"] == 1 and summary.loc[3.0, "CENTER"] == 4
    assert 2.0 not in summary.index  # day 1 is baseline, not a change


def test_welch_difference_matches_r_for_the_sleep_data():
    """R: t.test(extra ~ group, data = sleep): CI -3.3654832 to 0.2054832, p = 0.07939."""
    diff, low, high, p = T.welch_difference(np.array(SLEEP_1), np.array(SLEEP_2))
    assert diff == pytest.approx(-1.58)
    assert (low, high) == pytest.approx((-3.3654832, 0.2054832), abs=1e-6)
    assert p == pytest.approx(0.07939, abs=1e-5)


def test_welch_difference_needs_two_subjects_per_arm():
    assert all(math.isnan(x) for x in T.welch_difference(np.array([1.0]), np.array([1.0, 2.0])))


def test_change_differences_are_arm_minus_reference_at_each_visit():
    rows = [(f"A{i}", 3, v, 0) for i, v in enumerate(SLEEP_2)] + [(f"B{i}", 3, v, 0) for i, v in enumerate(SLEEP_1)]
    arm_of = F.arms({**{f"A{i}": "Group A" for i in range(10)}, **{f"B{i}": "Group B" for i in range(10)}})
    result = T.change_differences(visit_frame(rows), post_baseline_visits(F.VISITS), arm_of, "Group A")
    day3 = result.set_index("VISITNUM").loc[3.0]
    assert day3["ARM"] == "Group B" and day3["REFERENCE"] == "Group A"
    assert (day3["N_ARM"], day3["N_REF"]) == (10, 10)
    assert day3["DIFF"] == pytest.approx(-1.58)
    assert (day3["LOW"], day3["HIGH"]) == pytest.approx((-3.3654832, 0.2054832), abs=1e-6)
    later = result.set_index("VISITNUM").loc[5.0]  # nobody reached day 7: no estimate, n 0
    assert later["N_ARM"] == 0 and math.isnan(later["DIFF"])


def test_three_arms_are_each_compared_with_the_reference():
    rows = [(f"{arm}{i}", 3, v + k, 0) for k, arm in enumerate("ABC") for i, v in enumerate([1.0, 2.0, 4.0])]
    arm_of = F.arms({f"{arm}{i}": f"Group {arm}" for arm in "ABC" for i in range(3)},
                    order=("Group A", "Group B", "Group C"))
    result = T.change_differences(visit_frame(rows), [F.VISITS[2]], arm_of, "Group A")
    assert result["ARM"].tolist() == ["Group B", "Group C"]
    assert result["DIFF"].tolist() == pytest.approx([1.0, 2.0])


def test_pooled_functions_never_take_the_allocation():
    assert "arm_of" not in inspect.signature(T.pooled_summary).parameters
