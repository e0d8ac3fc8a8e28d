"""Forest plot (issue 12, effect displays): each row drawn at the value its label states, zero always on the
axis, "favours <arm>" on each side by the row's own direction, one legend entry per comparison, any number of
arms each against the reference arm. Reference values are computed here by hand or with statsmodels."""

from __future__ import annotations

import numpy as np
import outcomes_frames as F
import pandas as pd
import pytest
from statsmodels.stats.meta_analysis import effectsize_smd

from dashboard.analysis import effects as X
from dashboard.figures import effects as effect_figures
from dashboard.figures.common import stamp_text

CLOSED = stamp_text("2021-07-10", True)
TWO = ("Group A", "Group B")
THREE = ("Drug low", "Drug high", "Placebo")          # the reference is not the first arm displayed


def change_frame(by_arm: dict[str, list[float]]) -> tuple[pd.DataFrame, pd.Series]:
    """A visit_values frame of changes at DAY 7 (VISITNUM 5), and arm_of."""
    rows, arms = [], {}
    for k, (arm, changes) in enumerate(by_arm.items()):
        for i, change in enumerate(changes):
            usubjid = f"{k}-{i:03d}"
            rows.append({"USUBJID": usubjid, "VISITNUM": 5.0, "VALUE": change, "BASE": 0.0, "CHG": change})
            arms[usubjid] = arm
    return pd.DataFrame(rows), F.arms(arms, order=tuple(by_arm))


def markers(fig, yaxis: str) -> list:
    return [t for t in fig.data if t.mode == "markers" and t.yaxis == yaxis]


def column(fig, name: str, yaxis: str) -> dict[str, str]:
    """Row label -> text of one text column ("detail", "favours-left", "favours-right") of a panel."""
    trace = next(t for t in fig.data if t.name == name and t.yaxis == yaxis)
    return dict(zip(trace.y, trace.text))


def test_a_risk_difference_of_minus_30_points_is_drawn_at_minus_30():
    times, arm_of = F.event_counts({"Group A": (9, 20), "Group B": (3, 20)})
    rows = X.forest_rows([], [X.event_effects(times, F.DEATH, arm_of, "Group A")])
    fig = effect_figures.effects_forest_figure(rows, CLOSED, arms=TWO, reference="Group A")
    expected = 100 * (3 / 20 - 9 / 20)                                   # -30 points, by hand
    (points,) = markers(fig, "y2")
    assert list(points.x) == pytest.approx([expected])
    (detail,) = column(fig, "detail", "y2").values()
    assert detail.startswith("RD -30.0 pts")
    assert fig.layout.xaxis2.zeroline is True


def test_a_measured_outcome_is_drawn_at_hedges_g_with_the_sign_of_its_delta():
    """As the pilot's ALT row: the change rose more in the arm (Δ > 0, lower is better) and must sit right of 0."""
    arm, ref = [4.0, 6.0, 7.0, 9.0, 5.0], [1.0, 2.0, 0.0, 3.0, 2.0]
    frame, arm_of = change_frame({"Group A": ref, "Group B": arm})
    rows = X.forest_rows([X.change_effects(frame, F.CRP, F.VISITS, arm_of, "Group A")], [])
    fig = effect_figures.effects_forest_figure(rows, CLOSED, arms=TWO, reference="Group A")
    a, b = np.array(arm), np.array(ref)
    g, var = effectsize_smd(a.mean(), a.std(ddof=1), len(a), b.mean(), b.std(ddof=1), len(b))
    (points,) = markers(fig, "y")
    assert list(points.x) == pytest.approx([g]) and g > 0
    assert points.error_x.arrayminus[0] == pytest.approx(1.959964 * np.sqrt(var), rel=1e-5)
    (detail,) = column(fig, "detail", "y").values()
    assert f"Δ +{a.mean() - b.mean():.3g} mg/L" in detail and detail.startswith("g +")


def test_each_row_says_which_arm_each_side_favours_by_its_own_direction():
    frame, arm_of = change_frame({"Group A": [1.0, 2.0, 4.0], "Group B": [2.0, 3.0, 7.0]})
    times, events_arm_of = F.event_counts({"Group A": (3, 5), "Group B": (1, 5)})
    measured = [X.change_effects(frame, o, F.VISITS, arm_of, "Group A") for o in (F.SPO2, F.CRP)]
    happened = [X.event_effects(times, e, events_arm_of, "Group A") for e in (F.DEATH, F.DISCHARGE)]
    fig = effect_figures.effects_forest_figure(X.forest_rows(measured, happened), CLOSED, arms=TWO, reference="Group A")
    left = column(fig, "favours-left", "y") | column(fig, "favours-left", "y2")
    right = column(fig, "favours-right", "y") | column(fig, "favours-right", "y2")
    by_label = {label.split(" (")[0].split(" · ")[0]: (left[label], right[label]) for label in left}
    # arm - reference > 0 means a higher value in Group B: good for SpO2 and discharges, bad for CRP and deaths
    assert by_label["SpO2"] == ("← favours Group A", "favours Group B →")
    assert by_label["Discharge from hospital"] == ("← favours Group A", "favours Group B →")
    assert by_label["C-reactive protein"] == ("← favours Group B", "favours Group A →")
    assert by_label["Death"] == ("← favours Group B", "favours Group A →")


def test_both_panels_always_include_zero_even_when_every_interval_is_on_one_side():
    frame, arm_of = change_frame({"Group A": [0.0, 0.5, 1.0, 0.2, 0.4, 0.1],
                                  "Group B": [10.0, 10.5, 11.0, 10.2, 10.4, 10.1]})
    times, events_arm_of = F.event_counts({"Group A": (0, 30), "Group B": (25, 30)})
    measured = X.change_effects(frame, F.SPO2, F.VISITS, arm_of, "Group A")
    assert measured["G_LOW"].iloc[0] > 1                                 # the whole interval is far right of 0
    happened = X.event_effects(times, F.DEATH, events_arm_of, "Group A")
    assert happened["LOW"].iloc[0] > 0.5
    fig = effect_figures.effects_forest_figure(X.forest_rows([measured], [happened]), CLOSED, arms=TWO,
                                       reference="Group A")
    for axis in (fig.layout.xaxis, fig.layout.xaxis2):
        low, high = axis.range
        assert low < 0 < high and axis.zeroline is True
    assert fig.layout.xaxis.range[1] > measured["G_HIGH"].iloc[0]
    assert fig.layout.xaxis2.range[1] > 100 * happened["HIGH"].iloc[0]


def three_arm_rows() -> pd.DataFrame:
    frame, arm_of = change_frame({"Drug low": [1.0, 2.0, 4.0], "Drug high": [3.0, 5.0, 4.0],
                                  "Placebo": [0.0, 1.0, 0.5]})
    times, t_arm_of = F.event_counts({"Drug low": (2, 10), "Drug high": (4, 10), "Placebo": (1, 10)})
    return X.forest_rows([X.change_effects(frame, F.SPO2, F.VISITS, arm_of, "Placebo")],
                         [X.event_effects(times, F.DEATH, t_arm_of, "Placebo")])


def test_three_arms_are_each_compared_with_the_configured_reference_and_labelled_so():
    rows = three_arm_rows()
    assert rows["ARM"].tolist() == ["Drug low", "Drug high", "Drug low", "Drug high"]
    assert set(rows["REFERENCE"]) == {"Placebo"}
    outcome = rows[rows["KIND"] == "outcome"].set_index("ARM")["ESTIMATE"]
    assert outcome["Drug low"] == pytest.approx(7 / 3 - 0.5) and outcome["Drug high"] == pytest.approx(4 - 0.5)
    event = rows[rows["KIND"] == "event"].set_index("ARM")["ESTIMATE"]
    assert event["Drug high"] == pytest.approx(0.4 - 0.1)
    fig = effect_figures.effects_forest_figure(rows, CLOSED, arms=THREE, reference="Placebo")
    assert "each arm vs Placebo (reference)" in fig.layout.title.text
    labels = [y for t in markers(fig, "y") + markers(fig, "y2") for y in t.y]
    assert len(labels) == 4 and all(y.endswith(("Drug low vs Placebo", "Drug high vs Placebo")) for y in labels)
    assert "arm − Placebo" in fig.layout.xaxis.title.text and "arm − Placebo" in fig.layout.xaxis2.title.text


def test_the_legend_lists_each_comparison_once():
    fig = effect_figures.effects_forest_figure(three_arm_rows(), CLOSED, arms=THREE, reference="Placebo")
    legend = [t.name for t in fig.data if t.showlegend is not False and t.mode == "markers"]
    assert legend == ["Drug low vs Placebo", "Drug high vs Placebo"]


def test_two_arms_name_the_reference_in_the_title():
    times, arm_of = F.event_counts({"Group A": (2, 10), "Group B": (4, 10)})
    rows = X.forest_rows([], [X.event_effects(times, F.DEATH, arm_of, "Group A")])
    fig = effect_figures.effects_forest_figure(rows, CLOSED, arms=TWO, reference="Group A")
    assert "Group B vs Group A (reference)" in fig.layout.title.text
