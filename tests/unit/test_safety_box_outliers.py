"""Issue 12, Distributions: a lab box plot draws every value beyond the whiskers, with its subject on hover; the
pooled figure carries no arm."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from dashboard.analysis import labs
from dashboard.figures import safety_labs as fig_labs
from tests.unit import safety_frames as sf

VALUES = {f"S{i}": v for i, v in enumerate([10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 45.0, -20.0, 12.5])}
ARM = pd.Series({s: ("Group A" if i % 2 else "Group B") for i, s in enumerate(VALUES)},
                dtype=pd.CategoricalDtype(["Group A", "Group B"]))


def _rows() -> pd.DataFrame:
    lb = sf.lb([(s, "ALT", 2, v, 0.0, 40.0, "", "2021-05-05") for s, v in VALUES.items()])
    return labs.split_by_test(lb, pd.Series(list(VALUES)))["ALT"]


def _reference_outliers(values: pd.Series) -> set[str]:
    q1, q3 = np.percentile(values.to_numpy(), [25, 75])
    low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    return set(values[(values < low) | (values > high)].index)


def test_every_value_beyond_the_whiskers_is_sent_with_its_subject():
    expected = _reference_outliers(pd.Series(VALUES))
    assert expected == {"S7", "S8"}
    outliers = labs.lab_visit_outliers(_rows())
    assert set(outliers["USUBJID"]) == expected
    assert sorted(outliers["LBSTRESN"]) == sorted(VALUES[s] for s in expected)


def test_the_pooled_box_plot_draws_the_outliers_and_names_subjects_not_arms():
    rows = _rows()
    fig = fig_labs.lab_box_figure(labs.lab_visit_summary(rows), "ALT", "U/L", "stamp",
                                  outliers=labs.lab_visit_outliers(rows))
    points = [t for t in fig.data if t.type == "scatter" and t.mode == "markers"]
    assert len(points) == 1
    assert sorted(points[0].y) == sorted([VALUES["S7"], VALUES["S8"]])
    assert {row[0] for row in points[0].customdata} == {"S7", "S8"}
    text = json.dumps(fig.to_plotly_json(), default=str)
    assert "Group A" not in text and "Group B" not in text


def test_by_arm_each_arm_gets_its_own_outliers():
    rows = _rows()
    outliers = labs.lab_visit_outliers_by_arm(rows, ARM)
    for arm in ("Group A", "Group B"):
        own = pd.Series({s: v for s, v in VALUES.items() if ARM[s] == arm})
        assert set(outliers.loc[outliers["GROUP"] == arm, "USUBJID"]) == _reference_outliers(own)
    fig = fig_labs.lab_box_figure(labs.lab_visit_summary_by_arm(rows, ARM), "ALT", "U/L", "stamp",
                                  arm_labels=["Group A", "Group B"], outliers=outliers)
    drawn = {row[0] for t in fig.data if t.type == "scatter" and t.mode == "markers" for row in t.customdata}
    assert drawn == set(outliers.loc[outliers["GROUP"].isin(["Group A", "Group B"]), "USUBJID"])
