"""Outcomes: the trajectory and change-from-baseline figures of the chosen outcome and the subjects behind each
point (pooled, median and IQR, for blinded roles; by arm on the efficacy basis for roles that see arms)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard.analysis import outcomes, trajectories, worst_rank
from dashboard.blinding import TrialData
from dashboard.config import Outcome, TrialConfig
from dashboard.displays.model import BOTH_FORMS, Control, Display, Out, View
from dashboard.displays.outcomes import common
from dashboard.figures import outcomes as outcome_figures
from dashboard.figures import trajectories as trajectory_figures
from dashboard.memo import memoized
from dashboard.permissions import Permission
from dashboard.tables.outcomes import subjects_grid
from layouts import outcomes as ids


def left_out_note(values: Any, config: TrialConfig, non_analysis: tuple[int, int] = (0, 0)) -> str:
    """What a by-visit plot leaves out, and the ADaM records that are not values, said on the figure (nothing when
    nothing is left out)."""
    undated, unplanned = outcomes.left_out_of_visit_plots(values, config.visits)
    parts = []
    if undated:
        parts.append(f"{undated} {'record' if undated == 1 else 'records'} at visits without a planned day")
    if unplanned:
        parts.append(f"{unplanned} at unscheduled visits")
    # a line of its own under the stamp: a long stamp line would run past a half-width figure
    note = f"<br>Left out of the by-visit summary: {', '.join(parts)}" if parts else ""
    derived, outside = non_analysis
    adam = ([f"{derived} derived (DTYPE)"] if derived else []) + (
        [f"{outside} outside the analysis flag {config.adam.analysis_flag}"] if outside else [])
    return note + (f"<br>ADaM records not analysed: {', '.join(adam)}" if adam else "")


def scale_note(requested: Any, scale: str, per_visit: Any, column: str, outcome: Outcome, later: list) -> str:
    """What the change figure cannot show on the chosen scale, said on it."""
    notes = []
    if requested == "ratio" and scale != "ratio":
        notes.append("ratio to baseline: log-normal outcomes only; absolute change shown")
    undefined = outcomes.undefined_relative_change(per_visit, column, later)
    if undefined:
        why = "a baseline of 0" if column == "PCHG" else "a value or baseline of 0 or below"
        notes.append(f"{undefined} {'change' if undefined == 1 else 'changes'} left out ({why})")
    return "<br>" + "; ".join(notes) if notes else ""


def _pooled_parts(per_visit: pd.DataFrame, planned: list, later: list, status: pd.DataFrame, column: str,
                  stat: str, lines: pd.DataFrame | None) -> dict[str, Any]:
    """Summaries, status counts and individual lines over all subjects."""
    return {"summary": trajectories.pooled_summary(per_visit, planned, "VALUE", stat),
            "change": trajectories.pooled_summary(per_visit, later, column, stat),
            "counts": worst_rank.status_counts(status), "differences": None, "lines": lines, "arms": None}


def _by_arm_parts(per_visit: pd.DataFrame, planned: list, later: list, status: pd.DataFrame, column: str,
                  stat: str, lines: pd.DataFrame | None, *, arm_of: pd.Series, reference: str) -> dict[str, Any]:
    """Summaries and status counts per arm, the differences against the reference arm, lines coloured by arm."""
    return {"summary": trajectories.summary_by_arm(per_visit, planned, arm_of, "VALUE", stat),
            "change": trajectories.summary_by_arm(per_visit, later, arm_of, column, stat),
            "counts": worst_rank.status_counts(status, arm_of),
            "differences": trajectories.change_differences(per_visit, later, arm_of, reference, column),
            "lines": outcomes.with_arm(lines, arm_of) if lines is not None else None,
            "arms": tuple(outcomes.arm_order(arm_of))}


def _figures(data: TrialData, outcome: Outcome, axis: str, stat: str, show_lines: bool, requested: Any) -> tuple:
    config = data.config
    values, per_visit = common.all_values(data)[outcomes.outcome_key(outcome)]
    # only visits where this outcome has records (pooled: the axis never depends on the allocation)
    planned = outcomes.visits_with_records(values, outcomes.planned_visits(config.visits))
    later = outcomes.visits_with_records(values, outcomes.post_baseline_visits(config.visits))
    scale, column = trajectories.scale_column(requested, outcome.log_normal)
    subjects, deaths, cut_day = common.survival_inputs(data)
    status = worst_rank.visit_status(per_visit, subjects, later, deaths, cut_day, column)
    lines, total = outcomes.spaghetti_sample(values, common.MAX_SPAGHETTI_SUBJECTS) if show_lines else (None, 0)
    parts = data.split(_pooled_parts, lambda *a, arm_of: _by_arm_parts(*a, arm_of=arm_of,
                                                                       reference=common.reference(data)),
                       per_visit, planned, later, status, column, stat, lines, basis="efficacy")
    change, differences = parts["change"], parts["differences"]
    if column == "LRATIO":
        change = trajectories.back_transformed(change)
        if differences is not None:
            differences = trajectories.back_transformed(differences, ("DIFF", "LOW", "HIGH", "MEAN_ARM", "MEAN_REF"))
    change = worst_rank.with_status(change, parts["counts"])
    label = common.efficacy_stamp(data) + left_out_note(
        values, config, common.non_analysis_counts(data)[outcomes.outcome_key(outcome)])
    arms = parts["arms"]
    trajectory = trajectory_figures.trajectory_figure(parts["summary"], outcome, axis, stat, label,
                                                      spaghetti=parts["lines"], spaghetti_total=total, arms=arms)
    change_figure = trajectory_figures.change_figure(
        change, outcome, axis, stat, label + scale_note(requested, scale, per_visit, column, outcome, later),
        differences=differences, arms=arms, scale=scale)
    grid = subjects_grid(parts["summary"], parts["counts"], parts["summary"], arms)
    return (*common.plain(trajectory, change_figure), *grid)


def trajectory_outputs(data: TrialData, key: Any, axis: Any, stat: Any, lines: Any, scale: Any = "absolute") -> tuple:
    """Trajectory and change figures and the subjects table (rows, columns) for the browser's control values
    (anything unknown falls back to a default)."""
    config, stamp = data.config, common.stamp(data)
    if not config.outcomes:
        return (outcome_figures.no_outcome_figure(common.TRAJECTORY_TITLE, stamp),
                outcome_figures.no_outcome_figure(common.CHANGE_TITLE, stamp), [], [])
    outcome = outcomes.find_outcome(config.outcomes, key) or config.outcomes[0]
    if not data.has_domain(outcome.domain):
        return (outcome_figures.missing_domain_figure(common.TRAJECTORY_TITLE, stamp, outcome.domain, outcome.label),
                outcome_figures.missing_domain_figure(common.CHANGE_TITLE, stamp, outcome.domain, outcome.label),
                [], [])
    axis = axis if axis in trajectory_figures.AXES else "visit"
    stat = stat if data.access.sees_arms and stat in trajectories.STATISTICS else "median"
    scale = scale if scale in trajectories.SCALES else "absolute"
    show_lines = lines == ids.SPAGHETTI_ON or (isinstance(lines, list) and ids.SPAGHETTI_ON in lines)
    return memoized(data, "outcomes:trajectory-figures",
                    lambda: _figures(data, outcome, axis, stat, show_lines, scale),
                    outcomes.outcome_key(outcome), axis, stat, show_lines, scale)


def compute(data: TrialData, key: Any = None, axis: Any = None, stat: Any = None, lines: Any = None,
            scale: Any = "absolute") -> dict[str, Any]:
    """The view's named outputs."""
    trajectory, change, rows, columns = trajectory_outputs(data, key, axis, stat, lines, scale)
    return {"trajectory": trajectory, "change": change, "subject_rows": rows, "subject_columns": columns}


TRAJECTORY = Display(
    "outcomes.trajectory", common.TRAJECTORY_TITLE, "figure", ("DM", "VS", "LB"),
    {"trajectory": Out(ids.TRAJECTORY, "figure")}, BOTH_FORMS,
    analysis=(trajectories.pooled_summary, trajectories.summary_by_arm), builder=trajectory_figures.trajectory_figure,
    fields=("VS.VSSTRESN", "LB.LBSTRESN", "VS.VSDTC", "LB.LBDTC"))
CHANGE = Display(
    "outcomes.change", common.CHANGE_TITLE, "figure", ("DM", "VS", "LB", "DS"),
    {"change": Out(ids.CHANGE, "figure")}, BOTH_FORMS,
    analysis=(trajectories.pooled_summary, trajectories.summary_by_arm, trajectories.change_differences),
    builder=trajectory_figures.change_figure, fields=("VS.VSSTRESN", "LB.LBSTRESN"))
SUBJECTS = Display(
    "outcomes.subjects", "Subjects behind each point: survivors, deaths and missing values by visit", "table",
    ("DM", "DS", "VS", "LB"), {"subject_rows": Out(ids.SUBJECTS, "rowData"),
                               "subject_columns": Out(ids.SUBJECTS, "columnDefs")}, BOTH_FORMS,
    analysis=(worst_rank.visit_status, worst_rank.status_counts), builder=subjects_grid,
    fields=("DM.DTHDTC", "DS.DSDECOD"))

VIEW = View("outcomes:trajectories", common.PAGE, Permission.VIEW_OUTCOMES, compute, (TRAJECTORY, CHANGE, SUBJECTS),
            controls={"key": Control(ids.OUTCOME, "value"), "axis": Control(ids.AXIS, "value"),
                      "stat": Control(ids.STATISTIC, "value"), "lines": Control(ids.SPAGHETTI, "value"),
                      "scale": Control(ids.SCALE, "value")})
