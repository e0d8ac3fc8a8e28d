"""Figure builders of the recruitment page: traces, stamps, subject counts, and no arms in pooled figures."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import recruitment_frames as f

from dashboard.analysis import accrual, conduct, consort
from dashboard.analysis import recruitment as rec
from dashboard.config import load_trial_config
from dashboard.displays.recruitment.selection import filter_key
from dashboard.figures import conduct as cf
from dashboard.figures import recruitment as rf
from dashboard.figures.common import stamp_text
from dashboard.tables.recruitment import grid

CONFIG = load_trial_config()
OPEN_STAMP = stamp_text(f.CUT, False)
CLOSED_STAMP = stamp_text(f.CUT, True)


@pytest.fixture
def status() -> pd.DataFrame:
    return rec.subject_status(f.dm(), f.ds(), f.ex(), f.CUT, planned_doses=5, interval_days=1)


def text_of(fig) -> str:
    return json.dumps(fig.to_plotly_json(), default=str)


def assert_pooled(fig) -> None:
    body = text_of(fig)
    assert OPEN_STAMP in fig.layout.title.text
    for word in (*f.ARM_LABELS, *(a.label for a in CONFIG.arms)):
        assert word not in body


def projection(status, **kwargs) -> pd.Series:
    dates = status.loc[status["RANDOMIZED"], "RAND_DT"]
    return accrual.accrual_projection(dates, 29, f.CUT, recruitment_open=CONFIG.first_randomization_planned,
                                      plan_rate_per_week=3.5, **kwargs)


def test_accrual_figure_has_plan_projection_band_and_counts(status):
    p = projection(status)
    cumulative = accrual.cumulative_randomizations(status.loc[status["RANDOMIZED"], "RAND_DT"])
    planned = accrual.planned_accrual(CONFIG.first_randomization_planned, 29, CONFIG.planned_end)
    fig = rf.accrual_figure(cumulative, planned, p, OPEN_STAMP, cut_date=f.CUT)
    names = [t.name for t in fig.data]
    assert names == ["Plan", "Projection, 80 % interval", "Projection (median)", "Remaining at the planned rate",
                     "Randomized"]
    line = fig.data[-1]
    assert list(line.y) == [0, 1, 2, 3, 4, 4] and line.x[-1] == f.CUT
    assert any(s.y0 == 29 for s in fig.layout.shapes)                    # the target line
    assert_pooled(fig)


def test_accrual_figure_with_a_site_filter_drops_target_plan_and_projection(status):
    cumulative = accrual.cumulative_randomizations(status.loc[status["RANDOMIZED"], "RAND_DT"])
    fig = rf.accrual_figure(cumulative, pd.DataFrame(), projection(status), OPEN_STAMP, cut_date=f.CUT,
                            show_target=False, x_range=["2021-05-01", "2021-05-31"])
    assert [t.name for t in fig.data] == ["Randomized"]
    assert list(fig.layout.xaxis.range) == ["2021-05-01", "2021-05-31"]


def test_accrual_figure_with_nobody_randomized(status):
    none = status[~status["RANDOMIZED"]]
    p = projection(none)
    fig = rf.accrual_figure(accrual.cumulative_randomizations(none["RAND_DT"]),
                            accrual.planned_accrual(CONFIG.first_randomization_planned, 29, CONFIG.planned_end),
                            p, OPEN_STAMP, cut_date=f.CUT)
    assert "No subject randomized yet" in text_of(fig)
    assert "No subject randomized yet" in rf.projection_summary(p)


def test_projection_summaries_say_what_happened(status):
    assert "Projected to reach 29" in rf.projection_summary(projection(status))
    assert "80 % interval" in rf.projection_summary(projection(status))
    paused = accrual.accrual_projection(pd.to_datetime(pd.Series(["2021-04-20"])), 29, "2021-07-01")
    assert "paused" in rf.projection_summary(paused)
    reached = accrual.accrual_projection(pd.to_datetime(pd.Series(["2021-04-20", "2021-04-21"])), 2, "2021-07-01")
    assert rf.projection_summary(reached) == "Target of 2 reached on 2021-04-21 (2 randomized)."


def test_balance_figure_one_line_per_arm(status):
    by_arm = accrual.cumulative_randomizations_by_arm(status[status["RANDOMIZED"]], f.arm_of(), f.ARM_LABELS)
    fig = rf.randomization_balance_figure(by_arm, f.ARM_LABELS, CLOSED_STAMP)
    assert [t.name for t in fig.data] == list(f.ARM_LABELS)
    assert CLOSED_STAMP in fig.layout.title.text
    assert list(fig.data[1].y) == [0, 1, 1, 2]


def test_funnel_and_screen_failure_figures(status):
    fig = rf.funnel_figure(rec.screening_funnel(status), OPEN_STAMP)
    assert list(fig.data[0].x) == [8, 5, 5, 4, 4, 1]
    assert_pooled(fig)
    reasons = rec.screen_failure_reasons(status, f.ie(), CONFIG.screen_failure_reasons)
    bars = rf.screen_failure_figure(reasons, OPEN_STAMP)
    assert list(bars.data[0].x) == [1, 1, 1, 1] and bars.data[0].text[0] == "1 (33 %)"
    assert bars.data[0].marker.color[2] == rf.UNLISTED_COLOR             # ZZ99 is not in the protocol list
    assert_pooled(bars)
    assert "No screen failure" in text_of(rf.screen_failure_figure(reasons.iloc[0:0], OPEN_STAMP))


def test_period_figure(status):
    fig = rf.enrollment_period_figure(rec.enrollment_by_period(status, "month"), "month", OPEN_STAMP)
    assert [t.name for t in fig.data] == ["Screened", "Randomized"]
    assert list(fig.data[0].y) == [3, 5] and "per month" in fig.layout.title.text
    assert_pooled(fig)


def test_consort_figure_pooled_and_by_arm(status):
    pooled = cf.consort_figure(consort.consort_flow(status, 5), [consort.POOLED_GROUP], OPEN_STAMP)
    body = text_of(pooled)
    assert "Assessed for eligibility (n=8)" in body and "Randomized (n=4)" in body
    assert "Completed follow-up (n=1)" in body
    assert_pooled(pooled)
    by_arm = cf.consort_figure(consort.consort_flow_by_arm(status, f.arm_of(), f.ARM_LABELS, 5), f.ARM_LABELS,
                               CLOSED_STAMP)
    texts = [a.text for a in by_arm.layout.annotations]
    assert any("Allocation · Group A" in t and "Allocated (n=2)" in t for t in texts)
    assert any("Follow-up · Group B" in t and "Died (n=1)" in t for t in texts)


def test_exposure_figures(status):
    exposure = conduct.exposure_per_subject(status[status["RANDOMIZED"]], 5, 1)
    pooled = cf.exposure_figure(conduct.exposure_distribution(exposure, 5), 5, OPEN_STAMP)
    assert len(pooled.data) == 1 and list(pooled.data[0].y) == [0, 0, 1, 1, 0, 2]
    assert_pooled(pooled)
    by_arm = cf.exposure_by_arm_figure(conduct.exposure_distribution_by_arm(exposure, f.arm_of(), f.ARM_LABELS, 5),
                                       f.ARM_LABELS, 5, CLOSED_STAMP)
    assert [t.name for t in by_arm.data] == list(f.ARM_LABELS)


def test_completeness_figure(status):
    randomized = status[status["RANDOMIZED"]]
    expected = conduct.expected_visits(randomized, CONFIG.visits)
    measures = conduct.completeness_measures(CONFIG)
    visits = conduct.visit_completeness(expected, conduct.visit_presence([f.vs()], CONFIG.visits), CONFIG.visits)
    table = conduct.measurement_completeness(
        expected, conduct.measurement_presence(f.domains(), measures, CONFIG.visits), measures, CONFIG.visits)
    fig = cf.completeness_figure(visits, table, OPEN_STAMP)
    heat = fig.data[0]
    assert heat.y[0] == "Visit (any record)" and len(heat.y) == 1 + len(measures)
    assert heat.text[0][4] == "1/2"                                   # DAY 7: 1 of 2 due
    assert_pooled(fig)
    assert "No visit due" in text_of(cf.completeness_figure(visits.iloc[0:0], table, OPEN_STAMP))


def test_filter_key_cleans_browser_input():
    assert filter_key(["02", "01", "01"], "2021-05-01", "2021-05-31T00:00:00") == (("01", "02"), "2021-05-01",
                                                                             "2021-05-31")
    assert filter_key("01", None, "not a date") == (("01",), "", "")
    assert filter_key({"x": 1}, 5, [1]) == ((), "", "")


def test_grid_rows_are_json_safe_and_capped():
    frame = pd.DataFrame({"when": pd.to_datetime(["2021-05-01", None]), "pct": [12.345, float("nan")],
                          "n": [1, 2], "text": ["=1+1", None]})
    rows, defs = grid(frame, {"when": "When", "pct": "%", "n": "N", "text": "Text"})
    assert rows == [{"c0": "2021-05-01", "c1": 12.3, "c2": 1, "c3": "=1+1"},
                    {"c0": None, "c1": None, "c2": 2, "c3": None}]
    assert [d["headerName"] for d in defs] == ["When", "%", "N", "Text"]
    assert defs[2]["type"] == "numericColumn"
    json.dumps(rows)
    assert len(grid(pd.DataFrame({"a": range(5)}), {"a": "A"}, limit=3)[0]) == 3


def test_completeness_figure_names_absent_measurements_once(status):
    """O7: a measurement without any record in the cut is named once under the heat map, not drawn as '–' rows."""
    randomized = status[status["RANDOMIZED"]]
    expected = conduct.expected_visits(randomized, CONFIG.visits)
    visits = conduct.visit_completeness(expected, conduct.visit_presence([f.vs()], CONFIG.visits), CONFIG.visits)
    table = conduct.measurement_completeness(expected, conduct.measurement_presence(f.domains(), (), CONFIG.visits),
                                             (), CONFIG.visits)
    fig = cf.completeness_figure(visits, table, OPEN_STAMP, ["AST", "Creatinine"])
    assert list(fig.data[0].y) == ["Visit (any record)"]
    assert "Not in this cut (no record): AST, Creatinine" in text_of(fig)
    assert "Not in this cut" not in text_of(cf.completeness_figure(visits, table, OPEN_STAMP))
