"""Outcomes page callbacks: pooled displays for blinded users, by-arm displays for those who may see arms."""

from __future__ import annotations

from typing import Any

import dash
import pandas as pd
from dash import Input, Output, html

from callbacks.common import arm_basis_text, efficacy_arm_of, efficacy_stamp, stamp, with_active_cut
from dashboard.analysis import effects, events, outcomes, trajectories, worst_rank
from dashboard.blinding import Access, ArmedTrialData, TrialData
from dashboard.config import EventSource, Outcome, TrialConfig
from dashboard.context import trial_config
from dashboard.figures import effects as effect_figures
from dashboard.figures import events as event_figures
from dashboard.figures import outcomes as outcome_figures
from dashboard.figures import trajectories as trajectory_figures
from dashboard.guard import guarded_callback
from dashboard.memo import memoized
from dashboard.permissions import Permission
from layouts import outcomes as ids

MAX_SPAGHETTI_SUBJECTS = 60
TRAJECTORY_TITLE = "Trajectory over time"
CHANGE_TITLE = "Change from baseline"
EVENT_TITLE = "Time to event"


def _all_values(data: TrialData) -> dict[str, Any]:
    """Every configured outcome's values, filtered from its domain once per cut and access."""
    config = data.config

    def compute() -> dict[str, Any]:
        values = outcomes.all_outcome_values({o.domain: data.domain(o.domain) for o in config.outcomes},
                                             config.outcomes, data.dm, config.visits)
        return {key: (frame, outcomes.visit_values(frame)) for key, frame in values.items()}

    return memoized(data, "outcomes:values", compute)


def _event_times(data: TrialData) -> list[Any]:
    """event_times of every configured event, in configuration order."""
    config = data.config

    def compute() -> list[Any]:
        return [events.event_times(e, data.domain(e.source), data.dm, data.ds, data.cut.cut_date,
                                   config.followup_days) for e in config.events]

    return memoized(data, "outcomes:event-times", compute)


def _plain(*figures: Any) -> Any:
    """Figures as plain dicts, so a cached answer is only serialized, never copied again."""
    plain = tuple(f.to_plotly_json() for f in figures)
    return plain if len(plain) > 1 else plain[0]


def _reference(data: ArmedTrialData) -> str:
    return effects.comparison_reference(data.config, coded=data.access is Access.CODED)


def _left_out_note(values: Any, config: TrialConfig) -> str:
    """What a by-visit plot leaves out, said on the figure (nothing when nothing is left out)."""
    undated, unplanned = outcomes.left_out_of_visit_plots(values, config.visits)
    parts = []
    if undated:
        parts.append(f"{undated} {'record' if undated == 1 else 'records'} at visits without a planned day")
    if unplanned:
        parts.append(f"{unplanned} at unscheduled visits")
    # a line of its own under the stamp: a long stamp line would run past a half-width figure
    return f"<br>Left out of the by-visit summary: {', '.join(parts)}" if parts else ""


def _survival(data: TrialData) -> tuple[Any, Any, Any]:
    """Randomized subjects, day of death of those who died, and the study day of the cut, once per cut."""
    return memoized(data, "outcomes:survival", lambda: (
        outcomes.randomized_ids(data.dm), worst_rank.death_days(data.dm, data.ds),
        worst_rank.cut_days(data.dm, data.cut.cut_date)))


def _scale_note(requested: Any, scale: str, per_visit: Any, column: str, outcome: Outcome, later: list) -> str:
    """What the change figure cannot show on the chosen scale, said on it."""
    notes = []
    if requested == "ratio" and scale != "ratio":
        notes.append("ratio to baseline: log-normal outcomes only; absolute change shown")
    undefined = outcomes.undefined_relative_change(per_visit, column, later)
    if undefined:
        why = "a baseline of 0" if column == "PCHG" else "a value or baseline of 0 or below"
        notes.append(f"{undefined} {'change' if undefined == 1 else 'changes'} left out ({why})")
    return "<br>" + "; ".join(notes) if notes else ""


def _trajectory_figures(data: TrialData, outcome: Outcome, axis: str, stat: str, show_lines: bool,
                        requested: Any) -> tuple:
    config = data.config
    values, per_visit = _all_values(data)[outcomes.outcome_key(outcome)]
    # only visits where this outcome has records (pooled: the axis never depends on the allocation)
    planned = outcomes.visits_with_records(values, outcomes.planned_visits(config.visits))
    later = outcomes.visits_with_records(values, outcomes.post_baseline_visits(config.visits))
    scale, column = trajectories.scale_column(requested, outcome.log_normal)
    subjects, deaths, cut_day = _survival(data)
    status = worst_rank.visit_status(per_visit, subjects, later, deaths, cut_day, column)
    lines, total = outcomes.spaghetti_sample(values, MAX_SPAGHETTI_SUBJECTS) if show_lines else (None, 0)
    arms, differences = None, None
    if isinstance(data, ArmedTrialData):
        arms, arm_of = data.arm_labels, efficacy_arm_of(data)
        summary = trajectories.summary_by_arm(per_visit, planned, arm_of, "VALUE", stat)
        change = trajectories.summary_by_arm(per_visit, later, arm_of, column, stat)
        counts = worst_rank.status_counts(status, arm_of)
        differences = trajectories.change_differences(per_visit, later, arm_of, _reference(data), column)
        if lines is not None:
            lines = outcomes.with_arm(lines, arm_of)
    else:
        summary = trajectories.pooled_summary(per_visit, planned, "VALUE", stat)
        change = trajectories.pooled_summary(per_visit, later, column, stat)
        counts = worst_rank.status_counts(status)
    if column == "LRATIO":
        change = trajectories.back_transformed(change)
        if differences is not None:
            differences = trajectories.back_transformed(differences, ("DIFF", "LOW", "HIGH", "MEAN_ARM", "MEAN_REF"))
    change = worst_rank.with_status(change, counts)
    label = efficacy_stamp(data) + _left_out_note(values, config)
    change_label = label + _scale_note(requested, scale, per_visit, column, outcome, later)
    grid = outcome_figures.subjects_grid(summary, counts, summary, arms)
    return (*_plain(trajectory_figures.trajectory_figure(summary, outcome, axis, stat, label, spaghetti=lines,
                                                        spaghetti_total=total, arms=arms),
                    trajectory_figures.change_figure(change, outcome, axis, stat,
                                                     change_label,
                                                     differences=differences, arms=arms, scale=scale)), *grid)


def _event_figure(data: TrialData, index: int) -> Any:
    event: EventSource = data.config.events[index]
    times = _event_times(data)[index]
    days = events.risk_table_days(data.config.followup_days)
    competing = bool((times["STATUS"] == events.COMPETING).any())
    unknown = int((times["EVENT"] & times["DAY"].isna()).sum())
    if isinstance(data, ArmedTrialData):
        arm_of = efficacy_arm_of(data)
        return _plain(event_figures.incidence_figure(
            events.incidence_by_arm(times, arm_of), events.at_risk_by_arm(times, arm_of, days),
            event.label, efficacy_stamp(data), competing=competing, unknown_day=unknown, arms=data.arm_labels,
            test=events.logrank(times, arm_of, data.config.min_events_for_p)))
    return _plain(event_figures.incidence_figure(events.incidence_curve(times), events.at_risk(times, days),
                                                 event.label, stamp(data), competing=competing, unknown_day=unknown))


def _event_table(data: TrialData) -> tuple[list, list]:
    config = data.config
    if isinstance(data, ArmedTrialData):
        reference = _reference(data)
        summary = effects.event_summary_by_arm(config.events, _event_times(data), efficacy_arm_of(data), reference,
                                               config.min_events_for_p)
        return event_figures.event_table_grid(summary, arms=data.arm_labels, reference=reference)
    return event_figures.event_table_grid(events.event_summary(config.events, _event_times(data)))


def _forest(data: ArmedTrialData, visit_num: float | None) -> Any:
    config = data.config
    reference, arm_of = _reference(data), efficacy_arm_of(data)
    values = _all_values(data)
    measured = [effects.change_effects(values[outcomes.outcome_key(o)][1], o, config.visits, arm_of,
                                       reference, visit_num) for o in config.outcomes]
    happened = [effects.event_effects(t, e, arm_of, reference, config.min_events_for_p)
                for e, t in zip(config.events, _event_times(data))]
    return _plain(effect_figures.forest_figure(effects.forest_rows(measured, happened), efficacy_stamp(data),
                                               arms=data.arm_labels, reference=reference))


def _trajectories(data: TrialData, key: Any, axis: Any, stat: Any, lines: Any, scale: Any = "absolute") -> Any:
    """Trajectory and change figures and the subjects table for the browser's control values (anything unknown
    falls back to a default)."""
    config = data.config
    if not config.outcomes:
        return (outcome_figures.no_outcome_figure(TRAJECTORY_TITLE, stamp(data)),
                outcome_figures.no_outcome_figure(CHANGE_TITLE, stamp(data)), [], [])
    outcome = outcomes.find_outcome(config.outcomes, key) or config.outcomes[0]
    if not data.has_domain(outcome.domain):
        return (outcome_figures.missing_domain_figure(TRAJECTORY_TITLE, stamp(data), outcome.domain, outcome.label),
                outcome_figures.missing_domain_figure(CHANGE_TITLE, stamp(data), outcome.domain, outcome.label),
                [], [])
    axis = axis if axis in trajectory_figures.AXES else "visit"
    armed = isinstance(data, ArmedTrialData)
    stat = stat if armed and stat in trajectories.STATISTICS else "median"
    scale = scale if scale in trajectories.SCALES else "absolute"
    show_lines = lines == ids.SPAGHETTI_ON or (isinstance(lines, list) and ids.SPAGHETTI_ON in lines)
    return memoized(data, "outcomes:trajectory-figures",
                    lambda: _trajectory_figures(data, outcome, axis, stat, show_lines, scale),
                    outcomes.outcome_key(outcome), axis, stat, show_lines, scale)


def _events(data: TrialData, name: Any) -> tuple:
    """Time-to-event figure of the chosen event (the first one for anything unknown) and the event table."""
    names = [e.name for e in data.config.events]
    if not names:
        return outcome_figures.no_outcome_figure(EVENT_TITLE, stamp(data)), [], []
    index = names.index(name) if name in names else 0
    figure = memoized(data, "outcomes:event-figure", lambda: _event_figure(data, index), index)
    rows, columns = memoized(data, "outcomes:event-table", lambda: _event_table(data))
    return figure, rows, columns


def _forest_view(data: TrialData, visit_num: Any) -> Any:
    """The forest plot at the chosen visit; for a blinded user the same closed-only figure whatever the allocation."""
    if not isinstance(data, ArmedTrialData):
        return memoized(data, "outcomes:forest-closed",
                        lambda: _plain(outcome_figures.closed_only_figure(effect_figures.TITLE, stamp(data))))
    known = [float(v.num) for v in outcomes.post_baseline_visits(data.config.visits)]
    chosen = float(visit_num) if isinstance(visit_num, (int, float)) and float(visit_num) in known else None
    return memoized(data, "outcomes:forest", lambda: _forest(data, chosen), chosen)


def _primary_visit(config: TrialConfig, visit_num: Any) -> Any:
    """The visit chosen in "Change from baseline at", else the last scheduled visit after day 1 (None if none)."""
    later = outcomes.post_baseline_visits(config.visits)
    chosen = [v for v in later if isinstance(visit_num, (int, float)) and float(v.num) == float(visit_num)]
    return (chosen or later[-1:] or [None])[0]


def _worst_rank(data: ArmedTrialData, visit: Any) -> tuple[list, list]:
    """The worst-rank table: every measured outcome at the primary visit, each arm against the reference."""
    config, reference, arm_of = data.config, _reference(data), efficacy_arm_of(data)
    subjects, deaths, cut_day = _survival(data)
    tables = []
    for outcome in config.outcomes:
        if not data.has_domain(outcome.domain):
            continue
        per_visit = _all_values(data)[outcomes.outcome_key(outcome)][1]
        status = worst_rank.visit_status(per_visit, subjects, [visit], deaths, cut_day)
        scores = worst_rank.worst_rank_scores(per_visit, status, visit.num, deaths, outcome)
        tables.append((outcome.label, visit.name, worst_rank.worst_rank(scores, status, visit.num, arm_of,
                                                                        reference)))
    return outcome_figures.worst_rank_grid(tables, data.arm_labels)


def _worst_rank_view(data: TrialData, visit_num: Any) -> Any:
    """Closed only; a blinded user gets the same empty table whatever the allocation (the card is hidden)."""
    visit = _primary_visit(data.config, visit_num)
    if not isinstance(data, ArmedTrialData) or visit is None:
        return [], []
    return memoized(data, "outcomes:worst-rank", lambda: _worst_rank(data, visit), float(visit.num))


def _population(data: TrialData) -> Any:
    """The page's population and N, and who is in it but not in Safety's population (as treated)."""
    def compute() -> Any:
        subjects = outcomes.randomized_ids(data.dm)
        if isinstance(data, ArmedTrialData):
            arm_of = efficacy_arm_of(data)
            differences = worst_rank.population_differences(data.dm, data.ex, data.arm_of, data.treated_arm_of)
            return outcome_figures.population_text(len(subjects), differences, arms=data.arm_labels,
                                                   arm_counts=outcomes.with_arm(
                                                       pd.DataFrame({"USUBJID": subjects.astype("str")}), arm_of)
                                                   ["ARM"].value_counts(),
                                                   basis=arm_basis_text(data.config.efficacy_arm_basis))
        return outcome_figures.population_text(len(subjects), worst_rank.population_differences(data.dm, data.ex))
    return memoized(data, "outcomes:population", compute)


def _options(config: TrialConfig, family: Any = ids.ALL_FAMILIES) -> tuple:
    """Families as configured (free text, in configuration order), the outcomes of the chosen one (all for
    anything unknown), the events, and the post-baseline visits with a planned day."""
    families = list(dict.fromkeys(o.family for o in config.outcomes))
    family_options = [{"label": "All families", "value": ids.ALL_FAMILIES}] + [
        {"label": name, "value": name} for name in families]
    shown = [o for o in config.outcomes if family in families and o.family == family] or list(config.outcomes)
    outcome_options = [{"label": f"{o.label} ({o.family})", "value": outcomes.outcome_key(o)} for o in shown]
    event_options = [{"label": e.label, "value": e.name} for e in config.events]
    visits = outcomes.post_baseline_visits(config.visits)
    visit_options = [{"label": outcomes.visit_label(v), "value": float(v.num)} for v in visits]
    return (outcome_options, outcome_options[0]["value"] if outcome_options else None,
            event_options, event_options[0]["value"] if event_options else None,
            visit_options, visit_options[-1]["value"] if visit_options else None, family_options)


def register(app) -> None:
    @guarded_callback(app, Permission.VIEW_OUTCOMES,
                      Output(ids.OUTCOME, "options"), Output(ids.OUTCOME, "value"),
                      Output(ids.EVENT, "options"), Output(ids.EVENT, "value"),
                      Output(ids.FOREST_VISIT, "options"), Output(ids.FOREST_VISIT, "value"),
                      Output(ids.FAMILY, "options"), Input(ids.OPTIONS, "data"), Input(ids.FAMILY, "value"))
    def fill_options(_, family):
        """The configured families, outcomes, events and visits: the same choices for every role. Choosing a
        family changes the outcome choices only: the chosen event and forest visit stay as they are."""
        options = _options(trial_config(), family)
        if dash.ctx.triggered_id == ids.FAMILY:
            return (*options[:2], *[dash.no_update] * (len(options) - 2))
        return options

    @guarded_callback(app, Permission.VIEW_OUTCOMES,
                      Output(ids.TRAJECTORY, "figure"), Output(ids.CHANGE, "figure"),
                      Output(ids.SUBJECTS, "rowData"), Output(ids.SUBJECTS, "columnDefs"),
                      Input(ids.OUTCOME, "value"), Input(ids.AXIS, "value"), Input(ids.STATISTIC, "value"),
                      Input(ids.SPAGHETTI, "value"), Input(ids.SCALE, "value"), audit_view="outcomes:trajectories")
    def show_trajectories(key, axis, stat, lines, scale):
        return with_active_cut(lambda data: _trajectories(data, key, axis, stat, lines, scale),
                               lambda sees: (outcome_figures.no_cut_figure(TRAJECTORY_TITLE, sees),
                                             outcome_figures.no_cut_figure(CHANGE_TITLE, sees), [], []))

    @guarded_callback(app, Permission.VIEW_OUTCOMES,
                      Output(ids.EVENT_CURVE, "figure"), Output(ids.EVENT_TABLE, "rowData"),
                      Output(ids.EVENT_TABLE, "columnDefs"), Input(ids.EVENT, "value"),
                      audit_view="outcomes:events")
    def show_events(name):
        return with_active_cut(lambda data: _events(data, name),
                               lambda sees: (outcome_figures.no_cut_figure(EVENT_TITLE, sees), [], []))

    @guarded_callback(app, Permission.VIEW_OUTCOMES,
                      Output(ids.FOREST, "figure"), Input(ids.FOREST_VISIT, "value"), audit_view="outcomes:forest")
    def show_forest(visit_num):
        return with_active_cut(lambda data: _forest_view(data, visit_num),
                               lambda sees: outcome_figures.no_cut_figure(effect_figures.TITLE, sees))

    @guarded_callback(app, Permission.VIEW_OUTCOMES,
                      Output(ids.WORST_RANK, "rowData"), Output(ids.WORST_RANK, "columnDefs"),
                      Input(ids.FOREST_VISIT, "value"), audit_view="outcomes:worst-rank")
    def show_worst_rank(visit_num):
        return with_active_cut(lambda data: _worst_rank_view(data, visit_num), lambda sees: ([], []))

    @guarded_callback(app, Permission.VIEW_OUTCOMES, Output(ids.POPULATION, "children"),
                      Input(ids.OPTIONS, "data"), audit_view="outcomes:population")
    def show_population(_):
        return with_active_cut(lambda data: [html.Div(line) for line in _population(data)],
                               lambda sees: outcome_figures.NO_CUT_MESSAGE)
