"""Outcomes, closed session: the effects forest plot and the worst-rank table at the chosen visit; and the
population statement every role sees (pooled counts for blinded roles, per arm for roles that see arms)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import html

from dashboard.displays.common import arm_basis_text
from dashboard.analysis import effects, outcomes, worst_rank
from dashboard.analysis.adam_flags import efficacy_population_dm
from dashboard.blinding import TrialData
from dashboard.config import TrialConfig
from dashboard.displays.model import BOTH_FORMS, BY_ARM_ONLY, Control, Display, Out, View
from dashboard.displays.outcomes import common
from dashboard.figures import effects as effect_figures
from dashboard.figures import outcomes as outcome_figures
from dashboard.memo import memoized
from dashboard.permissions import Permission
from dashboard.tables.outcomes import worst_rank_grid
from layouts import outcomes as ids


def _forest(data: TrialData, visit_num: float | None, arm_of: pd.Series) -> Any:
    config, reference = data.config, common.reference(data)
    values = common.all_values(data)
    measured = [effects.change_effects(values[outcomes.outcome_key(o)][1], o, config.visits, arm_of,
                                       reference, visit_num) for o in config.outcomes]
    happened = [effects.event_effects(t, e, arm_of, reference, config.min_events_for_p)
                for e, t in zip(config.events, common.event_times(data))]
    return common.plain(effect_figures.effects_forest_figure(
        effects.forest_rows(measured, happened), common.efficacy_stamp(data), arms=tuple(outcomes.arm_order(arm_of)),
        reference=reference))


def forest_view(data: TrialData, visit_num: Any) -> Any:
    """The forest plot at the chosen visit; for a blinded user the same closed-only figure whatever the allocation."""
    def closed_only() -> Any:
        return memoized(data, "outcomes:forest-closed", lambda: common.plain(
            outcome_figures.closed_only_figure(effect_figures.TITLE, common.stamp(data))))

    def by_arm(*, arm_of: pd.Series) -> Any:
        known = [float(v.num) for v in outcomes.post_baseline_visits(data.config.visits)]
        chosen = float(visit_num) if isinstance(visit_num, (int, float)) and float(visit_num) in known else None
        return memoized(data, "outcomes:forest", lambda: _forest(data, chosen, arm_of), chosen)

    return data.split(closed_only, by_arm, basis="efficacy")


def primary_visit(config: TrialConfig, visit_num: Any) -> Any:
    """The visit chosen in "Change from baseline at", else the last scheduled visit after day 1 (None if none)."""
    later = outcomes.post_baseline_visits(config.visits)
    chosen = [v for v in later if isinstance(visit_num, (int, float)) and float(v.num) == float(visit_num)]
    return (chosen or later[-1:] or [None])[0]


def _worst_rank(data: TrialData, visit: Any, arm_of: pd.Series) -> tuple[list, list]:
    """The worst-rank table: every measured outcome at the primary visit, each arm against the reference."""
    config, reference = data.config, common.reference(data)
    subjects, deaths, cut_day = common.survival_inputs(data)
    tables = []
    for outcome in config.outcomes:
        if not data.has_domain(outcome.domain):
            continue
        per_visit = common.all_values(data)[outcomes.outcome_key(outcome)][1]
        status = worst_rank.visit_status(per_visit, subjects, [visit], deaths, cut_day)
        scores = worst_rank.worst_rank_scores(per_visit, status, visit.num, deaths, outcome)
        tables.append((outcome.label, visit.name, worst_rank.worst_rank(scores, status, visit.num, arm_of,
                                                                        reference)))
    return worst_rank_grid(tables, tuple(outcomes.arm_order(arm_of)))


def worst_rank_view(data: TrialData, visit_num: Any) -> Any:
    """Closed only; a blinded user gets the same empty table whatever the allocation (the card is hidden)."""
    visit = primary_visit(data.config, visit_num)

    def by_arm(*, arm_of: pd.Series) -> Any:
        if visit is None:
            return [], []
        return memoized(data, "outcomes:worst-rank", lambda: _worst_rank(data, visit, arm_of), float(visit.num))

    return data.split(lambda: ([], []), by_arm, basis="efficacy")


def population(data: TrialData) -> Any:
    """The page's population and N, whom the efficacy flag leaves out, and who is in it but not in Safety's
    population (as treated)."""
    efficacy = common.population(data)
    subjects = outcomes.randomized_ids(efficacy.dm)

    def pooled() -> list[str]:
        return outcome_figures.population_text(
            len(subjects), worst_rank.population_differences(efficacy.dm, data.ex), efficacy=efficacy)

    def by_arm(*, arm_of: pd.Series) -> list[str]:
        differences = worst_rank.population_differences(efficacy.dm, data.ex, data.arms_by("randomized"),
                                                        data.arms_by("treated"))
        counts = outcomes.with_arm(pd.DataFrame({"USUBJID": subjects.astype("str")}), arm_of)["ARM"].value_counts()
        return outcome_figures.population_text(len(subjects), differences, arms=tuple(outcomes.arm_order(arm_of)),
                                               arm_counts=counts, basis=arm_basis_text(data.config.efficacy_arm_basis),
                                               efficacy=efficacy)

    return memoized(data, "outcomes:population", lambda: data.split(pooled, by_arm, basis="efficacy"))


def compute_forest(data: TrialData, visit_num: Any = None) -> dict[str, Any]:
    return {"forest": forest_view(data, visit_num)}


def compute_worst_rank(data: TrialData, visit_num: Any = None) -> dict[str, Any]:
    rows, columns = worst_rank_view(data, visit_num)
    return {"worst_rows": rows, "worst_columns": columns}


def compute_population(data: TrialData, _store: Any = None) -> dict[str, Any]:
    return {"population": [html.Div(line) for line in population(data)]}


FOREST = Display(
    "outcomes.forest", "Forest plot: measured outcomes (Hedges' g) and events (risk difference)", "figure",
    ("DM", "DS", "VS", "LB", "PR", "HO"), {"forest": Out(ids.FOREST, "figure")}, BY_ARM_ONLY,
    analysis=(effects.change_effects, effects.event_effects, effects.forest_rows),
    builder=effect_figures.effects_forest_figure, fields=("VS.VSSTRESN", "LB.LBSTRESN"))
WORST_RANK = Display(
    "outcomes.worst_rank", "Sensitivity analysis keeping the dead: worst rank", "table", ("DM", "DS", "VS", "LB"),
    {"worst_rows": Out(ids.WORST_RANK, "rowData"), "worst_columns": Out(ids.WORST_RANK, "columnDefs")},
    BY_ARM_ONLY, analysis=(worst_rank.worst_rank_scores, worst_rank.worst_rank), builder=worst_rank_grid,
    fields=("DM.DTHDTC", "VS.VSSTRESN", "LB.LBSTRESN"), in_pack=False)
POPULATION = Display(
    "outcomes.population", "Population", "note", ("DM", "EX"), {"population": Out(ids.POPULATION, "children")},
    BOTH_FORMS, analysis=(efficacy_population_dm, outcomes.randomized_ids, worst_rank.population_differences),
    builder=outcome_figures.population_text, fields=("DM.RFSTDTC",), in_pack=False)

VIEWS = (
    View("outcomes:forest", common.PAGE, Permission.VIEW_OUTCOMES, compute_forest, (FOREST,),
         controls={"visit_num": Control(ids.FOREST_VISIT, "value")}),
    View("outcomes:worst-rank", common.PAGE, Permission.VIEW_OUTCOMES, compute_worst_rank, (WORST_RANK,),
         controls={"visit_num": Control(ids.FOREST_VISIT, "value")}),
    View("outcomes:population", common.PAGE, Permission.VIEW_OUTCOMES, compute_population, (POPULATION,),
         controls={"_store": Control(ids.OPTIONS, "data")}),
)
