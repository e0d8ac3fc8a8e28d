"""Change from baseline as absolute, percent, or (log-normal outcomes) the geometric mean ratio to baseline (issue
12); references computed here with plain pandas, numpy and scipy."""

from __future__ import annotations

import dataclasses

import numpy as np
import outcomes_frames as F
import pandas as pd
import pytest
from scipy import stats

from dashboard.analysis import outcomes as O
from dashboard.analysis import trajectories as T
from dashboard.analysis.outcomes import post_baseline_visits
from dashboard.figures import trajectories as trajectory_figures

BASE = {"S1": 10.0, "S2": 20.0, "S3": 5.0, "S4": 40.0, "S5": 0.0}
DAY7 = {"S1": 5.0, "S2": 30.0, "S3": 5.0, "S4": 10.0, "S5": 3.0}


def per_visit() -> pd.DataFrame:
    rows = [(s, "CRP", 2, 1, b, "Y") for s, b in BASE.items()] + [(s, "CRP", 5, 7, v, "") for s, v in DAY7.items()]
    dm = F.dm([(s, "2021-05-01") for s in BASE])
    return O.visit_values(O.outcome_values(F.findings("LB", rows), F.CRP, dm, F.VISITS))


def test_percent_change_and_log_ratio_per_subject():
    frame = per_visit().set_index(["USUBJID", "VISITNUM"])
    for s in ("S1", "S2", "S3", "S4"):
        assert frame.loc[(s, 5.0), "PCHG"] == pytest.approx(100 * (DAY7[s] - BASE[s]) / BASE[s])
        assert frame.loc[(s, 5.0), "LRATIO"] == pytest.approx(np.log(DAY7[s] / BASE[s]))
    assert np.isnan(frame.loc[("S5", 5.0), "PCHG"]) and np.isnan(frame.loc[("S5", 5.0), "LRATIO"])  # baseline 0
    later = post_baseline_visits(F.VISITS)
    assert O.undefined_relative_change(per_visit(), "PCHG", later) == 1          # S5 at DAY 7 (baseline 0)
    assert O.undefined_relative_change(per_visit(), "CHG", later) == 0


def test_geometric_mean_ratio_and_its_interval_are_the_back_transformed_log_mean():
    later = post_baseline_visits(F.VISITS)
    summary = T.back_transformed(T.pooled_summary(per_visit(), later, "LRATIO", "mean")).set_index("VISITNUM")
    logs = np.log([DAY7[s] / BASE[s] for s in ("S1", "S2", "S3", "S4")])
    low, high = stats.t.interval(0.95, len(logs) - 1, loc=logs.mean(), scale=stats.sem(logs))
    row = summary.loc[5.0]
    assert row["CENTER"] == pytest.approx(stats.gmean([DAY7[s] / BASE[s] for s in ("S1", "S2", "S3", "S4")]))
    assert (row["LOW"], row["HIGH"]) == pytest.approx((np.exp(low), np.exp(high)))
    assert row["N"] == 4


def test_percent_change_median_and_the_difference_between_arms():
    later = post_baseline_visits(F.VISITS)
    pooled = T.pooled_summary(per_visit(), later, "PCHG", "median").set_index("VISITNUM").loc[5.0]
    percents = pd.Series([100 * (DAY7[s] - BASE[s]) / BASE[s] for s in ("S1", "S2", "S3", "S4")])
    assert pooled["CENTER"] == pytest.approx(percents.median())
    arm_of = F.arms({"S1": "Group A", "S2": "Group A", "S3": "Group B", "S4": "Group B", "S5": "Group B"})
    ratio = T.change_differences(per_visit(), later, arm_of, "Group A", "LRATIO")
    row = T.back_transformed(ratio, ("DIFF", "LOW", "HIGH")).set_index("VISITNUM").loc[5.0]
    a = np.log([DAY7["S3"] / BASE["S3"], DAY7["S4"] / BASE["S4"]])
    b = np.log([DAY7["S1"] / BASE["S1"], DAY7["S2"] / BASE["S2"]])
    welch = stats.ttest_ind(a, b, equal_var=False)
    assert row["DIFF"] == pytest.approx(np.exp(a.mean() - b.mean()))             # ratio of geometric means
    ci = welch.confidence_interval(0.95)
    assert (row["LOW"], row["HIGH"]) == pytest.approx((np.exp(ci.low), np.exp(ci.high)))


def test_the_ratio_scale_is_only_for_log_normal_outcomes():
    assert T.scale_column("ratio", False) == ("absolute", "CHG")
    assert T.scale_column("ratio", True) == ("ratio", "LRATIO")
    assert T.scale_column("percent", False) == ("percent", "PCHG")
    assert T.scale_column("anything", True) == ("absolute", "CHG")


def test_the_change_figure_says_its_scale_and_draws_ratios_on_a_log_axis():
    later = post_baseline_visits(F.VISITS)
    crp = dataclasses.replace(F.CRP)
    summary = T.back_transformed(T.pooled_summary(per_visit(), later, "LRATIO", "mean"))
    fig = trajectory_figures.change_figure(summary, crp, "visit", "mean", "stamp", scale="ratio")
    assert "ratio to baseline, geometric mean" in fig.layout.title.text
    assert fig.layout.yaxis.type == "log" and any(s.y0 == 1 for s in fig.layout.shapes)
    percent = trajectory_figures.change_figure(T.pooled_summary(per_visit(), later, "PCHG"), crp, "visit",
                                               "median", "stamp", scale="percent")
    assert "percent change from baseline" in percent.layout.title.text
    assert percent.layout.yaxis.title.text == "Change (% of baseline)"


def test_the_page_offers_the_ratio_for_log_normal_outcomes_only_and_says_so_otherwise():
    from dashboard.displays.outcomes import trajectories as otraj
    from dashboard.blinding import BlindedTrialData
    from dashboard.config import load_trial_config
    from dashboard.cuts import CutManifest

    manifest = CutManifest("2021-07-10-0123abcd", "NCT05019287", "2021-07-10", "Final", "2021-07-11T09:00:00+00:00",
                           "stat", "/exports/final", ())
    lognormal = dataclasses.replace(F.CRP, log_normal=True)          # `log_normal = true` in [[outcomes]]
    rows = [(s, "CRP", 2, 1, b, "Y") for s, b in BASE.items()] + [(s, "CRP", 5, 7, v, "") for s, v in DAY7.items()]
    domains = {"DM": F.dm([(s, "2021-05-01") for s in BASE]), "LB": F.findings("LB", rows), "DS": F.ds()}
    for outcome, expected in ((lognormal, "ratio to baseline"), (F.CRP, "change from baseline")):
        config = dataclasses.replace(load_trial_config(), outcomes=(outcome,), visits=F.VISITS)
        data = BlindedTrialData(manifest, config, domains, pd.DataFrame())
        change = otraj.trajectory_outputs(data, "LB.CRP", "visit", "median", [], "ratio")[1]
        title = change["layout"]["title"]["text"]
        assert f"C-reactive protein: {expected}" in title
        assert ("log-normal outcomes only" in title) is (outcome is F.CRP)
        if outcome is lognormal:
            assert "1 change left out (a value or baseline of 0 or below)" in title                                      # S5: baseline 0
            ratios = pd.Series([DAY7[s] / BASE[s] for s in ("S1", "S2", "S3", "S4")])
            point = next(t for t in change["data"])
            assert point["y"][-1] == pytest.approx(np.exp(np.log(ratios).median()))
