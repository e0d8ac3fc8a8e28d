"""The one survival toolkit (analysis/survival.py, figures/survival.py): one signature for the pooled and by-arm
forms, one result type, the median as the first time at or below one half, undated events counted and not drawn,
and bands that step like their curves. References are computed by hand in the test."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pandas as pd
import pytest

from dashboard.analysis import survival as SV
from dashboard.figures.survival import CurveStyle, median_label, survival_figure

ARMS = ("Group A", "Group B")


def _arm_of(ids) -> pd.Series:
    return pd.Series(pd.Categorical([ARMS[i % 2] for i in range(len(ids))], categories=list(ARMS)), index=list(ids))


def test_pooled_and_by_arm_share_one_signature_and_only_by_arm_takes_the_allocation():
    pooled, by_arm = inspect.signature(SV.pooled), inspect.signature(SV.by_arm)
    assert "arm_of" not in pooled.parameters and "arm_of" in by_arm.parameters
    assert set(pooled.parameters) == set(by_arm.parameters) - {"arm_of"}
    times = SV.times_frame(["S1", "S2"], [3.0, 9.0], [1, 0])
    one, two = SV.pooled(times, [0, 7]), SV.by_arm(times, [0, 7], arm_of=_arm_of(["S1", "S2"]))
    assert type(one) is type(two) is SV.Survival and one.test is None and two.test is not None
    assert list(one.curves.columns) == list(two.curves.columns) == SV.CURVE_COLUMNS


def test_the_median_is_where_one_half_meets_the_curve_the_midpoint_of_a_flat_at_one_half():
    # 4 subjects, events at 2 and 4, censored at 3 and 6: S(2) = 3/4, S(4) = 3/4 * 1/2 = 3/8 -> median 4
    times = SV.times_frame(["a", "b", "c", "d"], [2, 3, 4, 6], [1, 0, 1, 0])
    assert SV.pooled(times, [0]).medians["MEDIAN"].iloc[0] == 4.0
    # 2 subjects, one event at 5: S = 1/2 exactly from 5 to the end of follow-up at 8 -> the midpoint 6.5 (R, SAS)
    half = SV.times_frame(["a", "b"], [5, 8], [1, 0])
    assert SV.pooled(half, [0]).medians["MEDIAN"].iloc[0] == 6.5
    # 4 subjects, events at 2, 5 and 7: S = 1/2 exactly from 5 to the next drop at 7 -> 6, as for uncensored data
    flat = SV.times_frame(["a", "b", "c", "d"], [2, 5, 7, 9], [1, 1, 1, 0])
    assert SV.pooled(flat, [0]).medians["MEDIAN"].iloc[0] == 6.0
    never = SV.times_frame(["a", "b", "c"], [5, 8, 9], [1, 0, 0])
    assert math.isnan(SV.pooled(never, [0]).medians["MEDIAN"].iloc[0])
    assert median_label(SV.pooled(never, [0]).medians, SV.POOLED) == f"{SV.POOLED} · median not reached"


def test_an_event_of_unknown_day_is_counted_not_drawn():
    times = SV.times_frame(["a", "b", "c"], [np.nan, 4.0, 7.0], [1, 1, 0])
    result = SV.pooled(times, [0, 7])
    assert result.unknown_day == 1
    assert result.at_risk["AT_RISK"].tolist() == [2, 1]
    assert result.curves.loc[result.curves["EVENTS"] > 0, "SURV"].tolist() == [pytest.approx(0.5)]


def test_a_competing_event_makes_the_curve_aalen_johansen_without_a_band():
    # by hand: day 1, 1 of 3 at risk -> CIF 1/3, free of anything 2/3; day 2 the competing death, 1 of 2 -> free 1/3;
    # day 3, 1 of 1 -> CIF 1/3 + 1/3 = 2/3 (not 1: the competing death never has the event)
    times = SV.times_frame(["a", "b", "c"], [1, 2, 3], [SV.EVENT, SV.COMPETING, SV.EVENT])
    result = SV.pooled(times, [0])
    steps = result.curves[result.curves["EVENTS"] > 0].set_index("TIME")
    assert result.competing and steps["INCIDENCE"].to_dict() == pytest.approx({1.0: 1 / 3, 3.0: 2 / 3})
    assert steps["LO"].isna().all()
    fig = survival_figure(result, CurveStyle("t", "y", incidence=True), "stamp")
    assert not [t for t in fig.data if t.fill == "toself"]


def test_the_band_steps_like_the_curve_on_both_edges():
    times = SV.times_frame([f"S{i}" for i in range(6)], [2, 3, 5, 8, 9, 12], [1, 1, 0, 1, 0, 0])
    fig = survival_figure(SV.pooled(times, [0, 7]), CurveStyle("t", "y"), "stamp")
    band = next(t for t in fig.data if t.fill == "toself")
    x, y = np.asarray(band.x, float), np.asarray(band.y, float)
    half = len(x) // 2
    for edge_x, edge_y in ((x[:half], y[:half]), (x[half:][::-1], y[half:][::-1])):
        # a step function's corners: each value changes only where the time repeats (a vertical segment)
        changes = np.flatnonzero(np.diff(edge_y) != 0)
        assert all(edge_x[i] == edge_x[i + 1] for i in changes)
