"""Figure builders of the Outcomes page: traces, stamps, numbers of subjects, and no arm in pooled figures."""

from __future__ import annotations

import json

import outcomes_frames as F
import pandas as pd
import plotly.graph_objects as go

from dashboard.analysis import effects as X
from dashboard.analysis import events as E
from dashboard.analysis import trajectories as T
from dashboard.analysis.outcomes import post_baseline_visits
from dashboard.figures import effects as effect_figures
from dashboard.analysis import survival as SV
from dashboard.figures import outcomes as outcome_figures
from dashboard.figures import trajectories as trajectory_figures
from dashboard.figures.common import stamp_text
from dashboard.figures.survival import survival_figure
from dashboard.tables import outcomes as event_tables

OPEN = stamp_text("2021-07-10", False)
CLOSED = stamp_text("2021-07-10", True)
ARMS = ("Group A", "Group B")
ARM_OF = F.arms({"S1": "Group A", "S2": "Group A", "S3": "Group B", "S4": "Group B"})


def visit_values() -> pd.DataFrame:
    rows = [("S1", 2, 90, 90), ("S2", 2, 88, 88), ("S3", 2, 86, 86), ("S4", 2, 85, 85),
            ("S1", 3, 92, 90), ("S2", 3, 91, 88), ("S3", 3, 90, 86), ("S4", 3, 93, 85)]
    frame = pd.DataFrame(rows, columns=["USUBJID", "VISITNUM", "VALUE", "BASE"]).astype({"VISITNUM": float})
    return frame.assign(CHG=frame["VALUE"] - frame["BASE"])


def spaghetti() -> pd.DataFrame:
    return pd.DataFrame({"USUBJID": ["S1", "S1", "S1", "S2"], "VISITNUM": [2.0, 3.0, 3.1, 2.0],
                         "DY": [1.0, 3.0, 4.0, 1.0], "VALUE": [90.0, 92.0, 93.0, 88.0]})


def text_of(fig: go.Figure) -> str:
    return json.dumps(fig.to_plotly_json(), default=str)


def test_pooled_trajectory_has_one_grey_series_with_n_per_visit_and_the_stamp():
    summary = T.pooled_summary(visit_values(), F.VISITS)
    fig = trajectory_figures.trajectory_figure(summary, F.SPO2, "visit", "median", OPEN)
    assert [t.name for t in fig.data] == [trajectory_figures.POOLED_NAME]
    assert OPEN in fig.layout.title.text
    # n moved from stacked tick labels to the hover and the subjects table (issue 12): ticks are visit names only
    assert "DAY 3" in fig.layout.xaxis.ticktext and not any("<br>" in t for t in fig.layout.xaxis.ticktext)
    assert [row[1] for row in fig.data[0].customdata if row[0] == "DAY 3"] == [4]
    assert "Group" not in text_of(fig)


def test_spaghetti_lines_share_one_trace_and_say_how_many_subjects_are_drawn():
    summary = T.pooled_summary(visit_values(), F.VISITS)
    fig = trajectory_figures.trajectory_figure(summary, F.SPO2, "day", "median", OPEN, spaghetti=spaghetti(),
                                               spaghetti_total=4)
    assert len(fig.data) == 2
    lines = fig.data[0]
    assert list(lines.x) == [1.0, 3.0, 4.0, None, 1.0, None]  # unplanned day 4 kept, gap between subjects
    assert "first 2 of 4 subjects" in fig.layout.title.text       # a stamp line: the top margin makes room


def test_trajectory_by_arm_has_one_series_per_arm_and_n_per_arm():
    summary = T.summary_by_arm(visit_values(), F.VISITS, ARM_OF, stat="mean")
    fig = trajectory_figures.trajectory_figure(summary, F.SPO2, "visit", "mean", CLOSED, arms=ARMS)
    assert [t.name for t in fig.data] == list(ARMS)
    assert fig.data[0].line.color != fig.data[1].line.color
    assert [row[1] for t in fig.data for row in t.customdata if row[0] == "DAY 3"] == [2, 2]
    assert fig.data[0].x[0] != fig.data[1].x[0]  # arms are dodged apart


def test_an_outcome_with_no_data_gets_an_explaining_figure():
    summary = T.pooled_summary(visit_values().iloc[0:0], F.VISITS)
    fig = trajectory_figures.trajectory_figure(summary, F.CRP, "visit", "median", OPEN)
    assert not fig.data and "No C-reactive protein values" in fig.layout.annotations[0].text
    assert OPEN in fig.layout.title.text


def test_change_figure_by_arm_adds_the_difference_panel():
    later = post_baseline_visits(F.VISITS)
    change = T.summary_by_arm(visit_values(), later, ARM_OF, "CHG", "mean")
    differences = T.change_differences(visit_values(), later, ARM_OF, "Group A")
    fig = trajectory_figures.change_figure(change, F.SPO2, "visit", "mean", CLOSED, differences=differences,
                                           arms=ARMS)
    assert [t.yaxis for t in fig.data] == ["y", "y", "y2"]
    assert fig.data[2].name.startswith("Group B vs Group A")
    # the hover writes each Welch p as every page does ("p = 0.037", "p < 0.001"), never "p = < 0.001"
    assert "p %{customdata[4]}" in fig.data[2].hovertemplate
    shown = [row[4] for row in fig.data[2].customdata]
    rows = differences[differences["ARM"] == "Group B"].dropna(subset=["DIFF"])
    assert shown == [f"= {p:#.2g}" if p >= 0.001 else "< 0.001" for p in rows["P"]] and shown
    pooled = trajectory_figures.change_figure(T.pooled_summary(visit_values(), later, "CHG"), F.SPO2, "visit",
                                              "median", OPEN)
    assert len(pooled.data) == 1 and "Group" not in text_of(pooled)


def event_times() -> pd.DataFrame:
    return pd.DataFrame({"USUBJID": ["S1", "S2", "S3", "S4"], "EVENT": [True, False, True, False],
                         "DAY": [3.0, 5.0, 7.0, 28.0], "STATUS": [1, 2, 1, 0]})


def test_pooled_event_curve_has_numbers_at_risk_and_no_test():
    times = event_times()
    result = SV.pooled(E.survival_times(times), [0, 7, 14, 21, 28], label="All randomized")
    fig = survival_figure(result, outcome_figures.event_style("Intubation", result.competing), OPEN)
    assert len(fig.data) == 2 and fig.data[1].mode == "text"
    assert list(fig.data[1].text) == ["4", "2", "1", "1", "1"]
    text = text_of(fig)
    assert "Log-rank" not in text and "Group" not in text and "Aalen-Johansen" in text
    assert OPEN in fig.layout.title.text


def test_event_curve_by_arm_has_a_curve_and_a_risk_row_per_arm_and_the_log_rank_test():
    times = event_times()
    result = SV.by_arm(E.survival_times(times), [0, 7], arm_of=ARM_OF)
    fig = survival_figure(result, outcome_figures.event_style("Intubation", result.competing), CLOSED)
    assert [t.name for t in fig.data[:2]] == list(ARMS) and len(fig.data) == 4
    assert any("log-rank" in a.text.lower() for a in fig.layout.annotations)


def test_event_table_pooled_has_no_arm_column():
    times = event_times()
    rows, columns = event_tables.event_table_grid(E.event_summary([F.INTUBATION], [times]))
    assert [c["field"] for c in columns] == ["event", "n", "ci"]
    assert rows[0]["n"] == "2/4 (50.0 %)"


def test_event_table_by_arm_has_each_arm_and_the_risk_difference():
    summary = X.event_summary_by_arm([F.INTUBATION], [event_times()], ARM_OF, "Group A")
    rows, columns = event_tables.event_table_grid(summary, arms=ARMS, reference="Group A")
    assert [c["headerName"] for c in columns][1:3] == list(ARMS)
    assert rows[0]["arm_0"] == "1/2 (50.0 %)" and rows[0]["rd_0"].startswith("0.0 (")


def forest_rows() -> pd.DataFrame:
    measured = X.change_effects(visit_values(), F.SPO2, F.VISITS, ARM_OF, "Group A")
    events = X.event_effects(event_times(), F.DEATH, ARM_OF, "Group A")
    return X.forest_rows([measured], [events])


def test_forest_plot_has_a_panel_for_outcomes_and_one_for_events_with_directions():
    fig = effect_figures.effects_forest_figure(forest_rows(), CLOSED, arms=ARMS, reference="Group A")
    assert len(fig.data) == 8  # points, detail and two favours columns for each panel
    assert fig.data[0].yaxis == "y" and fig.data[4].yaxis == "y2"
    favours = " ".join(t for trace in fig.data if trace.name and trace.name.startswith("favours") for t in trace.text)
    assert "favours Group A" in favours and "favours Group B" in favours
    assert "Group B vs Group A" in fig.layout.title.text and CLOSED in fig.layout.title.text


def test_empty_state_figures_carry_the_stamp():
    assert OPEN in outcome_figures.closed_only_figure("Forest", OPEN).layout.title.text
    assert "none" in outcome_figures.no_cut_figure("Forest", False).layout.title.text
    empty = effect_figures.effects_forest_figure(forest_rows().iloc[0:0], CLOSED, arms=ARMS, reference="Group A")
    assert empty.layout.annotations and CLOSED in empty.layout.title.text


def uneven_visit_values() -> pd.DataFrame:
    """Three subjects of Group A and two of Group B with a change at DAY 3 and DAY 7."""
    rows = [("S1", 3, 92, 90), ("S2", 3, 91, 88), ("S5", 3, 89, 87), ("S3", 3, 90, 86), ("S4", 3, 93, 85),
            ("S1", 5, 94, 90), ("S2", 5, 92, 88), ("S5", 5, 90, 87), ("S3", 5, 95, 86), ("S4", 5, 91, 85)]
    frame = pd.DataFrame(rows, columns=["USUBJID", "VISITNUM", "VALUE", "BASE"]).astype({"VISITNUM": float})
    return frame.assign(CHG=frame["VALUE"] - frame["BASE"])


UNEVEN_ARM_OF = F.arms({"S1": "Group A", "S2": "Group A", "S5": "Group A", "S3": "Group B", "S4": "Group B"})


def test_forest_and_change_figure_list_the_n_per_arm_in_the_same_legend_order():
    """The board reads "n 3 | 2" on the change figure and must read the same numbers, same order, on the forest."""
    later = post_baseline_visits(F.VISITS)
    values = uneven_visit_values()
    change = trajectory_figures.change_figure(
        T.summary_by_arm(values, later, UNEVEN_ARM_OF, "CHG", "mean"), F.SPO2, "visit", "mean", CLOSED,
        differences=T.change_differences(values, later, UNEVEN_ARM_OF, "Group A"), arms=ARMS)
    assert "DAY 7" in change.layout.xaxis2.ticktext
    panel = next(t for t in change.data if t.yaxis == "y2")
    assert [row[1] for row in panel.customdata if row[0] == "DAY 7"] == ["3 | 2"]
    rows = X.forest_rows([X.change_effects(values, F.SPO2, F.VISITS, UNEVEN_ARM_OF, "Group A")], [])
    forest = effect_figures.effects_forest_figure(rows, CLOSED, arms=ARMS, reference="Group A")
    details = [t for trace in forest.data if trace.name == "detail" for t in trace.text]
    assert details and all(d.endswith("· n 3 | 2") for d in details), details
    assert any("n per arm: Group A | Group B" in a.text for a in forest.layout.annotations)
    hover = json.dumps([t.hovertemplate for t in change.data if t.yaxis == "y2"])
    assert "n Group A | Group B" in hover and "vs" not in hover.split("n Group A")[-1]


def test_the_arm_order_of_outcomes_displays_does_not_depend_on_which_arm_is_named_first():
    """Display order comes from the categories of arm_of (coded order), never from the names' alphabet."""
    real = ("Saline placebo", "MenSC secretome")  # Group A, Group B: not alphabetical
    arm_of = F.arms({"S1": real[0], "S2": real[0], "S5": real[0], "S3": real[1], "S4": real[1]}, order=real)
    values = uneven_visit_values()
    rows = X.forest_rows([X.change_effects(values, F.SPO2, F.VISITS, arm_of, real[0])], [])
    forest = effect_figures.effects_forest_figure(rows, CLOSED, arms=real, reference=real[0])
    details = [t for trace in forest.data if trace.name == "detail" for t in trace.text]
    assert details and all(d.endswith("· n 3 | 2") for d in details), details
    later = post_baseline_visits(F.VISITS)
    change = trajectory_figures.change_figure(
        T.summary_by_arm(values, later, arm_of, "CHG", "mean"), F.SPO2, "visit", "mean", CLOSED,
        differences=T.change_differences(values, later, arm_of, real[0]), arms=real)
    assert [t.name for t in change.data[:2]] == list(real)
    panel = next(t for t in change.data if t.yaxis == "y2")
    assert [row[1] for row in panel.customdata if row[0] == "DAY 7"] == ["3 | 2"]
